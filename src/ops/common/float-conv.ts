import { PaddedInput, type ConvGeometry } from './conv-geometry.js';

/**
 * The float reference convolution shared by conv2d and dense: out[p, c] = sum over the receptive
 * field of x * w[c] + b[c], accumulated in double precision, stored as float32. It is what
 * calibration and evaluation run on every image, so it is blocked 3 output pixels x 4 channels with
 * weights re-laid out [block of 4 channels][k][4]; k runs in (ky, kx, c) order like OHWI.
 */
export interface FloatConv {
  run(input: Float32Array, out: Float32Array): void;
}

export function prepareFloatConv(g: ConvGeometry, weights: Float32Array, bias: Float32Array, channels: number): FloatConv {
  const depth = g.kH * g.kW * g.inC;
  const blocks = Math.ceil(channels / 4);
  const w4 = new Float64Array(blocks * depth * 4);
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < depth; k++) w4[((c >> 2) * depth + k) * 4 + (c & 3)] = weights[c * depth + k];
  }
  const padded = new PaddedInput(g);
  const { origins, rowStride, data } = padded;
  const run = g.kW * g.inC;
  const kH = g.kH;
  const rows = g.outH * g.outW;
  const biasF64 = Float64Array.from(bias);
  return {
    run(input, out) {
      padded.fill(input, 0);
      // Locals, not closure variables: V8 then keeps the arrays and bounds in registers.
      const x = data, w4s = w4, starts = origins, n = channels, nb = blocks, kh = kH, len = run, stride = rowStride;
      const blockStride = depth * 4, count = rows, bias = biasF64;
      let p = 0;
      for (; p + 2 < count; p += 3) {
        const s0 = starts[p], s1 = starts[p + 1], s2 = starts[p + 2];
        for (let b = 0; b < nb; b++) {
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
          let w = b * blockStride;
          for (let ky = 0; ky < kh; ky++) {
            let i0 = s0 + ky * stride, i1 = s1 + ky * stride, i2 = s2 + ky * stride;
            const end = i0 + len;
            for (; i0 < end; i0++, i1++, i2++, w += 4) {
              const u = x[i0], v = x[i1], t = x[i2];
              const w0 = w4s[w], w1 = w4s[w + 1], w2 = w4s[w + 2], w3 = w4s[w + 3];
              a0 += u * w0; a1 += u * w1; a2 += u * w2; a3 += u * w3;
              b0 += v * w0; b1 += v * w1; b2 += v * w2; b3 += v * w3;
              c0 += t * w0; c1 += t * w1; c2 += t * w2; c3 += t * w3;
            }
          }
          const c = b * 4;
          const o0 = p * n, o1 = o0 + n, o2 = o1 + n;
          store(out, o0, c, n, bias, a0); store(out, o0, c + 1, n, bias, a1); store(out, o0, c + 2, n, bias, a2); store(out, o0, c + 3, n, bias, a3);
          store(out, o1, c, n, bias, b0); store(out, o1, c + 1, n, bias, b1); store(out, o1, c + 2, n, bias, b2); store(out, o1, c + 3, n, bias, b3);
          store(out, o2, c, n, bias, c0); store(out, o2, c + 1, n, bias, c1); store(out, o2, c + 2, n, bias, c2); store(out, o2, c + 3, n, bias, c3);
        }
      }
      for (; p < count; p++) {
        const s0 = starts[p];
        for (let b = 0; b < nb; b++) {
          let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          let w = b * blockStride;
          for (let ky = 0; ky < kh; ky++) {
            let i0 = s0 + ky * stride;
            const end = i0 + len;
            for (; i0 < end; i0++, w += 4) {
              const u = x[i0];
              a0 += u * w4s[w]; a1 += u * w4s[w + 1]; a2 += u * w4s[w + 2]; a3 += u * w4s[w + 3];
            }
          }
          const c = b * 4;
          const o0 = p * n;
          store(out, o0, c, n, bias, a0); store(out, o0, c + 1, n, bias, a1); store(out, o0, c + 2, n, bias, a2); store(out, o0, c + 3, n, bias, a3);
        }
      }
    },
  };
}

function store(out: Float32Array, base: number, c: number, channels: number, bias: Float64Array, sum: number): void {
  if (c < channels) out[base + c] = sum + bias[c];
}
