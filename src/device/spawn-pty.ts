/**
 * Starts a process that exposes a serial line as a pseudo-terminal and announces its path on
 * stdout or stderr (QEMU's `-serial pty`, the host harness), and waits for that announcement.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { KitError } from '../errors.js';

export interface PtyProcess {
  /** The pty to open with a serial transport, e.g. /dev/pts/3. */
  readonly path: string;
  readonly pid: number;
  /** Everything the process printed so far (for error messages). */
  output(): string;
  /** Writes to the process's stdin (QEMU's monitor). */
  input(text: string): void;
  /** Ends the process (SIGTERM, then SIGKILL after a grace period); resolves once it is gone. */
  stop(): Promise<void>;
}

export interface SpawnPtyOptions {
  command: string;
  args: string[];
  /** Matches the announcement; group 1 is the pty path. */
  announce: RegExp;
  timeoutMs: number;
  /** Says what to install when the command is missing. */
  missingHint: string;
}

// Children still running when node exits are ended with it: an emulator left behind by a crashed
// test would hold a core.
const live = new Set<ChildProcess>();
const killLive = () => {
  for (const c of live) c.kill('SIGKILL');
};
process.on('exit', killLive);

// A signal's default action ends node without its 'exit' event, which would orphan the emulators.
// While children run, kit listens for these signals; a command that handles one itself (verify
// finishes the images in flight on Ctrl-C or SIGTERM and stops its emulators) has a listener of
// its own, and then this one leaves the signal to it. Otherwise the children are ended and the
// signal is raised again with its default action, so the exit status still tells who ended kit.
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const onEndingSignal = (signal: NodeJS.Signals) => {
  if (process.listenerCount(signal) > 1) return;
  killLive();
  for (const s of ENDING_SIGNALS) process.off(s, onEndingSignal);
  process.kill(process.pid, signal);
};
const track = (child: ChildProcess) => {
  if (live.size === 0) for (const s of ENDING_SIGNALS) process.on(s, onEndingSignal);
  live.add(child);
};
const untrack = (child: ChildProcess) => {
  if (!live.delete(child) || live.size > 0) return;
  for (const s of ENDING_SIGNALS) process.off(s, onEndingSignal);
};

export function spawnPty(opts: SpawnPtyOptions): Promise<PtyProcess> {
  const { command } = opts;
  return new Promise((done, fail) => {
    // stdin stays a pipe we never close: the host harness exits when it hits EOF, i.e. when we die.
    const child = spawn(opts.command, opts.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    let out = '';
    let settled = false;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('exit', () => untrack(child));

    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const grace = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(grace);
      }
      child.stdin?.destroy();
    };
    const lastLine = () => out.trim().split('\n').pop() ?? '';
    const settle = (err?: KitError, path?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        void stop();
        fail(err);
      } else {
        done({ path: path!, pid: child.pid!, output: () => out, input: (text) => void child.stdin?.write(text), stop });
      }
    };
    const timer = setTimeout(
      () => settle(new KitError('runner-failed', 'device', `${command} announced no serial pty within ${opts.timeoutMs / 1000} s${out ? `: ${lastLine()}` : ''}`)),
      opts.timeoutMs,
    );
    const onText = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = opts.announce.exec(out);
      if (m) settle(undefined, m[1]);
    };
    child.stdout!.on('data', onText);
    child.stderr!.on('data', onText);
    child.stdin!.on('error', () => {}); // EPIPE once the child is gone: nothing to report
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') settle(new KitError('runner-missing', 'device', `${command} not found`, opts.missingHint));
      else settle(new KitError('runner-failed', 'device', `${command} could not start: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      settle(new KitError('runner-failed', 'device', `${command} exited (${signal ?? `code ${code}`}) before opening its serial pty${out ? `: ${lastLine()}` : ''}`));
    });
  });
}
