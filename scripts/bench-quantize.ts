/**
 * Speed of kit's integer reference interpreter (and of the float reference) on ResNet-8:
 *   node --import tsx scripts/bench-quantize.ts [images=1000] [scheme=int8|uint8] [--threads N[,M...]]
 * Uses a randomly initialized ResNet-8 and synthetic images (speed does not depend on the weights).
 * Prints the mean over all images and the best of 10 equal slices, since a shared machine is noisy.
 * With --threads, also times the (parallel) evaluation of `images` synthetic images per thread count.
 *
 * Full evaluation of a real model on a real test set (what `kit quantize` does):
 *   node --import tsx scripts/bench-quantize.ts --data data/cifar10 [--model DIR] [--scheme int8]
 *       [--threads 1,2] [--count N] [--calib N] [--compare] [--repeat R]
 * --model is a quantized artefact folder (graph.json) or a trained model folder (kit.json; it is
 * quantized first, calibrated on --calib training images); default test/fixtures/resnet8.
 * --compare times the float vs integer comparison (both models + per-layer SQNR) instead of the
 * integer model alone. Every thread count must give identical results; the script checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomResnet8, syntheticImages, CIFAR_NORMALIZATION } from '../test/quantize/fixtures.js';
import { loadDataset } from '../src/data/load-dataset.js';
import { sampleImages } from '../src/data/sample.js';
import type { Graph } from '../src/ir/graph.js';
import { GRAPH_FILE } from '../src/ir/serialize.js';
import { Interpreter } from '../src/ir/interpreter.js';
import { compareGraphsParallel, evaluateGraphParallel, type Comparison, type EvaluationResult } from '../src/quantize/evaluate.js';
import { loadFloatGraph, loadQuantized } from '../src/quantize/artefact.js';
import { evalThreads } from '../src/quantize/parallel-eval.js';
import { quantizeLayersModel, quantizeModel } from '../src/quantize/quantize-model.js';
import { loadNativeAddon } from '../src/train/backend/native-addon.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string' },
    model: { type: 'string', default: 'test/fixtures/resnet8' },
    scheme: { type: 'string' },
    threads: { type: 'string' },
    count: { type: 'string' },
    calib: { type: 'string', default: '100' },
    compare: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
  },
});

const scheme = flags.scheme ?? positionals[1] ?? 'int8';
const threadCounts = (flags.threads ?? '').split(',').filter(Boolean).map(Number);
for (const t of threadCounts) if (!Number.isInteger(t) || t < 1) throw new Error(`--threads takes positive integers, got '${flags.threads}'`);
const repeat = Number(flags.repeat);
const pixels = 32 * 32 * 3;

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat), to see what else ran. */
function machineBusySeconds(): number | undefined {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const jiffies = fields.map(Number);
    const idle = jiffies[3] + (jiffies[4] ?? 0);
    return (jiffies.slice(0, 8).reduce((a, b) => a + b, 0) - idle) / 100;
  } catch {
    return undefined;
  }
}

type Outcome = { seconds: number; cpuSeconds: number; otherSeconds?: number; threads: number[]; result: EvaluationResult | Comparison; summary: string };

/** Times the evaluation for each thread count (best of --repeat) and checks they agree exactly. */
async function timeEvaluation(graph: Graph, floatGraph: Graph | undefined, set: { images: Uint8Array; labels: Uint8Array; count: number }, counts: number[]): Promise<void> {
  let reference: Outcome | undefined;
  for (const threads of counts) {
    let best: Outcome | undefined;
    for (let r = 0; r < repeat; r++) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const busy0 = machineBusySeconds();
      let outcome: Outcome;
      if (floatGraph) {
        const c = await compareGraphsParallel(floatGraph, graph, set, undefined, { threads });
        outcome = { seconds: 0, cpuSeconds: 0, threads: [threads], result: c, summary: `float ${(100 * c.floatTop1).toFixed(2)}%, integer ${(100 * c.quantTop1).toFixed(2)}%, agreement ${(100 * c.agreement).toFixed(2)}%` };
      } else {
        const e = await evaluateGraphParallel(graph, set, undefined, { threads });
        outcome = { seconds: 0, cpuSeconds: 0, threads: [threads], result: e, summary: `integer top-1 ${(100 * e.top1).toFixed(2)}%` };
      }
      outcome.seconds = (performance.now() - t0) / 1e3;
      const cpu = process.cpuUsage(cpu0);
      outcome.cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const busy1 = machineBusySeconds();
      outcome.otherSeconds = busy0 !== undefined && busy1 !== undefined ? Math.max(0, busy1 - busy0 - outcome.cpuSeconds) : undefined;
      if (!best || outcome.seconds < best.seconds) best = outcome;
    }
    const b = best!;
    const what = floatGraph ? 'float vs integer comparison' : 'integer evaluation';
    console.log(
      `${what}, ${threads} thread${threads > 1 ? 's' : ''}: ${b.seconds.toFixed(2)} s for ${set.count} images = ` +
        `${((1e3 * b.seconds) / Math.max(1, set.count)).toFixed(2)} ms/image, ${(set.count / b.seconds).toFixed(0)} images/s` +
        `${repeat > 1 ? ` (best of ${repeat})` : ''}; ${b.summary}`,
    );
    // CPU time of the whole process (workers included): well below threads x wall time means
    // the threads waited for cores, i.e. the machine was busy with something else.
    console.log(
      `  cpu ${b.cpuSeconds.toFixed(1)} s = ${(b.cpuSeconds / b.seconds).toFixed(2)} cores busy on average (of ${Math.min(threads, availableParallelism())} usable)` +
        (b.otherSeconds !== undefined ? `; other processes: ${b.otherSeconds.toFixed(1)} cpu s (${(b.otherSeconds / b.seconds).toFixed(2)} cores)` : ''),
    );
    if (!reference) reference = b;
    else if (!sameResult(reference.result, b.result)) throw new Error(`${threads} threads gave a different result than ${reference.threads[0]}`);
  }
  if (counts.length > 1) console.log(`results identical for ${counts.join(', ')} threads`);
}

