/**
 * Golden tests of the fused residual kernel (conv2d_add) and of in-place outputs: the residual
 * graphs of residual-graphs.ts generated with codegen's fusion pass, compiled for the host (gcc -O2
 * plain C, and -O1 with ASan + UBSan on the DSP path with its instructions emulated) and run on
 * QEMU (the real DSP instructions), compared byte for byte, layer by layer, with the integer
 * interpreter running the UNFUSED graph. The blocks the planner writes in place are asserted too,
 * so a case meant to overwrite its input (or meant not to) cannot silently change.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateC, type Generated } from '../../src/codegen/index.js';
import { numElements, type Graph } from '../../src/ir/graph.js';
import { RESIDUAL_CASES, residualGraph } from './residual-graphs.js';
import { assertMatchesInterpreter, compileModel, missing, randomPixels, runModel, runOnQemu, SANITIZE, tmpDir } from './helpers.js';

const IMAGES = 6;

/** The blocks' in-place flags as the plan made them, in block order. */
function inPlaceFlags(gen: Generated): boolean[] {
  const written = new Set(gen.plan.inPlace.map((w) => w.node));
  return gen.graph.nodes.filter((n) => n.op === 'conv2d_add').map((n) => written.has(n.name));
}

function assertPlan(gen: Generated, graph: Graph, inPlace: boolean[]): void {
  assert.deepEqual(inPlaceFlags(gen), inPlace, 'which blocks overwrite their input');
  for (const w of gen.plan.inPlace) assert.equal(gen.plan.offsets.get(w.output), gen.plan.offsets.get(w.input), `${w.node} writes at its input's offset`);
  assert.ok(gen.plan.lowerBound <= gen.plan.layerwiseBound);
  assert.equal(gen.source, graph);
}

describe('conv2d_add and in-place outputs match the unfused interpreter (gcc -O2 plain C, ASan+UBSan DSP path)', { skip: missing('gcc') }, () => {
  for (const scheme of ['int8', 'uint8'] as const) {
    RESIDUAL_CASES.forEach((c, k) => {
      test(`${scheme}: ${c.name}`, async () => {
        const graph = residualGraph(scheme, k % 2 ? 'high' : 'low', 40 + k, c.input, c.stemC, c.blocks);
        const dir = tmpDir(`fused-${scheme}-${k}`);
        const gen = await generateC({ graph, board: 'host', outDir: join(dir, 'model') });
        assertPlan(gen, graph, c.inPlace);
        const images = randomPixels(IMAGES, numElements(c.input), 100 + k);
        const tapped = gen.graph.nodes.map((n) => n.outputs[0]);
        for (const [build, flags] of [['O2', ['-O2']], ['sanitized-dsp', [...SANITIZE, '-DKIT_EMULATE_DSP']]] as const) {
          const bin = compileModel(gen.outDir, join(dir, `model-${build}`), { flags: [...flags], taps: true });
          assertMatchesInterpreter(graph, images, IMAGES, runModel(bin, images), true, tapped);
        }
      });
    });
  }
});

describe('conv2d_add on qemu-cortex-m4: the real DSP instructions agree with the unfused interpreter', { skip: missing('qemu-system-arm', 'arm-none-eabi-gcc') }, () => {
  for (const scheme of ['int8', 'uint8'] as const) {
    test(`${scheme}: every residual case`, async () => {
      for (const [k, c] of RESIDUAL_CASES.entries()) {
        const graph = residualGraph(scheme, k % 2 ? 'high' : 'low', 40 + k, c.input, c.stemC, c.blocks);
        const dir = tmpDir(`fused-qemu-${scheme}-${k}`);
        const gen = await generateC({ graph, board: 'qemu-cortex-m4', outDir: join(dir, 'model') });
        assertPlan(gen, graph, c.inPlace);
        const images = randomPixels(IMAGES, numElements(c.input), 200 + k);
        const { logits } = await runOnQemu(gen.outDir, join(dir, 'firmware'), images, IMAGES, gen.hash);
        assertMatchesInterpreter(graph, images, IMAGES, logits, false);
      }
    });
  }
});
