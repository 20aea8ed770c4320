/**
 * Plans a broadcasting binary op for the native element-wise loop: the output shape plus, per
 * axis, each operand's stride (0 where it is broadcast). Axes of size 1 are dropped and
 * neighbouring axes that both operands walk the same way are merged, so [N,H,W,C] op [C]
 * becomes a [N*H*W, C] loop and equal shapes a single flat loop.
 */
export function broadcastPlan(outShape: readonly number[], aShape: readonly number[], bShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const strides = (shape: readonly number[]) => {
    const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    const s = new Array<number>(rank);
    for (let d = rank - 1, acc = 1; d >= 0; d--) {
      s[d] = padded[d] === 1 ? 0 : acc;
      acc *= padded[d];
    }
    return s;
  };
  const sa = strides(aShape), sb = strides(bShape);
  const dims: number[] = [], pa: number[] = [], pb: number[] = [];
  for (let d = 0; d < rank; d++) {
    if (outShape[d] === 1) continue;
    const last = dims.length - 1;
    // Merge with the previous axis when, for both operands, stepping the previous axis equals
    // stepping this one dims[d] times (contiguous), or both are broadcast along both.
    const mergeable = last >= 0 && pa[last] === sa[d] * outShape[d] && pb[last] === sb[d] * outShape[d];
    if (mergeable) {
      dims[last] *= outShape[d];
      pa[last] = sa[d];
      pb[last] = sb[d];
    } else {
      dims.push(outShape[d]);
      pa.push(sa[d]);
      pb.push(sb[d]);
    }
  }
  if (dims.length === 0) dims.push(1), pa.push(0), pb.push(0);
  return Int32Array.from([dims.length, ...dims, ...pa, ...pb]);
}
