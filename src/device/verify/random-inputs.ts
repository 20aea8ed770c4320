import type { LabelledImages } from '../../data/types.js';
import { dtypeBytes, numElements, type Graph } from '../../ir/graph.js';
import { Rng } from '../../util/rng.js';

/**
 * `count` seeded random inputs for a model: uniform bytes over the input tensor's whole range (every
 * int8 / uint8 value, pixels included), for checking bit-exactness when no data set is at hand.
 * Labels are all 0 and meaningless: callers report agreement only.
 */
export function randomInputs(graph: Graph, count: number, seed: number): LabelledImages {
  const t = graph.tensors[graph.inputs[0]];
  const bytes = numElements(t.shape) * dtypeBytes(t.dtype);
  const rng = new Rng(seed, 0x72616e64);
  const images = new Uint8Array(count * bytes);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  return { images, labels: new Uint8Array(count), count, shape: [...t.shape] };
}
