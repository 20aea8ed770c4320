import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { KitError } from '../errors.js';

interface SavedTensor {
  name: string;
  shape: number[];
}

/** Adam keeps its running beta powers in private variables that getWeights() does not return. */
interface AdamInternals {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

/**
 * Serializes Adam's full state: iteration count, both moments, and the running beta powers.
 * setWeights() alone recomputes the powers as pow(beta, t), which differs in the last float bits
 * from the product the optimizer accumulated, so a resumed run would drift from an uninterrupted one.
 */
export async function serializeAdam(opt: tf.AdamOptimizer): Promise<{ header: SavedTensor[]; data: Float32Array }> {
  const internals = opt as unknown as AdamInternals;
  const named = [
    ...(await opt.getWeights()),
    { name: '__accBeta1', tensor: internals.accBeta1 as tf.Tensor },
    { name: '__accBeta2', tensor: internals.accBeta2 as tf.Tensor },
  ];
  const header = named.map((w) => ({ name: w.name, shape: w.tensor.shape }));
  const total = named.reduce((n, w) => n + w.tensor.size, 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const w of named) {
    const v = (await w.tensor.data()) as Float32Array;
    data.set(v, off);
    off += v.length;
  }
  return { header, data };
}

export async function restoreAdam(opt: tf.AdamOptimizer, header: SavedTensor[], dataFile: string): Promise<void> {
  const buf = readFileSync(dataFile);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const sizes = header.map((h) => h.shape.reduce((a, b) => a * b, 1));
  if (sizes.reduce((a, b) => a + b, 0) !== all.length) {
    throw new KitError('corrupt-checkpoint', 'train', `${dataFile} does not match its header`, 'delete the checkpoints folder to start over');
  }
  let off = 0;
  const tensors = header.map((h, i) => {
    const t = tf.tensor(all.subarray(off, off + sizes[i]), h.shape);
    off += sizes[i];
    return { name: h.name, tensor: t };
  });
  const betas = tensors.filter((t) => t.name.startsWith('__accBeta'));
  await opt.setWeights(tensors.filter((t) => !t.name.startsWith('__accBeta')));
  const internals = opt as unknown as AdamInternals;
  internals.accBeta1.assign(betas[0].tensor);
  internals.accBeta2.assign(betas[1].tensor);
  for (const t of tensors) t.tensor.dispose();
}
