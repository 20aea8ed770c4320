/**
 * The parallel evaluation (worker threads) against the in-thread one, on the trained ResNet-8 and
 * the 200 CIFAR-10 sample test images, for both schemes: the same predictions, the same logit
 * bytes, the same per-image SQNR sums and the same reduced SQNR, bit for bit, for 1, 2 and 3
 * threads; and the in-thread fallbacks (KIT_EVAL_THREADS=1, small sets, workers that cannot start).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDataset } from '../../src/data/load-dataset.js';
import { hostReference, hostReferenceParallel } from '../../src/device/verify/reference.js';
import type { Graph, TensorData } from '../../src/ir/graph.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { argmax, compareGraphs, compareGraphsParallel, evaluateGraph, evaluateGraphParallel, evaluateQuantizedParallel } from '../../src/quantize/evaluate.js';
import { evalThreads, runImages, runImagesSync, type RunResult, type RunSpec } from '../../src/quantize/parallel-eval.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';

const TRAINED = join(process.cwd(), 'test/fixtures/resnet8');
const sample = loadDataset(join(process.cwd(), 'test/fixtures/cifar10-sample'));
const set = sample.test;
const calib = { images: sample.train.images.subarray(0, 32 * 3072), count: 32, split: 'train' };

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function assertSameBytes(a: ArrayBufferView | undefined, b: ArrayBufferView | undefined, what: string): void {
  assert.ok(a && b, `${what}: missing`);
  assert.ok(bytes(a).equals(bytes(b)), `${what}: bytes differ`);
}

function assertSameRun(a: RunResult, b: RunResult, what: string): void {
  assert.equal(a.count, b.count);
  assert.deepEqual(a.outputBytes, b.outputBytes);
  a.classes.forEach((c, g) => assertSameBytes(c, b.classes[g], `${what}: classes of graph ${g}`));
  a.outputs.forEach((o, g) => (o ? assertSameBytes(o, b.outputs[g], `${what}: outputs of graph ${g}`) : assert.equal(b.outputs[g], undefined)));
  if (a.sqnr) {
    assert.deepEqual(a.sqnr.ids, b.sqnr!.ids);
    assertSameBytes(a.sqnr.signal, b.sqnr!.signal, `${what}: SQNR signal`);
    assertSameBytes(a.sqnr.noise, b.sqnr!.noise, `${what}: SQNR noise`);
  } else assert.equal(b.sqnr, undefined);
}

/** compareGraphs as it was before the parallel path, kept here to pin the figures bit for bit. */
function legacyCompare(floatGraph: Graph, quantGraph: Graph): { predictions: [number[], number[]]; signal: Float64Array; noise: Float64Array; ids: string[] } {
  const f = new Interpreter(floatGraph);
  const q = new Interpreter(quantGraph);
  const n = f.inputLength;
  const ids = q.activations();
  const signal = new Float64Array(ids.length);
  const noise = new Float64Array(ids.length);
  const predictions: [number[], number[]] = [[], []];
  for (let i = 0; i < set.count; i++) {
    const img = set.images.subarray(i * n, (i + 1) * n);
    predictions[0].push(argmax(f.run(img)));
    predictions[1].push(argmax(q.run(img)));
    ids.forEach((id, t) => {
      const fv: TensorData = f.value(id);
      const qv: TensorData = q.value(id);
      const { scale, zeroPoint } = quantGraph.tensors[id].quant!;
      let s = 0;
      let e = 0;
      for (let k = 0; k < fv.length; k++) {
        const x = fv[k];
        const d = x - (qv[k] - zeroPoint[0]) * scale[0];
        s += x * x;
        e += d * d;
      }
      signal[t] += s;
      noise[t] += e;
    });
  }
  return { predictions, signal, noise, ids };
}

/** Quantized once per scheme (calibrated on 32 sample training images). */
const quantized = new Map<string, Promise<{ graph: Graph; floatGraph: Graph }>>();
function quantizedResnet8(scheme: string): Promise<{ graph: Graph; floatGraph: Graph }> {
  if (!quantized.has(scheme)) quantized.set(scheme, quantizeModel({ modelDir: TRAINED, scheme, calibImages: calib }));
  return quantized.get(scheme)!;
}

