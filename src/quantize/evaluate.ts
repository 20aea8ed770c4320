import { KitError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { numElements } from '../ir/graph.js';
import { runImages, runImagesSync, type RunOptions, type RunResult } from './parallel-eval.js';
import type { LabelledSet, ProgressFn } from './types.js';

export { argmax } from './parallel-eval.js';

/** Options of the parallel evaluations (thread count, small-set threshold). */
export type ParallelOptions = Omit<RunOptions, 'onProgress'>;

export interface EvaluationResult {
  count: number;
  correct: number;
  /** Fraction of images whose top-1 class is the label. */
  top1: number;
  predictions: Uint8Array;
}

function checkSet(set: LabelledSet, graph: Graph): void {
  const pixelsPerImage = numElements(graph.tensors[graph.inputs[0]]?.shape ?? []);
  if (set.labels.length < set.count || set.images.length < set.count * pixelsPerImage) {
    throw new KitError('eval-size', 'quantize', `evaluation set has ${set.labels.length} labels and ${set.images.length} bytes for ${set.count} images`);
  }
}

const evaluateProgress = (onProgress?: ProgressFn) => onProgress && ((done: number, total: number) => onProgress({ phase: 'evaluate', done, total }));

function evaluation(r: RunResult, set: LabelledSet): EvaluationResult {
  const predictions = r.classes[0];
  let correct = 0;
  for (let i = 0; i < set.count; i++) if (predictions[i] === set.labels[i]) correct++;
  return { count: set.count, correct, top1: set.count ? correct / set.count : 0, predictions };
}

/** Top-1 accuracy of a graph (float or quantized) on labelled images, in the calling thread. */
export function evaluateGraph(graph: Graph, set: LabelledSet, onProgress?: ProgressFn): EvaluationResult {
  checkSet(set, graph);
  return evaluation(runImagesSync({ graphs: [graph] }, set.images, set.count, evaluateProgress(onProgress)), set);
}

/** evaluateGraph on worker threads (identical result; in-thread for small sets or one thread). */
export async function evaluateGraphParallel(graph: Graph, set: LabelledSet, onProgress?: ProgressFn, options: ParallelOptions = {}): Promise<EvaluationResult> {
  checkSet(set, graph);
  return evaluation(await runImages({ graphs: [graph] }, set.images, set.count, { ...options, onProgress: evaluateProgress(onProgress) }), set);
}

function needQuantized(graph: Graph): void {
  if (graph.kind !== 'quantized') throw new KitError('not-quantized', 'quantize', 'evaluateQuantized needs a quantized graph');
}

/** Top-1 accuracy of the quantized (integer) model on labelled images: what the device should get. */
export function evaluateQuantized(graph: Graph, images: Uint8Array, labels: Uint8Array, onProgress?: ProgressFn): EvaluationResult {
  needQuantized(graph);
  return evaluateGraph(graph, { images, labels, count: labels.length }, onProgress);
}

/** evaluateQuantized on worker threads (identical result). */
export async function evaluateQuantizedParallel(graph: Graph, images: Uint8Array, labels: Uint8Array, onProgress?: ProgressFn, options: ParallelOptions = {}): Promise<EvaluationResult> {
  needQuantized(graph);
  return evaluateGraphParallel(graph, { images, labels, count: labels.length }, onProgress, options);
}

export interface Comparison {
  count: number;
  floatTop1: number;
  quantTop1: number;
  /** Fraction of images where float and integer models pick the same class. */
  agreement: number;
  /** Per activation tensor: 10 log10(sum f^2 / sum (f - dequant(q))^2), null when the error is 0. */
  sqnrDb: Map<string, number | null>;
}

const compareSpec = (floatGraph: Graph, quantGraph: Graph) => ({ graphs: [floatGraph, quantGraph], sqnr: true });

/**
 * The comparison from per-image results. The SQNR sums are reduced here, per tensor in image
 * order, whichever thread computed which image: the same bits for any thread count.
 */
function comparison(r: RunResult, set: LabelledSet): Comparison {
  const [pf, pq] = r.classes;
  let floatCorrect = 0;
  let quantCorrect = 0;
  let agree = 0;
  for (let i = 0; i < set.count; i++) {
    if (pf[i] === set.labels[i]) floatCorrect++;
    if (pq[i] === set.labels[i]) quantCorrect++;
    if (pf[i] === pq[i]) agree++;
  }
  const { ids, signal: perImageSignal, noise: perImageNoise } = r.sqnr!;
  const layers = ids.length;
  const signal = new Float64Array(layers);
  const noise = new Float64Array(layers);
  for (let i = 0; i < set.count; i++) {
    for (let t = 0; t < layers; t++) {
      signal[t] += perImageSignal[i * layers + t];
      noise[t] += perImageNoise[i * layers + t];
    }
  }
  const count = Math.max(set.count, 1);
  return {
    count: set.count,
    floatTop1: floatCorrect / count,
    quantTop1: quantCorrect / count,
    agreement: agree / count,
    sqnrDb: new Map(ids.map((id, t) => [id, noise[t] > 0 ? 10 * Math.log10(signal[t] / noise[t]) : null])),
  };
}

/**
 * Run the float and the integer graph side by side on labelled images: accuracies, top-1 agreement,
 * and the SQNR of every activation (float value vs. dequantized integer value), summed over images.
 * In the calling thread; compareGraphsParallel gives the same result on worker threads.
 */
export function compareGraphs(floatGraph: Graph, quantGraph: Graph, set: LabelledSet, onProgress?: ProgressFn): Comparison {
  checkSet(set, floatGraph);
  return comparison(runImagesSync(compareSpec(floatGraph, quantGraph), set.images, set.count, evaluateProgress(onProgress)), set);
}

/** compareGraphs on worker threads: bit-identical accuracies and SQNR for any thread count. */
export async function compareGraphsParallel(floatGraph: Graph, quantGraph: Graph, set: LabelledSet, onProgress?: ProgressFn, options: ParallelOptions = {}): Promise<Comparison> {
  checkSet(set, floatGraph);
  const r = await runImages(compareSpec(floatGraph, quantGraph), set.images, set.count, { ...options, onProgress: evaluateProgress(onProgress) });
  return comparison(r, set);
}
