import { KitError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { Interpreter } from '../ir/interpreter.js';
import { getOp } from '../ops/registry.js';
import { entropyThreshold, Histogram, mseRange, percentileRange, type Range } from './histogram.js';
import type { Scheme } from './schemes.js';
import type { ImageSet, ProgressFn } from './types.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'mse' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'mse', 'entropy'];

export interface CalibrationOptions {
  method?: CalibrationMethod;
  /** For 'percentile': the percentile of values kept inside the range (default 99.99). */
  percentile?: number;
  /** Histogram bins for percentile / mse / entropy (default 2048, as TensorRT). */
  bins?: number;
  onProgress?: ProgressFn;
}

export const DEFAULT_PERCENTILE = 99.99;

/** The activation tensors whose range comes from calibration (not fixed, not inherited). */
export function calibratedTensors(graph: Graph): string[] {
  return graph.nodes.filter((n) => getOp(n.op).outputQuant === 'calibrated').map((n) => n.outputs[0]);
}

/** Refuse bad calibration settings (before any model is loaded or image decoded). */
export function checkCalibrationOptions(set: ImageSet, options: CalibrationOptions): void {
  const method = options.method ?? 'minmax';
  if (!CALIBRATION_METHODS.includes(method)) {
    throw new KitError('calib-method', 'quantize', `unknown calibration method '${method}'`, `use one of: ${CALIBRATION_METHODS.join(', ')}`);
  }
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (method === 'percentile' && !(percentile > 50 && percentile <= 100)) {
    throw new KitError('calib-percentile', 'quantize', `percentile ${percentile} is outside (50, 100]`, 'e.g. 99.99');
  }
  if (set.split === 'test') {
    throw new KitError('calib-test-set', 'quantize', 'calibration must not use test images', 'calibrate on training images');
  }
  if (set.count < 1) throw new KitError('calib-empty', 'quantize', 'no calibration images', 'pass --calib N with N >= 1');
}

/**
 * Observe the float graph on calibration images (training images, never the test set) and choose a
 * real range for each calibrated activation tensor:
 * - minmax: the observed extremes;
 * - percentile: clip outliers beyond the given percentile;
 * - mse: the clipped range with the least quantization mean squared error;
 * - entropy: TensorRT's KL-divergence threshold on a 2048-bin histogram of |x|.
 * The histogram methods make a second pass over the images once the extremes are known.
 */
export function calibrate(floatGraph: Graph, set: ImageSet, scheme: Scheme, options: CalibrationOptions = {}): Map<string, Range> {
  checkCalibrationOptions(set, options);
  const method = options.method ?? 'minmax';
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  const interp = new Interpreter(floatGraph);
  const ids = calibratedTensors(floatGraph);
  const passes = method === 'minmax' ? 1 : 2;
  const pixelsPerImage = interp.inputLength;
  if (set.images.length < set.count * pixelsPerImage) {
    throw new KitError('calib-size', 'quantize', `calibration set holds ${set.images.length} bytes, not ${set.count} images of ${pixelsPerImage}`);
  }
  const forEachImage = (pass: number, visit: () => void) => {
    for (let i = 0; i < set.count; i++) {
      interp.run(set.images.subarray(i * pixelsPerImage, (i + 1) * pixelsPerImage));
      visit();
      options.onProgress?.({ phase: 'calibrate', done: pass * set.count + i + 1, total: passes * set.count });
    }
  };

  const observed = new Map<string, Range>(ids.map((id) => [id, { min: Infinity, max: -Infinity }]));
  forEachImage(0, () => {
    for (const id of ids) {
      const r = observed.get(id)!;
      const v = interp.value(id);
      for (let k = 0; k < v.length; k++) {
        const x = v[k];
        if (x < r.min) r.min = x;
        if (x > r.max) r.max = x;
      }
    }
  });
  if (method === 'minmax') return observed;

  const bins = options.bins ?? 2048;
  const entropy = method === 'entropy';
  const histograms = new Map<string, Histogram>();
  for (const id of ids) {
    const r = observed.get(id)!;
    histograms.set(id, entropy ? new Histogram(0, Math.max(-r.min, r.max), bins) : new Histogram(r.min, r.max, bins));
  }
  forEachImage(1, () => {
    for (const id of ids) histograms.get(id)!.add(interp.value(id), entropy);
  });

  const { qmin, qmax } = scheme.activation;
  const ranges = new Map<string, Range>();
  for (const id of ids) {
    const r = observed.get(id)!;
    const h = histograms.get(id)!;
    if (method === 'percentile') ranges.set(id, percentileRange(h, r, percentile));
    else if (method === 'mse') ranges.set(id, mseRange(h, r, qmin, qmax));
    else {
      const t = entropyThreshold(h, r.min < 0 ? 128 : 256);
      ranges.set(id, { min: Math.max(r.min, -t), max: Math.min(r.max, t) });
    }
  }
  return ranges;
}
