import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKitError } from '../../src/errors.js';
import { graphFromLayersModel } from '../../src/ir/from-layers.js';
import { calibrate, calibratedTensors } from '../../src/quantize/calibrate.js';
import { entropyThreshold, Histogram, mseRange, percentileRange } from '../../src/quantize/histogram.js';
import { UINT8 } from '../../src/quantize/schemes.js';
import { buildSmallModel } from '../ir/small-model.js';
import { CIFAR_NORMALIZATION } from './fixtures.js';
import { gaussian, rng, syntheticImages } from './random.js';

/** 100k standard normal samples and 10 far outliers at +-40. */
function gaussianWithOutliers(): Float32Array {
  const rand = rng(1);
  const data = Float32Array.from({ length: 100_000 }, () => gaussian(rand));
  for (let i = 0; i < 10; i++) data[i] = i % 2 ? 40 : -40;
  return data;
}

test('percentile and entropy clip outliers that minmax keeps; mse trades clipping for resolution', () => {
  const data = gaussianWithOutliers();
  const observed = { min: -40, max: 40 };
  const signed = new Histogram(-40, 40, 2048);
  signed.add(data);
  const p = percentileRange(signed, observed, 99.9);
  assert.ok(p.max > 2.5 && p.max < 4.5 && p.min < -2.5 && p.min > -4.5, JSON.stringify(p));
  // Squared error makes 8-bit MSE keep far outliers, but it does clip a plain Gaussian's sparse tails.
  const plain = data.slice(10);
  const tails = { min: Math.min(...plain), max: Math.max(...plain) };
  const h = new Histogram(tails.min, tails.max, 2048);
  h.add(plain);
  const m = mseRange(h, tails, 0, 255);
  assert.ok(m.max < tails.max && m.max > 0.8 * tails.max && m.min > tails.min, JSON.stringify(m));
  const abs = new Histogram(0, 40, 2048);
  abs.add(data, true);
  const t = entropyThreshold(abs, 128);
  assert.ok(t > 2 && t < 20, String(t));
  // Without outliers, entropy keeps (nearly) the whole range of a uniform distribution.
  const uniform = new Histogram(0, 1, 2048);
  uniform.add(Float32Array.from({ length: 50_000 }, (_, i) => (i % 1000) / 1000));
  assert.ok(entropyThreshold(uniform, 256) > 0.9);
});

test('calibration observes every calibrated tensor, and each method narrows or keeps the minmax range', () => {
  const graph = graphFromLayersModel(buildSmallModel(2), CIFAR_NORMALIZATION);
  const set = { images: syntheticImages(24, 3, 8), count: 24 };
  const progress: number[] = [];
  const minmax = calibrate(graph, set, UINT8, { onProgress: (p) => progress.push(p.done) });
  assert.deepEqual([...minmax.keys()], calibratedTensors(graph));
  assert.deepEqual(progress, Array.from({ length: 24 }, (_, i) => i + 1));
  for (const method of ['percentile', 'mse', 'entropy'] as const) {
    const ranges = calibrate(graph, set, UINT8, { method });
    for (const [id, r] of ranges) {
      const full = minmax.get(id)!;
      assert.ok(r.min >= full.min - 1e-9 && r.max <= full.max + 1e-9 && r.max > r.min, `${method} ${id}`);
    }
  }
});

test('calibration refuses test images, unknown methods and empty sets', () => {
  const graph = graphFromLayersModel(buildSmallModel(2), CIFAR_NORMALIZATION);
  const images = syntheticImages(2, 3, 8);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(isKitError(e));
      return e.code;
    }
    return 'none';
  };
  assert.equal(code(() => calibrate(graph, { images, count: 2, split: 'test' }, UINT8)), 'calib-test-set');
  assert.equal(code(() => calibrate(graph, { images, count: 2 }, UINT8, { method: 'kl' as never })), 'calib-method');
  assert.equal(code(() => calibrate(graph, { images, count: 0 }, UINT8)), 'calib-empty');
  assert.equal(code(() => calibrate(graph, { images, count: 2 }, UINT8, { method: 'percentile', percentile: 40 })), 'calib-percentile');
});