for (const scheme of ['int8', 'uint8'] as const) {
  describe(`ResNet-8 ${scheme} on the 200 sample test images: parallel == in-thread`, () => {
    let graph: Graph;
    let floatGraph: Graph;
    const spec = (): RunSpec => ({ graphs: [floatGraph, graph], keepOutputs: [true, true], sqnr: true });
    let serial: RunResult;

    before(async () => {
      ({ graph, floatGraph } = await quantizedResnet8(scheme));
      serial = runImagesSync(spec(), set.images, set.count);
    });

    test('per image: predictions, logit bytes and SQNR sums are identical for 1 and 2 (and 3) threads', async () => {
      assert.equal(serial.threads, 1);
      assert.equal(serial.outputBytes[1], 10); // ten 8-bit logits
      for (const threads of scheme === 'int8' ? [2, 3] : [2]) {
        const par = await runImages(spec(), set.images, set.count, { threads });
        assert.equal(par.threads, threads, 'the workers must really have run');
        assertSameRun(serial, par, `${threads} threads`);
      }
    });

    test('compareGraphs: parallel == in-thread == the pre-parallel implementation, bit for bit', async () => {
      const parallel = await compareGraphsParallel(floatGraph, graph, set, undefined, { threads: 2 });
      const legacy = legacyCompare(floatGraph, graph);
      assert.deepEqual([...serial.classes[0]], legacy.predictions[0]);
      assert.deepEqual([...serial.classes[1]], legacy.predictions[1]);
      legacy.ids.forEach((id, t) => {
        const db = legacy.noise[t] > 0 ? 10 * Math.log10(legacy.signal[t] / legacy.noise[t]) : null;
        assert.ok(Object.is(parallel.sqnrDb.get(id), db), `${id}: ${parallel.sqnrDb.get(id)} vs ${db}`);
      });
      assert.equal(parallel.sqnrDb.size, legacy.ids.length);
      const labels = set.labels;
      const top1 = (p: number[]) => p.filter((c, i) => c === labels[i]).length / set.count;
      assert.equal(parallel.floatTop1, top1(legacy.predictions[0]));
      assert.equal(parallel.quantTop1, top1(legacy.predictions[1]));
      assert.equal(parallel.agreement, legacy.predictions[0].filter((c, i) => c === legacy.predictions[1][i]).length / set.count);
      assert.ok(parallel.quantTop1 > 0.5, `trained model: top-1 ${parallel.quantTop1}`);
      if (scheme === 'int8') assert.deepStrictEqual(compareGraphs(floatGraph, graph, set), parallel);
    });

    if (scheme === 'int8') {
      test('evaluateGraph / evaluateQuantized and the verify host reference: parallel == in-thread', async () => {
        const evaluation = await evaluateQuantizedParallel(graph, set.images, set.labels, undefined, { threads: 2 });
        assertSameBytes(evaluation.predictions, serial.classes[1], 'predictions');
        assert.equal(evaluation.correct, serial.classes[1].filter((c, i) => c === set.labels[i]).length);
        const first64 = { images: set.images.subarray(0, 64 * 3072), labels: set.labels.subarray(0, 64), count: 64 };
        assert.deepStrictEqual(evaluateGraph(graph, first64), await evaluateGraphParallel(graph, first64, undefined, { threads: 2 }));

        const ref = await hostReferenceParallel(graph, floatGraph, set, undefined, { threads: 2 });
        assert.equal(ref.outputBytes, 10);
        assertSameBytes(ref.logits, serial.outputs[1], 'host reference logits');
        assertSameBytes(ref.intClass, serial.classes[1], 'host reference integer classes');
        assertSameBytes(ref.floatClass, serial.classes[0], 'host reference float classes');
        assert.deepStrictEqual(hostReference(graph, floatGraph, first64), await hostReferenceParallel(graph, floatGraph, first64, undefined, { threads: 2 }));
        const intOnly = await hostReferenceParallel(graph, undefined, set, undefined, { threads: 2 });
        assert.equal(intOnly.floatClass, undefined);
        assertSameBytes(intOnly.logits, ref.logits, 'integer-only host reference');
      });
    }
  });
}

