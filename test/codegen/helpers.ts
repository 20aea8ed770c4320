/**
 * Compile generated C with a host compiler and the test driver (test/codegen/c/driver.c), run it on
 * images, and compare with the integer interpreter byte for byte, layer by layer.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dtypeBytes, numElements, type Graph, type TensorData } from '../../src/ir/graph.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { fuseResidualAdds } from '../../src/ops/conv2d-add/fuse.js';

export const C_DIR = fileURLToPath(new URL('./c/', import.meta.url));

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];
/** Sanitizers; forced inlining off, which makes UBSan's instrumentation four times faster to compile. */
export const SANITIZE = ['-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer', '-DKIT_INLINE=static inline'];

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-codegen-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The reason to skip when a command is missing (an error under KIT_REQUIRE_TOOLS=1): test/tools.ts. */
export { missing } from '../tools.js';

export { kitError } from '../kit-error.js';

export interface CompileOptions {
  cc?: string;
  /** Optimisation and sanitizer flags (default -O2). */
  flags?: string[];
  /** Write every layer's output before the logits (tap.h). */
  taps?: boolean;
}

/** Compile the model folder with the driver into an executable; throws with the compiler's output. */
export function compileModel(modelDir: string, out: string, options: CompileOptions = {}): string {
  const sources = readdirSync(modelDir).filter((f) => f.endsWith('.c')).map((f) => join(modelDir, f));
  const args = [
    ...STRICT,
    ...(options.flags ?? ['-O2']),
    `-I${modelDir}`,
    ...(options.taps ? ['-DKIT_DRIVER_TAPS', '-include', join(C_DIR, 'tap.h')] : []),
    ...sources,
    join(C_DIR, 'driver.c'),
    '-o',
    out,
  ];
  const r = spawnSync(options.cc ?? 'gcc', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${options.cc ?? 'gcc'} failed:\n${r.stderr}`);
  return out;
}

/** Run a compiled model on images back to back; stdout bytes. A sanitizer report fails the run. */
export function runModel(binary: string, images: Uint8Array, args: string[] = []): Uint8Array {
  const r = spawnSync(binary, args, { input: images, maxBuffer: 1 << 28, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', UBSAN_OPTIONS: 'print_stacktrace=1' } });
  assert.equal(r.status, 0, `${binary} exited with ${r.status}: ${r.stderr.toString().slice(0, 2000)}`);
  assert.equal(r.stderr.toString(), '', 'no sanitizer or runtime reports');
  return new Uint8Array(r.stdout);
}

const bytesOf = (d: TensorData) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

function tensorBytes(graph: Graph, id: string): number {
  const t = graph.tensors[id];
  return numElements(t.shape) * dtypeBytes(t.dtype);
}

/**
 * Compare a driver's output with the interpreter on every image: with taps, each layer's output in
 * order and then the logits; without, the logits only. The message names the first layer that differs.
 * The C's layers are those of codegen's fused graph (residual blocks are one layer); `tapped`
 * overrides them (default: the fusion pass's nodes). The interpreter runs `graph`, the reference.
 */
export function assertMatchesInterpreter(graph: Graph, images: Uint8Array, count: number, got: Uint8Array, taps: boolean, tapped?: string[]): void {
  const interp = new Interpreter(graph);
  const layers = taps ? (tapped ?? fuseResidualAdds(graph).graph.nodes.map((n) => n.outputs[0])) : [];
  const perImage = layers.reduce((s, id) => s + tensorBytes(graph, id), 0) + tensorBytes(graph, graph.outputs[0]);
  assert.equal(got.length, perImage * count, 'output length');
  const n = images.length / count;
  for (let i = 0; i < count; i++) {
    interp.run(images.subarray(i * n, (i + 1) * n));
    let offset = i * perImage;
    for (const id of [...layers, graph.outputs[0]]) {
      const want = bytesOf(interp.value(id));
      const have = got.subarray(offset, offset + want.length);
      if (!Buffer.from(have).equals(Buffer.from(want))) {
        const at = want.findIndex((v, j) => v !== have[j]);
        assert.fail(`image ${i}, tensor '${id}': byte ${at} is ${have[at]}, the interpreter says ${want[at]}`);
      }
      offset += want.length;
    }
  }
}

/** Random pixels (every value 0..255 appears). */
export function randomPixels(count: number, bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * bytes);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  for (let v = 0; v < 256 && v < out.length; v++) out[v] = v;
  return out;
}

/**
 * Build the device harness with a generated model for an emulated board (default qemu-cortex-m4),
 * run images through QEMU over the serial protocol, and return each image's logits and
 * instructions (exact under -icount).
 */
export async function runOnQemu(modelDir: string, workDir: string, images: Uint8Array, count: number, hash: string, board = 'qemu-cortex-m4'): Promise<{ logits: Uint8Array; instructions: number[] }> {
  const { buildFirmware } = await import('../../src/device/build.js');
  const { startEmulator } = await import('../../src/device/qemu.js');
  const { DeviceClient } = await import('../../src/device/client.js');
  const { SerialTransport } = await import('../../src/device/transport/serial.js');
  const build = await buildFirmware({ board, modelDir, outDir: workDir });
  const emu = await startEmulator({ firmware: build.file, board: build.board });
  try {
    const client = await DeviceClient.connect(new SerialTransport(emu.path, build.board.serial.baud), { helloTimeoutMs: 20_000, deadAfterMs: 30_000, expect: { modelHash: hash } });
    try {
      const n = images.length / count;
      const results = await Promise.all(Array.from({ length: count }, (_, i) => client.infer(images.slice(i * n, (i + 1) * n))));
      const logits = new Uint8Array(results.reduce((s, r) => s + r.logits.length, 0));
      let at = 0;
      for (const r of results) {
        logits.set(r.logits, at);
        at += r.logits.length;
      }
      return { logits, instructions: results.map((r) => emu.instructions(r.ticks, client.info.tickHz)) };
    } finally {
      await client.close();
    }
  } finally {
    await emu.stop();
  }
}
