/** Geometry of a 2-D convolution on an HWC input (dense is the 1x1 case on a 1x1 image). */
export interface ConvGeometry {
  inH: number;
  inW: number;
  inC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** A fully connected layer as a convolution: one pixel, `inputs` channels, a 1x1 kernel. */
export function denseGeometry(inputs: number): ConvGeometry {
  return { inH: 1, inW: 1, inC: inputs, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, outH: 1, outW: 1 };
}

/**
 * The input copied into a zero-bordered buffer, so that every receptive field is kH runs of kW * inC
 * contiguous values and the multiply loops never test for borders. With zero points subtracted on
 * the way in, a 0 border is exactly TFLite's padding with the input zero point.
 */
export class PaddedInput<T extends Float64Array | Int16Array = Float64Array> {
  readonly data: T;
  readonly rowStride: number;
  /** Offset of the first value of each output pixel's receptive field. */
  readonly origins: Int32Array;
  private readonly width: number;

  /**
   * `alloc` makes the buffer: Float64Array for the JS loops (default), Int16Array for the native
   * kernel, which also wants `slack` readable values past the end (it reads values in pairs).
   */
  constructor(readonly g: ConvGeometry, alloc: (length: number) => T = (n) => new Float64Array(n) as T, slack = 0) {
    const height = Math.max(g.padTop + g.inH, (g.outH - 1) * g.strideH + g.kH);
    this.width = Math.max(g.padLeft + g.inW, (g.outW - 1) * g.strideW + g.kW);
    this.rowStride = this.width * g.inC;
    this.data = alloc(height * this.rowStride + slack);
    this.origins = new Int32Array(g.outH * g.outW);
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) this.origins[oy * g.outW + ox] = oy * g.strideH * this.rowStride + ox * g.strideW * g.inC;
    }
  }

  /** Copy `src` (HWC) minus `zeroPoint` into the interior; the border stays 0. */
  fill(src: ArrayLike<number>, zeroPoint: number): void {
    const { inH, inW, inC, padTop, padLeft } = this.g;
    const run = inW * inC;
    const dst = this.data;
    const stride = this.rowStride;
    for (let y = 0; y < inH; y++) {
      let d = (y + padTop) * stride + padLeft * inC;
      let s = y * run;
      for (let i = 0; i < run; i++) dst[d++] = src[s++] - zeroPoint;
    }
  }
}
