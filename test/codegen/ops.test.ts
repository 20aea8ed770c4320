/**
 * Per-op golden tests: hand-built graphs that put every op through its edge cases (see graphs.ts),
 * generated, compiled for the host (gcc -O2, and -O1 with AddressSanitizer + UBSan) and compared with
 * the integer interpreter layer by layer, for both quantization schemes and both ends of the range.
 * The -O2 build runs the plain C kernels, the sanitized one the DSP code path with its instructions
 * emulated in C (the real instructions run in the QEMU test of resnet8.test.ts).
 */
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { generateC } from '../../src/codegen/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { numElements } from '../../src/ir/graph.js';
import { convGraph, otherOpsGraph, type Edge } from './graphs.js';
import { assertMatchesInterpreter, compileModel, missing, randomPixels, runModel, runOnQemu, SANITIZE, tmpDir } from './helpers.js';

const IMAGES = 6;

async function check(graph: Graph, tag: string, options: { aliasReshape?: boolean } = {}): Promise<void> {
  const dir = tmpDir(tag);
  const gen = await generateC({ graph, board: 'host', outDir: join(dir, 'model'), aliasReshape: options.aliasReshape });
  const pixels = numElements(graph.tensors.image.shape);
  const images = randomPixels(IMAGES, pixels, tag.length * 7919);
  // -O2: the plain C path; sanitized: the DSP path (its instructions emulated in C, -DKIT_EMULATE_DSP).
  for (const [build, flags] of [['O2', ['-O2']], ['sanitized-dsp', [...SANITIZE, '-DKIT_EMULATE_DSP']]] as const) {
    const bin = compileModel(gen.outDir, join(dir, `model-${build}`), { flags: [...flags], taps: true });
    assertMatchesInterpreter(graph, images, IMAGES, runModel(bin, images), true);
  }
}

describe('every op matches the interpreter bit for bit (gcc -O2 plain C, ASan+UBSan DSP path)', { skip: missing('gcc') }, () => {
  for (const scheme of ['int8', 'uint8'] as const) {
    for (const edge of ['low', 'high'] as Edge[]) {
      test(`${scheme}, zero points at the ${edge} end: conv2d (padding, strides, odd sizes, weight zero points, left shift)`, () =>
        check(convGraph(scheme, edge, edge === 'low' ? 11 : 12), `conv-${scheme}-${edge}`));
      test(`${scheme}, zero points at the ${edge} end: pools, relu, add, global pool, flatten, dense`, () =>
        check(otherOpsGraph(scheme, edge, edge === 'low' ? 21 : 22), `other-${scheme}-${edge}`));
    }
    test(`${scheme}: flatten as a copy (reshape kernel) instead of an alias`, () =>
      check(otherOpsGraph(scheme, 'low', 31), `reshape-${scheme}`, { aliasReshape: false }));
  }
});

describe('every op on qemu-cortex-m4: the real DSP instructions agree with the interpreter', { skip: missing('qemu-system-arm', 'arm-none-eabi-gcc') }, () => {
  for (const scheme of ['int8', 'uint8'] as const) {
    test(`${scheme}: the conv and other-ops graphs, zero points at the high end`, async () => {
      for (const [kind, graph] of [['conv', convGraph(scheme, 'high', 12)], ['other', otherOpsGraph(scheme, 'high', 22)]] as const) {
        const dir = tmpDir(`qemu-${kind}-${scheme}`);
        const gen = await generateC({ graph, board: 'qemu-cortex-m4', outDir: join(dir, 'model') });
        const images = randomPixels(IMAGES, numElements(graph.tensors.image.shape), 99);
        const { logits } = await runOnQemu(gen.outDir, join(dir, 'firmware'), images, IMAGES, gen.hash);
        assertMatchesInterpreter(graph, images, IMAGES, logits, false);
      }
    });
  }
});
