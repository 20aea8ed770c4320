import { asymmetricParams, dequantizeValue, quantizeValue } from './qparams.js';

/** A real range an activation tensor is quantized over. */
export interface Range {
  min: number;
  max: number;
}

/** Fixed-width histogram over [lo, hi]; values outside land in the end bins. */
export class Histogram {
  readonly counts: Float64Array;
  readonly width: number;

  constructor(readonly lo: number, readonly hi: number, readonly bins = 2048) {
    this.counts = new Float64Array(bins);
    this.width = hi > lo ? (hi - lo) / bins : 1;
  }

  add(data: ArrayLike<number>, absolute = false): void {
    const { counts, lo, width, bins } = this;
    const inv = 1 / width;
    for (let i = 0; i < data.length; i++) {
      const v = absolute ? Math.abs(data[i]) : data[i];
      let b = Math.floor((v - lo) * inv);
      if (b < 0) b = 0;
      else if (b >= bins) b = bins - 1;
      counts[b]++;
    }
  }

  total(): number {
    let t = 0;
    for (const c of this.counts) t += c;
    return t;
  }

  center(b: number): number {
    return this.lo + (b + 0.5) * this.width;
  }
}

/**
 * Clip at percentiles of a signed histogram over the observed [min, max]: the upper end at `p`, and
 * for tensors with negative values the lower end at 100 - p.
 */
export function percentileRange(h: Histogram, observed: Range, p: number): Range {
  const total = h.total();
  const upperCount = (p / 100) * total;
  const lowerCount = (1 - p / 100) * total;
  let cum = 0;
  let lower = observed.min;
  let upper = observed.max;
  let lowerFound = false;
  for (let b = 0; b < h.bins; b++) {
    cum += h.counts[b];
    if (!lowerFound && cum > lowerCount) {
      lower = h.lo + b * h.width;
      lowerFound = true;
    }
    if (cum >= upperCount) {
      upper = h.lo + (b + 1) * h.width;
      break;
    }
  }
  return { min: observed.min < 0 ? Math.max(observed.min, lower) : observed.min, max: Math.min(observed.max, upper) };
}

/**
 * The range that minimizes the mean squared error of quantize-dequantize over the histogram: the
 * observed range shrunk by a factor in (0, 1], searched on a grid of 200 steps (values beyond the
 * range clip, values inside round).
 */
export function mseRange(h: Histogram, observed: Range, qmin: number, qmax: number, steps = 200): Range {
  let best = observed;
  let bestErr = Infinity;
  for (let s = steps; s >= 1; s--) {
    const f = s / steps;
    const candidate = { min: observed.min * f, max: observed.max * f };
    const p = asymmetricParams(candidate.min, candidate.max, qmin, qmax);
    let err = 0;
    for (let b = 0; b < h.bins; b++) {
      const n = h.counts[b];
      if (n === 0) continue;
      const x = h.center(b);
      const d = x - dequantizeValue(quantizeValue(x, p, qmin, qmax), p);
      err += n * d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = candidate;
    }
  }
  return best;
}

/**
 * TensorRT's entropy calibration on a histogram of |x| over [0, amax]: for each candidate clip bin i,
 * P is the histogram up to i with everything beyond folded into its last bin, Q is the first i bins
 * merged into `levels` quantization bins and spread back over the non-empty bins; the threshold is
 * the one with the smallest KL(P || Q). `levels` is 128 for a two-sided tensor (one sign's share of
 * 256 codes) and 256 for a non-negative one.
 */
export function entropyThreshold(h: Histogram, levels: number): number {
  const { bins } = h;
  // ReLU outputs put a large share of exact zeros into the first bin. Zero is exactly representable,
  // so that spike says nothing about the range; left in, it would dominate the divergence and favour
  // tiny thresholds. Give the first bin its neighbour's count instead.
  const counts = Float64Array.from(h.counts);
  if (bins > 1) counts[0] = counts[1];
  let bestI = bins;
  let bestKl = Infinity;
  let tail = 0;
  for (let b = levels; b < bins; b++) tail += counts[b];
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  for (let i = levels; i <= bins; i++) {
    if (i > levels) tail -= counts[i - 1];
    // Reference distribution: clipped histogram.
    let pSum = 0;
    for (let j = 0; j < i; j++) {
      p[j] = counts[j];
      pSum += counts[j];
    }
    p[i - 1] += tail;
    pSum += tail;
    if (pSum === 0) continue;
    // Candidate: merge the i bins into `levels` groups and expand uniformly over non-empty bins.
    q.fill(0, 0, i);
    const per = i / levels;
    let qSum = 0;
    for (let g = 0; g < levels; g++) {
      const start = Math.floor(g * per);
      const end = g === levels - 1 ? i : Math.floor((g + 1) * per);
      let sum = 0;
      let nonEmpty = 0;
      for (let j = start; j < end; j++) {
        sum += counts[j];
        if (counts[j] > 0) nonEmpty++;
      }
      if (nonEmpty === 0) continue;
      for (let j = start; j < end; j++) if (counts[j] > 0) q[j] = sum / nonEmpty;
      qSum += sum;
    }
    const kl = divergence(p, pSum, q, qSum, i);
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  return Math.min(bestI + 0.5, bins) * h.width + h.lo;
}

/** KL(P || Q) of two unnormalized histograms; empty Q bins where P has mass get a small floor. */
function divergence(p: Float64Array, pSum: number, q: Float64Array, qSum: number, n: number): number {
  if (qSum === 0) return Infinity;
  const floor = 1e-10;
  let kl = 0;
  for (let j = 0; j < n; j++) {
    if (p[j] === 0) continue;
    const pj = p[j] / pSum;
    const qj = Math.max(q[j] / qSum, floor);
    kl += pj * Math.log(pj / qj);
  }
  return kl;
}
