import assert from 'node:assert/strict';
import { test } from 'node:test';
import { augmentBatch } from '../../src/data/augment.js';
import { CIFAR10_NORMALIZATION, normalizationTable, normalizeImages } from '../../src/data/normalize.js';
import { splitValidation } from '../../src/data/split.js';
import { type LabelledImages } from '../../src/data/types.js';
import { Rng } from '../../src/util/rng.js';

const IMAGE_BYTES = 32 * 32 * 3;

const table = normalizationTable(CIFAR10_NORMALIZATION);

function images(count: number): LabelledImages {
  const px = new Uint8Array(count * IMAGE_BYTES);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + (i >> 10)) & 0xff;
  return { images: px, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, shape: [32, 32, 3] };
}

/** An Rng whose draws are scripted, to pin the crop offset and flip exactly. */
function scripted(values: number[]): Rng {
  const r = new Rng(0);
  let k = 0;
  r.next = () => values[k++];
  return r;
}

test('normalization is (v/255 - mean) / std per channel', () => {
  assert.ok(Math.abs(table[0 * 256 + 0] - -0.4914 / 0.247) < 1e-6);
  assert.ok(Math.abs(table[1 * 256 + 255] - (1 - 0.4822) / 0.243) < 1e-6);
  assert.ok(Math.abs(table[2 * 256 + 128] - (128 / 255 - 0.4465) / 0.261) < 1e-6);
});

test('crop offset 0 without flip is plain normalization', () => {
  const set = images(1);
  const out = new Float32Array(IMAGE_BYTES);
  // int(9) = 4 -> offset 0 for both axes; 0.9 -> no flip.
  augmentBatch(set, [0], table, scripted([4 / 9 + 0.01, 4 / 9 + 0.01, 0.9]), out);
  assert.deepEqual(out, normalizeImages(set.images, table));
});

test('crop pads with black pixels before normalizing, and the flip mirrors the crop', () => {
  const set = images(1);
  const out = new Float32Array(IMAGE_BYTES);
  // dy = 8 - 4 = +4, dx = 0 - 4 = -4, flip.
  augmentBatch(set, [0], table, scripted([8 / 9 + 0.01, 0, 0.1]), out);
  const src = (y: number, x: number, c: number) => set.images[(y * 32 + x) * 3 + c];
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const sy = y + 4;
      const sx = 31 - x - 4;
      for (let c = 0; c < 3; c++) {
        const v = sy < 32 && sx >= 0 ? src(sy, sx, c) : 0;
        assert.equal(out[(y * 32 + x) * 3 + c], table[c * 256 + v], `(${y},${x},${c})`);
      }
    }
  }
});

test('augmentation is a pure function of its generator keys', () => {
  const set = images(8);
  const idx = [3, 1, 4, 1, 5];
  const a = new Float32Array(5 * IMAGE_BYTES);
  const b = new Float32Array(5 * IMAGE_BYTES);
  const c = new Float32Array(5 * IMAGE_BYTES);
  augmentBatch(set, idx, table, new Rng(1, 2, 3), a);
  augmentBatch(set, idx, table, new Rng(1, 2, 3), b);
  augmentBatch(set, idx, table, new Rng(1, 2, 4), c);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('the validation split is seeded, disjoint and complete', () => {
  const set = images(100);
  const s1 = splitValidation(set, 0.1, 5);
  const s2 = splitValidation(set, 0.1, 5);
  const s3 = splitValidation(set, 0.1, 6);
  assert.equal(s1.val.count, 10);
  assert.equal(s1.train.count, 90);
  assert.deepEqual(s1.val.images, s2.val.images);
  assert.notDeepEqual(s1.val.images, s3.val.images);
  // Every image lands in exactly one side: identify images by their first pixel row.
  const key = (s: LabelledImages, i: number) => Buffer.from(s.images.subarray(i * IMAGE_BYTES, i * IMAGE_BYTES + 96)).toString('hex');
  const seen = new Set<string>();
  for (const s of [s1.train, s1.val]) for (let i = 0; i < s.count; i++) seen.add(key(s, i));
  assert.equal(seen.size, 100);
});