function sameResult(a: EvaluationResult | Comparison, b: EvaluationResult | Comparison): boolean {
  if ('predictions' in a && 'predictions' in b) return a.correct === b.correct && a.predictions.every((p, i) => p === b.predictions[i]);
  if ('sqnrDb' in a && 'sqnrDb' in b) {
    return a.floatTop1 === b.floatTop1 && a.quantTop1 === b.quantTop1 && a.agreement === b.agreement && [...a.sqnrDb].every(([id, v]) => Object.is(b.sqnrDb.get(id), v));
  }
  return false;
}

async function loadModel(dir: string, ds: ReturnType<typeof loadDataset>): Promise<{ graph: Graph; floatGraph?: Graph; how: string }> {
  if (existsSync(join(dir, GRAPH_FILE))) {
    const { graph } = await loadQuantized(dir);
    return { graph, floatGraph: await loadFloatGraph(dir), how: `quantized artefact ${dir} (${graph.scheme})` };
  }
  const calib = sampleImages(ds.train, Number(flags.calib), 1);
  const t0 = performance.now();
  const q = await quantizeModel({ modelDir: dir, scheme, calibImages: { images: calib.images, count: calib.count, split: 'train' } });
  return { graph: q.graph, floatGraph: q.floatGraph, how: `${dir} quantized ${scheme} on ${calib.count} training images in ${((performance.now() - t0) / 1e3).toFixed(1)} s` };
}

async function benchData(path: string): Promise<void> {
  let t0 = performance.now();
  const ds = loadDataset(path);
  const test = sampleImages(ds.test, flags.count === undefined ? undefined : Number(flags.count), 1);
  console.log(`test set ${ds.source}: ${test.count} images (loaded in ${((performance.now() - t0) / 1e3).toFixed(1)} s)`);
  t0 = performance.now();
  const { graph, floatGraph, how } = await loadModel(flags.model!, ds);
  console.log(`model: ${how}`);
  if (flags.compare && !floatGraph) throw new Error(`--compare needs the float graph, and ${flags.model} has none`);
  const counts = threadCounts.length ? threadCounts : [...new Set([1, evalThreads()])];
  await timeEvaluation(graph, flags.compare ? floatGraph : undefined, test, counts);
}

async function benchSynthetic(): Promise<void> {
  const count = Number(positionals[0] ?? 1000);
  const { graph, floatGraph, report } = quantizeLayersModel(randomResnet8(1), CIFAR_NORMALIZATION, {
    scheme,
    calibImages: { images: syntheticImages(16, 2), count: 16 },
  });
  const macs = report.totals.macs;
  const images = syntheticImages(Math.min(count, 100), 3);

  function time(label: string, interp: Interpreter, n: number): void {
    const image = (i: number) => images.subarray((i % 100) * pixels, ((i % 100) + 1) * pixels);
    for (let i = 0; i < 20; i++) interp.run(image(i)); // warm up the JIT
    const slice = Math.max(1, Math.floor(n / 10));
    let best = Infinity;
    const t0 = performance.now();
    for (let s = 0; s < 10; s++) {
      const t = performance.now();
      for (let i = 0; i < slice; i++) interp.run(image(s * slice + i));
      best = Math.min(best, (performance.now() - t) / slice);
    }
    const mean = (performance.now() - t0) / (10 * slice);
    const fmt = (ms: number) => `${ms.toFixed(2)} ms/image = ${(macs / ms / 1e3).toFixed(0)} MMAC/s = ${(ms * 10).toFixed(1)} s per 10,000 images`;
    console.log(`${label}\n  mean ${fmt(mean)}\n  best ${fmt(best)}`);
  }

  console.log(`ResNet-8: ${(macs / 1e6).toFixed(2)} M MACs/image, scheme ${scheme}, ${count} images per measurement`);
  // The native addon's accumulation when it is built; KIT_NATIVE=0 times the JS packed loop.
  time(`integer reference (${loadNativeAddon().ok ? 'native' : 'packed JS'} accumulation)`, new Interpreter(graph), count);
  time('integer reference (plain accumulation)', new Interpreter(graph, { plainAccumulation: true }), Math.min(count, 200));
  time('float reference', new Interpreter(floatGraph), Math.min(count, 500));

  if (threadCounts.length) {
    // The whole evaluation path (worker start-up included) on `count` synthetic images.
    const tiled = new Uint8Array(count * pixels);
    for (let i = 0; i < count; i++) tiled.set(images.subarray((i % 100) * pixels, ((i % 100) + 1) * pixels), i * pixels);
    await timeEvaluation(graph, undefined, { images: tiled, labels: new Uint8Array(count), count }, threadCounts);
  }
}

if (flags.data !== undefined) await benchData(flags.data);
else await benchSynthetic();
