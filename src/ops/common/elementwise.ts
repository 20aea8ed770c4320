import { dtypeBytes, numElements } from '../../ir/graph.js';
import type { NodeView } from '../op.js';

/**
 * In-place rule of element-wise ops (output[i] computed from input[i] alone, then stored): any
 * activation input of the output's element count and element size may be overwritten.
 */
export function elementwiseInPlace(view: NodeView<unknown>): number[] {
  const bytes = (t: { shape: number[]; dtype: Parameters<typeof dtypeBytes>[0] }) => [numElements(t.shape), dtypeBytes(t.dtype)].join();
  const out = bytes(view.output);
  return view.inputs.flatMap((t, i) => (bytes(t) === out ? [i] : []));
}
