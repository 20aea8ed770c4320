/**
 * Throughput of `kit verify` over the serial link, clean and noisy: starts the project's firmware
 * in QEMU (qemu-cortex-m4, or the board the project was generated for), and runs
 * `kit verify PROJECT --port P` once straight to the emulator's pty and once through the
 * fault-injecting proxy (test/device/c/fault_proxy.c) at the given byte drop, flip and duplicate
 * rates. Prints images/s, agreement and the link counters of each run.
 *
 *   node --import tsx scripts/bench-link.ts PROJECT [--data DATASET] [--samples 200]
 *        [--drop 1e-3] [--flip 1e-3] [--dup 1e-3] [--seed 1] [--only clean|noisy]
 *
 * PROJECT is a folder from kit codegen, built with kit flash.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { firmwareDir } from '../src/cli/commands/flash.js';
import { readCodegenManifest } from '../src/codegen/codegen-manifest.js';
import { loadBoard } from '../src/device/boards.js';
import { PACKAGE_ROOT } from '../src/device/paths.js';
import { startEmulator } from '../src/device/qemu.js';
import type { VerifyReport } from '../src/device/verify/verify.js';
import { startFaultProxy } from '../test/device/fault-proxy.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: join(PACKAGE_ROOT, 'test/fixtures/cifar10-sample') },
    samples: { type: 'string', default: '200' },
    drop: { type: 'string', default: '1e-3' },
    flip: { type: 'string', default: '1e-3' },
    dup: { type: 'string', default: '1e-3' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const project = positionals[0];
if (!project) {
  console.error('usage: bench-link.ts PROJECT [--data DATASET] [--samples N] [--drop R] [--flip R] [--dup R] [--seed N] [--only clean|noisy]');
  process.exit(2);
}
const board = loadBoard(readCodegenManifest(project).board);
const work = mkdtempSync(join(tmpdir(), 'kit-bench-link-'));

async function verify(port: string, tag: string): Promise<VerifyReport> {
  const report = join(work, `${tag}.json`);
  const args = ['--import', 'tsx', join(PACKAGE_ROOT, 'src/cli/main.ts'), 'verify', project, '--port', port, '--data', values.data!, '--samples', values.samples!, '--report', report];
  await promisify(execFile)(process.execPath, args, { cwd: PACKAGE_ROOT, maxBuffer: 16 << 20 });
  return JSON.parse(readFileSync(report, 'utf8')) as VerifyReport;
}

function show(what: string, r: VerifyReport) {
  const l = r.link;
  console.log(
    `${what}: ${r.images}/${r.requested} images in ${r.seconds.toFixed(1)} s = ${r.imagesPerSecond.toFixed(3)} images/s; bit-exact ${r.agreement.bitExact === null ? 'n/a' : `${(100 * r.agreement.bitExact).toFixed(2)} %`}; ` +
      `median ${r.latency.medianInstructions?.toLocaleString('en-US') ?? 'n/a'} instructions; ${l.retries} pieces re-sent over ${l.imagesRetried} images (at most ${l.maxImageRetries}), ${l.polls} polls, ${l.badFrames} bad frames, ${l.timeouts} silences`,
  );
}

const firmware = join(firmwareDir(project), board.toolchain.output ?? 'firmware');
try {
  for (const mode of ['clean', 'noisy'] as const) {
    if (values.only && values.only !== mode) continue;
    const emu = await startEmulator({ firmware, board });
    try {
      if (mode === 'clean') {
        show('clean link', await verify(emu.path, mode));
      } else {
        const f = { drop: Number(values.drop), flip: Number(values.flip), dup: Number(values.dup), seed: Number(values.seed) };
        const proxy = await startFaultProxy(emu.path, f);
        try {
          show(`drop ${f.drop}, flip ${f.flip}, duplicate ${f.dup} (seed ${f.seed})`, await verify(proxy.path, mode));
        } finally {
          await proxy.stop();
          console.log(proxy.output().trim().split('\n').pop());
        }
      }
    } finally {
      await emu.stop();
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
