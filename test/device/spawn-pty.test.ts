/**
 * A kit process ended by a signal ends the emulators it started (spawn-pty.ts): SIGTERM or Ctrl-C
 * would otherwise skip node's 'exit' event and leave QEMU holding a core. A stand-in announces a pty
 * the way QEMU does and then sleeps; a small script starts it through spawnPty and is signalled.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tmpDir } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SPAWN_PTY = join(ROOT, 'src/device/spawn-pty.ts');

/** `handles`: the script listens for the signal itself, as kit verify does, and stops its child on it. */
function script(dir: string, handles: boolean): string {
  const file = join(dir, `start-${handles ? 'handled' : 'plain'}.mts`);
  writeFileSync(
    file,
    `import { spawnPty } from ${JSON.stringify(SPAWN_PTY)};
const proc = await spawnPty({
  command: 'sh',
  args: ['-c', 'echo "char device redirected to /dev/pts/77 (label serial0)"; exec sleep 600'],
  announce: /redirected to (\\/dev\\/pts\\/\\d+)/,
  timeoutMs: 10_000,
  missingHint: 'sh is part of every system',
});
${handles ? `for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { console.log('handled ' + s); void proc.stop().then(() => process.exit(3)); });` : ''}
console.log('child ' + proc.pid);
setInterval(() => {}, 1000);
`,
  );
  return file;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts the script, waits for its child's pid, sends `signal`, and returns how the script ended. */
async function signalled(file: string, signal: NodeJS.Signals): Promise<{ child: number; code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const child = await new Promise<number>((done, fail) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /child (\d+)/.exec(out);
      if (m) done(Number(m[1]));
    });
    p.once('exit', (code) => fail(new Error(`the script exited (${code}) before starting its child: ${err}`)));
  });
  assert.ok(alive(child), 'the stand-in emulator runs');
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => p.once('exit', (code, sig) => done({ code, signal: sig })));
  p.kill(signal);
  return { child, ...(await ended), out };
}

/** The child is reaped by its parent's exit; give the kernel a moment to drop it. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} ends kit and the emulator it started, and kit still ends by ${signal}`, { timeout: 60_000 }, async () => {
    const r = await signalled(script(tmpDir('signal'), false), signal);
    assert.equal(r.signal, signal, `exit ${r.code}`);
    assert.ok(await gone(r.child), `the stand-in emulator (pid ${r.child}) outlived kit`);
  });
}

test('a command that handles the signal itself keeps its emulator until it stops it', { timeout: 60_000 }, async () => {
  const r = await signalled(script(tmpDir('signal'), true), 'SIGTERM');
  assert.match(r.out, /handled SIGTERM/);
  assert.equal(r.code, 3, 'the command ended as it chose');
  assert.ok(await gone(r.child));
});
