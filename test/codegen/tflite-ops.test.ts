/**
 * Golden tests of the TFLite-model ops (tflite-graphs.ts): generated C against the integer
 * interpreter, layer by layer, byte for byte, on gcc -O2, under ASan+UBSan (the DSP path emulated),
 * and on the emulated Cortex-M4.
 */
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { generateC } from '../../src/codegen/index.js';
import { numElements, type Graph } from '../../src/ir/graph.js';
import type { SchemeName } from '../../src/quantize/schemes.js';
import type { Edge } from './graphs.js';
import { assertMatchesInterpreter, compileModel, missing, randomPixels, runModel, runOnQemu, SANITIZE, tmpDir } from './helpers.js';
import { concatQuantizeGraph, depthwiseGraph, meanGraph, padActivationsGraph, softmaxGraph } from './tflite-graphs.js';

const IMAGES = 6;

/** Graph builders by name; each runs for both schemes and both zero-point ends. */
const GRAPHS: Record<string, (scheme: SchemeName, edge: Edge, seed: number) => Graph> = {
  depthwise_conv2d: depthwiseGraph,
  'pad and fused relu6': padActivationsGraph,
  mean: meanGraph,
  softmax: softmaxGraph,
  'concat and quantize': concatQuantizeGraph,
};

async function check(graph: Graph, tag: string): Promise<void> {
  const dir = tmpDir(tag);
  const gen = await generateC({ graph, board: 'host', outDir: join(dir, 'model') });
  const images = randomPixels(IMAGES, numElements(graph.tensors.image.shape), tag.length * 7919);
  for (const [build, flags] of [['O2', ['-O2']], ['sanitized-dsp', [...SANITIZE, '-DKIT_EMULATE_DSP']]] as const) {
    const bin = compileModel(gen.outDir, join(dir, `model-${build}`), { flags: [...flags], taps: true });
    assertMatchesInterpreter(graph, images, IMAGES, runModel(bin, images), true);
  }
}

describe('TFLite ops match the interpreter bit for bit (gcc -O2, ASan+UBSan)', { skip: missing('gcc') }, () => {
  for (const [name, build] of Object.entries(GRAPHS)) {
    for (const scheme of ['int8', 'uint8'] as const) {
      for (const edge of ['low', 'high'] as Edge[]) {
        test(`${name}, ${scheme}, zero points at the ${edge} end`, () => check(build(scheme, edge, edge === 'low' ? 41 : 42), `${name}-${scheme}-${edge}`));
      }
    }
  }
});

describe('TFLite ops on qemu-cortex-m4', { skip: missing('qemu-system-arm', 'arm-none-eabi-gcc') }, () => {
  for (const [name, build] of Object.entries(GRAPHS)) {
    test(`${name}, int8, zero points at the high end`, async () => {
      const graph = build('int8', 'high', 42);
      const dir = tmpDir(`qemu-${name}`);
      const gen = await generateC({ graph, board: 'qemu-cortex-m4', outDir: join(dir, 'model') });
      const images = randomPixels(IMAGES, numElements(graph.tensors.image.shape), 99);
      const { logits } = await runOnQemu(gen.outDir, join(dir, 'firmware'), images, IMAGES, gen.hash);
      assertMatchesInterpreter(graph, images, IMAGES, logits, false);
    });
  }
});
