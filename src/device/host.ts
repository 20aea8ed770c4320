/** Runs the harness built for the `host` board as a native process; its UART is a pty it prints. */
import { existsSync } from 'node:fs';
import { KitError } from '../errors.js';
import { type Board, loadBoard } from './boards.js';
import { type PtyProcess, spawnPty } from './spawn-pty.js';

export interface HostDevice extends PtyProcess {
  readonly board: Board;
}

/** `binary`: the executable from buildFirmware({ board: 'host', ... }). */
export async function startHost(opts: { binary: string; timeoutMs?: number }): Promise<HostDevice> {
  if (!existsSync(opts.binary)) throw new KitError('no-firmware', 'device', `no host harness at ${opts.binary}`, 'build it first');
  const proc = await spawnPty({
    command: opts.binary,
    args: [],
    announce: /kit-host-uart: (\/dev\/\S+)/,
    timeoutMs: opts.timeoutMs ?? 5000,
    missingHint: 'build it with buildFirmware({ board: "host" })',
  });
  return { ...proc, board: loadBoard('host') };
}
