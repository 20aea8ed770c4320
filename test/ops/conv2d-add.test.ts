/**
 * conv2d_add, the fused residual block: the fusion pass's output graph computes, in the integer
 * interpreter, exactly what the unfused graph computes (every tensor both graphs write), and the
 * in-place rule agrees with a byte-level simulation of the kernel's store order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Interpreter } from '../../src/ir/interpreter.js';
import { fuseResidualAdds } from '../../src/ops/conv2d-add/fuse.js';
import { shortcutInPlaceHolds, type ShortcutGeometry } from '../../src/ops/conv2d-add/in-place.js';
import { randomPixels } from '../codegen/helpers.js';
import { RESIDUAL_CASES, residualGraph } from '../codegen/residual-graphs.js';
import { rng } from '../quantize/random.js';

for (const scheme of ['int8', 'uint8'] as const) {
  RESIDUAL_CASES.forEach((c, k) => {
    test(`${scheme}, ${c.name}: the fused graph's interpreter equals the unfused one on every tensor`, () => {
      const graph = residualGraph(scheme, k % 2 ? 'high' : 'low', 40 + k, c.input, c.stemC, c.blocks);
      const { graph: fused, fusions } = fuseResidualAdds(graph);
      assert.equal(fusions.length, c.blocks.length, 'every block fused');
      assert.deepEqual(fused.nodes.map((n) => n.op), ['normalize_input', 'conv2d', ...c.blocks.flatMap(() => ['conv2d', 'conv2d_add'])]);
      // Identity shortcuts fuse conv + add, conv shortcuts conv + shortcut + add.
      let channels = c.stemC;
      const sizes = c.blocks.map((b) => {
        const identity = b.shortcut !== 'conv' && b.stride === 1 && b.outC === channels;
        channels = b.outC;
        return identity ? 2 : 3;
      });
      assert.deepEqual(fusions.map((f) => f.fused.length), sizes);
      const images = randomPixels(4, c.input[0] * c.input[1] * c.input[2], 7 + k);
      const n = images.length / 4;
      for (const plain of [false, true]) {
        const ref = new Interpreter(graph, { plainAccumulation: plain });
        const run = new Interpreter(fused, { plainAccumulation: plain });
        for (let i = 0; i < 4; i++) {
          const img = images.subarray(i * n, (i + 1) * n);
          ref.run(img);
          run.run(img);
          for (const node of fused.nodes) {
            const id = node.outputs[0];
            assert.deepEqual(Array.from(run.value(id)), Array.from(ref.value(id)), `image ${i}, tensor ${id}`);
          }
        }
      }
    });
  });
}

test('the fusion pass leaves an add alone when the conv output has another reader or the graph outputs it', () => {
  const graph = residualGraph('int8', 'low', 3, [4, 4, 3], 4, [{ outC: 4, stride: 1 }]);
  const add = graph.nodes[graph.nodes.length - 1];
  const main = add.inputs[1];
  // The main conv's output is the graph output too, or read by another node: nothing to fuse.
  assert.equal(fuseResidualAdds({ ...graph, outputs: [main] }).fusions.length, 0);
  const extra = { name: 'extra', op: 'relu', inputs: [main], outputs: ['extra'], attrs: {}, intParams: { activationMin: 0, activationMax: 127 } };
  assert.equal(fuseResidualAdds({ ...graph, tensors: { ...graph.tensors, extra: graph.tensors[main] }, nodes: [...graph.nodes, extra] }).fusions.length, 0);
  // Identity shortcut: a fusion of two nodes, the add keeps its name and output.
  const { graph: fused, fusions } = fuseResidualAdds(graph);
  assert.deepEqual(fusions, [{ node: add.name, fused: [graph.nodes[graph.nodes.length - 2].name, add.name] }]);
  assert.equal(fused.nodes[fused.nodes.length - 1].outputs[0], add.outputs[0]);
});

/**
 * The kernel's reads and stores simulated byte by byte, output at the input's offset: per output
 * row, a 1x1 shortcut first widens the input pixels 0..(OW - 1) sW of row sH oy into its row buffer,
 * then the row's outputs are stored; the identity reads each value's own byte right before storing
 * it. True when no read ever sees a byte a store already replaced.
 */
function simulate(g: ShortcutGeometry): boolean {
  const [, w, cin] = g.input;
  const [oh, ow, cout] = g.output;
  const written = new Uint8Array(Math.max(g.input.reduce((a, b) => a * b), oh * ow * cout));
  for (let oy = 0; oy < oh; oy++) {
    if (g.identity) {
      for (let k = oy * ow * cout; k < (oy + 1) * ow * cout; k++) {
        if (written[k]) return false;
        written[k] = 1;
      }
      continue;
    }
    const copy = Math.min(w, (ow - 1) * g.strides[1] + 1);
    const start = oy * g.strides[0] * w * cin;
    for (let k = start; k < start + copy * cin; k++) if (written[k]) return false;
    written.fill(1, oy * ow * cout, (oy + 1) * ow * cout);
  }
  return true;
}

test('the in-place rule equals a byte-level simulation of the kernel on 2,000 random shortcut geometries', () => {
  const rand = rng(17);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  let holds = 0;
  for (let t = 0; t < 2000; t++) {
    const s: [number, number] = [int(1, 3), int(1, 3)];
    const h = int(1, 9), w = int(1, 9), cin = int(1, 9);
    const out = [Math.ceil(h / s[0]), Math.ceil(w / s[1]), int(1, 4 * cin)];
    const g = { input: [h, w, cin], output: out, strides: s, identity: false };
    assert.equal(shortcutInPlaceHolds(g), simulate(g), JSON.stringify(g));
    if (simulate(g)) holds++;
  }
  assert.ok(holds > 200 && holds < 1800, `both outcomes are exercised (${holds} hold)`);
  // The cases the proof in in-place.ts names.
  const conv = (input: number[], output: number[], s: number) => shortcutInPlaceHolds({ input, output, strides: [s, s], identity: false });
  assert.equal(shortcutInPlaceHolds({ input: [32, 32, 16], output: [32, 32, 16], strides: [1, 1], identity: true }), true);
  assert.equal(simulate({ input: [5, 3, 7], output: [5, 3, 7], strides: [1, 1], identity: true }), true);
  assert.equal(conv([32, 32, 16], [32, 32, 16], 1), true);
  assert.equal(conv([32, 32, 16], [16, 16, 32], 2), true);
  assert.equal(conv([7, 7, 5], [4, 4, 10], 2), true);
  assert.equal(conv([5, 5, 2], [3, 3, 6], 2), true); // 3x at stride 2: 2 W >= 3 OW
  assert.equal(conv([8, 8, 4], [4, 4, 20], 2), false); // 5x at stride 2
  assert.equal(conv([3, 5, 3], [3, 5, 6], 1), false); // widening at stride 1
});
