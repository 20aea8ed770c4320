import { Rng } from '../util/rng.js';
import { selectImages, type LabelledImages } from './types.js';

/**
 * Holds out `fraction` of the training set for validation (checkpoint selection), drawn with a
 * seeded shuffle so the split is the same on every run and on resume. The test set is never used.
 */
export function splitValidation(train: LabelledImages, fraction: number, seed: number): { train: LabelledImages; val: LabelledImages } {
  const perm = new Rng(seed, 0x5eed).permutation(train.count);
  const valCount = Math.round(train.count * fraction);
  const val = perm.subarray(0, valCount).slice().sort();
  const rest = perm.subarray(valCount).slice().sort();
  return { train: selectImages(train, rest), val: selectImages(train, val) };
}
