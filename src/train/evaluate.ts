import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { normalizeImages } from '../data/normalize.js';
import { itemBytes, type LabelledImages } from '../data/types.js';
import { foldBatchNorm } from './fold-batchnorm.js';

/** Top-1 accuracy (0..1) of a float model on a labelled set, in inference mode (BatchNorm folded). */
export async function evaluateAccuracy(trained: tfl.LayersModel, set: LabelledImages, table: Float32Array, batch = 250): Promise<number> {
  const model = await foldBatchNorm(trained);
  try {
    return countCorrect(model, set, table, batch);
  } finally {
    model.dispose();
  }
}

async function countCorrect(model: tfl.LayersModel, set: LabelledImages, table: Float32Array, batch: number): Promise<number> {
  let correct = 0;
  const IMAGE_BYTES = itemBytes(set.shape);
  const buf = new Float32Array(batch * IMAGE_BYTES);
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const x = normalizeImages(set.images.subarray(start * IMAGE_BYTES, (start + n) * IMAGE_BYTES), table, buf.subarray(0, n * IMAGE_BYTES));
    const predicted = tf.tidy(() => {
      const logits = model.apply(tf.tensor4d(x, [n, set.shape[0], set.shape[1], set.shape[2]]), { training: false }) as tf.Tensor;
      return tf.argMax(logits, 1);
    });
    const p = (await predicted.data()) as Int32Array;
    predicted.dispose();
    for (let i = 0; i < n; i++) if (p[i] === set.labels[start + i]) correct++;
  }
  return set.count ? correct / set.count : 0;
}