describe('parallel evaluation: progress and in-thread fallbacks', () => {
  let graph: Graph;
  let serial: RunResult;
  const saved = process.env.KIT_EVAL_THREADS;
  before(async () => {
    ({ graph } = await quantizedResnet8('int8'));
    serial = runImagesSync({ graphs: [graph], keepOutputs: [true] }, set.images, set.count);
  });
  after(() => {
    if (saved === undefined) delete process.env.KIT_EVAL_THREADS;
    else process.env.KIT_EVAL_THREADS = saved;
  });

  test('progress from the workers adds up, in order, to the whole set', async () => {
    const seen: number[] = [];
    const r = await runImages({ graphs: [graph], keepOutputs: [true] }, set.images, set.count, { threads: 2, onProgress: (done, total) => (assert.equal(total, set.count), seen.push(done)) });
    assert.equal(r.threads, 2);
    assert.ok(seen.length > 2, `${seen.length} progress calls`);
    assert.ok(seen.every((d, i) => i === 0 || d > seen[i - 1]), 'progress only grows');
    assert.equal(seen.at(-1), set.count);
    assertSameRun(serial, r, 'with progress');
  });

  test('KIT_EVAL_THREADS=1 evaluates in-thread; KIT_EVAL_THREADS=2 uses two workers; nonsense is refused', async () => {
    process.env.KIT_EVAL_THREADS = '1';
    assert.equal(evalThreads(), 1);
    const progress: number[] = [];
    const r = await runImages({ graphs: [graph], keepOutputs: [true] }, set.images, set.count, { onProgress: (d) => progress.push(d) });
    assert.equal(r.threads, 1);
    assert.equal(progress.length, set.count); // per image, as before
    assertSameRun(serial, r, 'KIT_EVAL_THREADS=1');
    process.env.KIT_EVAL_THREADS = '2';
    const r2 = await runImages({ graphs: [graph], keepOutputs: [true] }, set.images, set.count);
    assert.equal(r2.threads, 2);
    assertSameRun(serial, r2, 'KIT_EVAL_THREADS=2');
    process.env.KIT_EVAL_THREADS = 'many';
    assert.throws(() => evalThreads(), /KIT_EVAL_THREADS must be a positive integer/);
    await assert.rejects(runImages({ graphs: [graph] }, set.images, set.count), /KIT_EVAL_THREADS/);
    delete process.env.KIT_EVAL_THREADS;
    assert.ok(evalThreads() >= 1);
  });

  test('sets below the threshold run in-thread', async () => {
    const r = await runImages({ graphs: [graph], keepOutputs: [true] }, set.images, 40, { threads: 2 });
    assert.equal(r.threads, 1);
    assertSameBytes(r.outputs[0], serial.outputs[0]!.subarray(0, 40 * 10), 'small set');
    const forced = await runImages({ graphs: [graph], keepOutputs: [true] }, set.images, 40, { threads: 2, minImages: 1 });
    assert.equal(forced.threads, 2);
    assertSameBytes(forced.outputs[0], r.outputs[0], 'small set on workers');
  });

  test('workers that cannot start fall back to in-thread evaluation with the same results', async () => {
    for (const entry of ['./no-such-worker.js', './no-such-worker.ts']) {
      const r = await runImages({ graphs: [graph], keepOutputs: [true] }, set.images, set.count, { threads: 2, workerEntry: new URL(entry, import.meta.url) });
      assert.equal(r.threads, 1, entry);
      assertSameRun(serial, r, `fallback (${entry})`);
    }
  });

  test('an error inside a worker is reported, not swallowed', async () => {
    // A graph whose constants pass the main thread's checks but not the interpreter's: the
    // workers cannot build it, so the calling thread tries and reports the interpreter's error.
    const broken: Graph = { ...graph, nodes: graph.nodes.map((n, i) => (i === 1 ? { ...n, op: 'no-such-op' } : n)) };
    await assert.rejects(runImages({ graphs: [broken] }, set.images, set.count, { threads: 2 }), /unknown op 'no-such-op'/);
  });
});
