import { Rng } from '../util/rng.js';
import { selectImages, type LabelledImages } from './types.js';

/**
 * A seeded random subset of `n` images kept in their original order (all of them when n is
 * undefined or covers the set). CIFAR folders are sorted by class, so "the first n" would be one class.
 */
export function sampleImages(set: LabelledImages, n: number | undefined, seed: number, salt = 0x5a3c): LabelledImages {
  if (n === undefined || n >= set.count) return set;
  return selectImages(set, new Rng(seed, salt).permutation(set.count).subarray(0, n).sort());
}
