import { KitError } from '../errors.js';
import type { Graph, TensorData } from '../ir/graph.js';
import { Interpreter } from '../ir/interpreter.js';
import type { LabelledSet, ProgressFn } from './types.js';

/** Index of the largest value; ties go to the first, as in tf.argMax and the C code. */
export function argmax(data: ArrayLike<number>, offset = 0, length = data.length - offset): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (data[offset + i] > data[offset + best]) best = i;
  return best;
}

export interface EvaluationResult {
  count: number;
  correct: number;
  /** Fraction of images whose top-1 class is the label. */
  top1: number;
  predictions: Uint8Array;
}

function checkSet(set: LabelledSet, pixelsPerImage: number): void {
  if (set.labels.length < set.count || set.images.length < set.count * pixelsPerImage) {
    throw new KitError('eval-size', 'quantize', `evaluation set has ${set.labels.length} labels and ${set.images.length} bytes for ${set.count} images`);
  }
}

/** Top-1 accuracy of a graph (float or quantized) on labelled images. */
export function evaluateGraph(graph: Graph, set: LabelledSet, onProgress?: ProgressFn): EvaluationResult {
  const interp = new Interpreter(graph);
  const n = interp.inputLength;
  checkSet(set, n);
  const predictions = new Uint8Array(set.count);
  let correct = 0;
  for (let i = 0; i < set.count; i++) {
    predictions[i] = argmax(interp.run(set.images.subarray(i * n, (i + 1) * n)));
    if (predictions[i] === set.labels[i]) correct++;
    onProgress?.({ phase: 'evaluate', done: i + 1, total: set.count });
  }
  return { count: set.count, correct, top1: set.count ? correct / set.count : 0, predictions };
}

/** Top-1 accuracy of the quantized (integer) model on labelled images: what the device should get. */
export function evaluateQuantized(graph: Graph, images: Uint8Array, labels: Uint8Array, onProgress?: ProgressFn): EvaluationResult {
  if (graph.kind !== 'quantized') throw new KitError('not-quantized', 'quantize', 'evaluateQuantized needs a quantized graph');
  return evaluateGraph(graph, { images, labels, count: labels.length }, onProgress);
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

/**
 * Run the float and the integer graph side by side on labelled images: accuracies, top-1 agreement,
 * and the SQNR of every activation (float value vs. dequantized integer value), summed over images.
 */
export function compareGraphs(floatGraph: Graph, quantGraph: Graph, set: LabelledSet, onProgress?: ProgressFn): Comparison {
  const f = new Interpreter(floatGraph);
  const q = new Interpreter(quantGraph);
  const n = f.inputLength;
  checkSet(set, n);
  const ids = q.activations();
  const signal = new Float64Array(ids.length);
  const noise = new Float64Array(ids.length);
  const scales = ids.map((id) => quantGraph.tensors[id].quant!);
  let floatCorrect = 0;
  let quantCorrect = 0;
  let agree = 0;
  for (let i = 0; i < set.count; i++) {
    const img = set.images.subarray(i * n, (i + 1) * n);
    const pf = argmax(f.run(img));
    const pq = argmax(q.run(img));
    if (pf === set.labels[i]) floatCorrect++;
    if (pq === set.labels[i]) quantCorrect++;
    if (pf === pq) agree++;
    ids.forEach((id, t) => {
      const fv = f.value(id);
      const qv = q.value(id);
      const { scale, zeroPoint } = scales[t];
      accumulate(fv, qv, scale[0], zeroPoint[0], signal, noise, t);
    });
    onProgress?.({ phase: 'evaluate', done: i + 1, total: set.count });
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

function accumulate(fv: TensorData, qv: TensorData, scale: number, zp: number, signal: Float64Array, noise: Float64Array, t: number): void {
  let s = 0;
  let e = 0;
  for (let k = 0; k < fv.length; k++) {
    const x = fv[k];
    const d = x - (qv[k] - zp) * scale;
    s += x * x;
    e += d * d;
  }
  signal[t] += s;
  noise[t] += e;
}
