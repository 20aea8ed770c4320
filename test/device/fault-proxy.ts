/**
 * Starts test/device/c/fault_proxy.c (built once per process with the system compiler) between a
 * device's serial pty and a new pty for kit: a serial line that drops, flips and duplicates bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/device/paths.js';
import { type PtyProcess, spawnPty } from '../../src/device/spawn-pty.js';

export interface LineFaults {
  drop: number;
  flip: number;
  dup: number;
  seed: number;
  /** Damage only what goes to the device (default: both ways). */
  toDeviceOnly?: boolean;
}

let binary: string | undefined;

function build(): string {
  if (binary && existsSync(binary)) return binary;
  const out = join(mkdtempSync(join(tmpdir(), 'kit-fault-proxy-')), 'fault_proxy');
  // The pty set-up is the host board's (firmware/boards/host/pty.c).
  const host = join(PACKAGE_ROOT, 'firmware/boards/host');
  execFileSync('cc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', `-I${host}`, join(PACKAGE_ROOT, 'test/device/c/fault_proxy.c'), join(host, 'pty.c'), '-o', out]);
  return (binary = out);
}

/** The returned process's `path` is the noisy end: give it to kit verify --port. */
export function startFaultProxy(devicePty: string, f: LineFaults): Promise<PtyProcess> {
  return spawnPty({
    command: build(),
    args: [devicePty, String(f.drop), String(f.flip), String(f.dup), String(f.seed), f.toDeviceOnly ? 'to-device' : 'both'],
    announce: /fault-proxy: (\/dev\/\S+)/,
    timeoutMs: 5000,
    missingHint: 'needs a C compiler (cc)',
  });
}
