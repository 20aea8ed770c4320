import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { normalizeImages } from '../data/normalize.js';
import { itemBytes, type LabelledImages } from '../data/types.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { compileNativeInference, type NativeInference } from './native-inference.js';

export interface EvaluateOptions {
  /**
   * 'auto' (default): the native inference plan when the addon is built and supports every layer,
   * else tfjs on the current backend; 'tfjs': always tfjs.
   */
  engine?: 'auto' | 'tfjs';
}

/** Top-1 accuracy (0..1) of a float model on a labelled set, in inference mode (BatchNorm folded). */
export async function evaluateAccuracy(
  trained: tfl.LayersModel,
  set: LabelledImages,
  table: Float32Array,
  batch = 250,
  options: EvaluateOptions = {},
): Promise<number> {
  const model = await foldBatchNorm(trained);
  const native = options.engine === 'tfjs' ? undefined : compileNativeInference(model);
  try {
    const classify = native?.ok ? nativeClassifier(native.inference) : tfjsClassifier(model, set.shape);
    return await countCorrect(classify, set, table, batch);
  } finally {
    if (native?.ok) native.inference.dispose();
    model.dispose();
  }
}

/** The predicted class of each of n normalized images. */
type Classifier = (x: Float32Array, n: number) => Promise<ArrayLike<number>>;

function tfjsClassifier(model: tfl.LayersModel, shape: readonly number[]): Classifier {
  return async (x, n) => {
    const predicted = tf.tidy(() => {
      const logits = model.apply(tf.tensor4d(x, [n, shape[0], shape[1], shape[2]]), { training: false }) as tf.Tensor;
      return tf.argMax(logits, 1);
    });
    const p = (await predicted.data()) as Int32Array;
    predicted.dispose();
    return p;
  };
}

function nativeClassifier(inference: NativeInference): Classifier {
  return async (x, n) => {
    const logits = inference.run(x, n);
    const k = inference.outputs;
    const p = new Int32Array(n);
    // The first of equal maxima, as tf.argMax picks.
    for (let i = 0; i < n; i++) for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + p[i]]) p[i] = j;
    return p;
  };
}

async function countCorrect(classify: Classifier, set: LabelledImages, table: Float32Array, batch: number): Promise<number> {
  let correct = 0;
  const IMAGE_BYTES = itemBytes(set.shape);
  const buf = new Float32Array(batch * IMAGE_BYTES);
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const x = normalizeImages(set.images.subarray(start * IMAGE_BYTES, (start + n) * IMAGE_BYTES), table, buf.subarray(0, n * IMAGE_BYTES));
    const p = await classify(x, n);
    for (let i = 0; i < n; i++) if (p[i] === set.labels[start + i]) correct++;
  }
  return set.count ? correct / set.count : 0;
}
