/**
 * Where NCHW becomes kit's HWC. ONNX (PyTorch) activations are [N, C, H, W]; kit's are [H, W, C]
 * without the batch. The importer never inserts a transpose into the graph: it keeps each ONNX
 * activation's data in kit's order and moves the constants that meet it instead.
 *
 * - conv weights: ONNX OIHW -> kit OHWI (`oihwToOhwi`).
 * - depthwise weights: ONNX [C * M, 1, kH, kW] -> kit [1, kH, kW, C * M] (`depthwiseToKit`); the
 *   output channel order (c * M + m) is the same in both.
 * - Flatten after NCHW: ONNX's vector is in C, H, W order, kit's in H, W, C order, so the dense
 *   layer that reads it gets its weight columns permuted (`chwColumnsToHwc`); an ONNX Flatten whose
 *   spatial size is 1x1 (after global pooling) needs nothing.
 * - Gemm/MatMul weights: ONNX [in, out] (or [out, in] with transB) -> kit [out, in].
 */

export function oihwToOhwi(w: Float32Array, [o, i, kh, kw]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    out[((a * kh + y) * kw + x) * i + b] = w[((a * i + b) * kh + y) * kw + x];
  }
  return out;
}

export function depthwiseToKit(w: Float32Array, [o, , kh, kw]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let c = 0; c < o; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[(y * kw + x) * o + c] = w[(c * kh + y) * kw + x];
  return out;
}

/** Dense weights [out, C*H*W] whose columns follow NCHW flattening, reordered for an HWC-flattened input. */
export function chwColumnsToHwc(w: Float32Array, outUnits: number, [c, h, wd]: [number, number, number]): Float32Array {
  const n = c * h * wd;
  const out = new Float32Array(w.length);
  for (let o = 0; o < outUnits; o++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) {
    out[o * n + (y * wd + x) * c + ch] = w[o * n + (ch * h + y) * wd + x];
  }
  return out;
}

/** [rows, cols] -> [cols, rows]. */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}
