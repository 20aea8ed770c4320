/**
 * Portability of the generated C to the Espressif-class cores: every op's edge cases (graphs.ts)
 * and layers the size of resnet-seed's (256 channels, depths of 2,304 and 4,096, a 1 MiB weight
 * array) run on the emulated lx106 (which traps on unaligned word access, as an ESP32 does) and
 * rv32imc (the ESP32-C3's instruction set), and must equal the integer interpreter byte for byte.
 */
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { generateC } from '../../src/codegen/index.js';
import { loadBoard } from '../../src/device/boards.js';
import type { Graph } from '../../src/ir/graph.js';
import { numElements } from '../../src/ir/graph.js';
import type { SchemeName } from '../../src/quantize/index.js';
import { missingForBoard } from '../device/helpers.js';
import { convGraph, GraphBuilder, otherOpsGraph } from './graphs.js';
import { assertMatchesInterpreter, randomPixels, runOnQemu, tmpDir } from './helpers.js';

/** resnet-seed's widest layers on a 4x4 map: a 3x3 convolution 256 -> 256 (depth 2,304) and a dense layer of depth 4,096 with a 1 MiB weight array. */
function seedSizedGraph(scheme: SchemeName): Graph {
  const b = new GraphBuilder(scheme, 71);
  let x = b.lut(b.input([4, 4, 3]), b.qmin);
  x = b.conv(x, { outC: 256, relu: true });
  x = b.conv(x, { outC: 256, relu: true });
  x = b.dense(b.flatten(x), { outC: 256, relu: true });
  return b.build(b.dense(x, { outC: 10 }));
}

async function check(board: string, graph: Graph, tag: string, count: number): Promise<void> {
  const dir = tmpDir(`${board}-${tag}`);
  const gen = await generateC({ graph, board, outDir: join(dir, 'model') });
  const images = randomPixels(count, numElements(graph.tensors.image.shape), 99);
  const { logits } = await runOnQemu(gen.outDir, join(dir, 'firmware'), images, count, gen.hash, board);
  assertMatchesInterpreter(graph, images, count, logits, false);
}

for (const board of ['qemu-xtensa', 'qemu-riscv32']) {
  describe(`generated C on ${board} agrees with the interpreter`, { skip: missingForBoard(loadBoard(board)) }, () => {
    for (const scheme of ['int8', 'uint8'] as const) {
      // The high end, as on qemu-cortex-m4 (ops.test.ts): both ends run on the host under the sanitizers.
      test(`${scheme}: every op's edge cases, zero points at the high end`, async () => {
        await check(board, convGraph(scheme, 'high', 12), `conv-${scheme}`, 4);
        await check(board, otherOpsGraph(scheme, 'high', 22), `other-${scheme}`, 4);
      });
      test(`${scheme}: resnet-seed-sized layers`, { timeout: 600_000 }, () => check(board, seedSizedGraph(scheme), `seed-${scheme}`, 2));
    }
  });
}
