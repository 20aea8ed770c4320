import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPlan, lowerBound, placeIntervals, planMemory, type Interval } from '../../src/codegen/memory-plan.js';
import { GRAPH_VERSION, type Graph, type GraphNode, type TensorSpec } from '../../src/ir/graph.js';
import { rng } from '../quantize/random.js';

/** Buffers live at the same step must not share a byte (the planner re-checks; this checks independently). */
function assertNoOverlap(intervals: Interval[], offsets: Map<string, number>): void {
  for (const a of intervals) {
    for (const b of intervals) {
      if (a === b || a.last < b.first || b.last < a.first) continue;
      const [oa, ob] = [offsets.get(a.id)!, offsets.get(b.id)!];
      assert.ok(oa + a.size <= ob || ob + b.size <= oa, `${a.id} [${oa}, ${oa + a.size}) and ${b.id} [${ob}, ${ob + b.size}) are live together and overlap`);
    }
  }
}

test('random lifetimes: no two simultaneously live buffers overlap, the peak is at least the bound', () => {
  const rand = rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const steps = 2 + Math.floor(rand() * 20);
    const intervals: Interval[] = Array.from({ length: 1 + Math.floor(rand() * 25) }, (_, i) => {
      const first = Math.floor(rand() * steps);
      return { id: `t${i}`, size: 4 * (1 + Math.floor(rand() * 64)), first, last: first + Math.floor(rand() * 5) };
    });
    const p = placeIntervals(intervals);
    assertNoOverlap(intervals, p.offsets);
    const { bound } = lowerBound(intervals);
    assert.ok(p.peak >= bound);
    for (const iv of intervals) assert.ok(p.offsets.get(iv.id)! % 4 === 0 && p.offsets.get(iv.id)! + iv.size <= p.peak);
  }
});

test('chains (each tensor read only by the next op) are planned at exactly the lower bound', () => {
  const rand = rng(9);
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + Math.floor(rand() * 15);
    const chain: Interval[] = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, size: 4 * (1 + Math.floor(rand() * 100)), first: i, last: i + 1 }));
    const p = placeIntervals(chain);
    assertNoOverlap(chain, p.offsets);
    assert.equal(p.peak, lowerBound(chain).bound, JSON.stringify(chain.map((c) => c.size)));
  }
});

test('the plan check itself rejects overlapping live buffers', () => {
  assert.throws(() => checkPlan([
    { id: 'a', size: 8, first: 0, last: 2, offset: 0 },
    { id: 'b', size: 8, first: 1, last: 1, offset: 4 },
  ]), /live together but overlap/);
});

/** A graph of relus (plans only look at shapes, lifetimes and aliasing). */
function graphOf(nodes: [string, string[], number[]][], output: string): Graph {
  const tensors: Record<string, TensorSpec> = { image: { shape: [4, 4, 3], dtype: 'uint8' } };
  const list: GraphNode[] = nodes.map(([name, inputs, shape]) => {
    tensors[name] = { shape, dtype: 'int8' };
    return { name, op: name.startsWith('flat') ? 'flatten' : 'relu', inputs, outputs: [name], attrs: {} };
  });
  return { version: GRAPH_VERSION, kind: 'quantized', tensors, nodes: list, inputs: ['image'], outputs: [output] };
}

test('a residual block, layer by layer: the block input stays live for the add; flatten shares its input bytes', () => {
  const g = graphOf(
    [
      ['x', ['image'], [8, 8, 4]], // 256 B
      ['a', ['x'], [8, 8, 4]],
      ['b', ['a'], [8, 8, 4]],
      ['s', ['x', 'b'], [8, 8, 4]], // reads x: three 256-byte tensors live at b and at s
      ['flat', ['s'], [256]],
      ['out', ['flat'], [256]],
    ],
    'out',
  );
  const plan = planMemory(g, { inPlace: false });
  assert.equal(plan.lowerBound, 768);
  assert.equal(plan.layerwiseBound, 768);
  assert.equal(plan.arenaBytes, 768);
  assert.deepEqual(plan.inPlace, []);
  assert.equal(plan.offsets.get('flat'), plan.offsets.get('s'), 'flatten aliases its input');
  assert.deepEqual(plan.liveBytes, [256, 512, 768, 768, 256, 512]);
  assert.ok(!plan.offsets.has('image'), 'the pixels are the caller\'s buffer');
  const byId = new Map(plan.buffers.map((b) => [b.id, b]));
  assert.deepEqual([byId.get('x')!.first, byId.get('x')!.last], [0, 3]);
  assert.deepEqual(byId.get('s')!.aliases, ['flat']);
});

test('scratch bytes are recorded per node and the shared buffer is sized for the largest', () => {
  const g = graphOf([['x', ['image'], [4, 4, 4]], ['y', ['x'], [4, 4, 4]]], 'y');
  const plan = planMemory(g, { scratch: (i) => [10, 100][i] });
  assert.deepEqual(plan.scratchBytes, [12, 100]);
  assert.equal(plan.scratchTotal, 100);
});

test('the same block with in-place element-wise ops: each relu whose input dies there writes over it', () => {
  const g = graphOf(
    [
      ['x', ['image'], [8, 8, 4]],
      ['a', ['x'], [8, 8, 4]], // x is read later: a gets its own buffer
      ['b', ['a'], [8, 8, 4]], // a dies here: b over a
      ['s', ['x', 'b'], [8, 8, 4]], // x dies here: s over x (b is not one of relu's activation inputs)
      ['flat', ['s'], [256]],
      ['out', ['flat'], [256]], // over flat, i.e. over x's bytes
    ],
    'out',
  );
  const plan = planMemory(g);
  assert.deepEqual(plan.inPlace.map((w) => [w.node, w.input]), [['b', 'a'], ['s', 'x'], ['out', 'flat']]);
  assert.equal(plan.lowerBound, 512);
  assert.equal(plan.arenaBytes, 512);
  assert.equal(plan.layerwiseBound, 768, 'the layer-wise bound is the plan without in-place writes');
  assert.deepEqual(plan.liveBytes, [256, 512, 512, 512, 256, 256]);
  for (const w of plan.inPlace) assert.equal(plan.offsets.get(w.output), plan.offsets.get(w.input));
});

test('an output never overwrites the graph input, a graph output or a tensor read later', () => {
  const g = graphOf([['x', ['image'], [4, 4, 4]], ['y', ['x'], [4, 4, 4]], ['z', ['x'], [4, 4, 4]]], 'z');
  // y reads x but z reads it later; z reads x last: z over x.
  assert.deepEqual(planMemory(g).inPlace.map((w) => w.node), ['z']);
  const h = graphOf([['x', ['image'], [4, 4, 4]], ['y', ['x'], [4, 4, 4]]], 'x');
  assert.deepEqual(planMemory(h).inPlace, [], 'x is the graph output');
  assert.deepEqual(planMemory(graphOf([['x', ['image'], [4, 4, 3]]], 'x')).inPlace, [], 'the pixels are the caller\'s');
});
