/**
 * Data for any model: input flags (--mean/--std/--scale/--classes/--resize), image folders of any
 * image size (refused unless --resize/--center-crop ask), folders without train/test splits, raw
 * .npy tensors, labels mapped to the model's class names, and images fed to an int8-input model.
 * Fixtures are written here: 40x30 PNG and JPEG images whose pixels follow a formula.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { parseClassNames, parseImagePrep, parseNormalization, parseResize, resolveNormalization } from '../../src/data/input-spec.js';
import { loadImageData } from '../../src/data/load-dataset.js';
import { calibrationSplit, imagesToInput, loadModelData, type ModelInput } from '../../src/data/model-data.js';
import type { KitError } from '../../src/errors.js';
import { npyBytes } from '../import/npy.js';
import { kitError, tmpDir, useTmpCache } from './fixtures.js';

useTmpCache();

const W = 40;
const H = 30;
/** Pixel (y, x, c) of image i: a ramp along x (4 per pixel) so that resampling can be checked exactly. */
const ramp = (i: number, y: number, x: number, c: number) => (10 + 4 * x + 3 * c + i) & 0xff;

function encode(format: 'png' | 'jpg', i: number, width = W, height = H): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) rgba[(y * width + x) * 4 + c] = ramp(i, y, x, c);
      rgba[(y * width + x) * 4 + 3] = 255;
    }
  }
  if (format === 'jpg') return jpeg.encode({ data: rgba, width, height }, 100).data;
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return PNG.sync.write(png);
}

/** `<root>/<class>/k.<ext>`: `perClass` images per class, image i of the whole folder = ramp(i). */
function writeFlatFolder(root: string, classes: string[], perClass: number, format: 'png' | 'jpg' = 'png'): string {
  let i = 0;
  for (const cls of classes) {
    mkdirSync(join(root, cls), { recursive: true });
    for (let k = 0; k < perClass; k++, i++) writeFileSync(join(root, cls, `${k}.${format}`), encode(format, i));
  }
  return root;
}

const pixelModel = (shape: number[], outputs = 3, classes?: string[]): ModelInput => ({ shape, dtype: 'uint8', pixels: true, outputs, ...(classes ? { classes } : {}) });

test('--mean/--std/--scale become (pixel/255 - mean) / std per channel', () => {
  assert.equal(parseNormalization({}, 3), undefined);
  assert.deepEqual(parseNormalization({ mean: '0.5,0.25,0', std: '0.5,2,1' }, 3), { mean: [0.5, 0.25, 0], std: [0.5, 2, 1] });
  // One value stands for all channels; 1/255 is exact, so it changes nothing.
  assert.deepEqual(parseNormalization({ mean: '0.5', std: '0.25', scale: '1/255' }, 3), { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  // Keras' pixel / 127.5 - 1 on raw values: (p - 127.5) / 127.5 = (p/255 - 0.5) / 0.5.
  assert.deepEqual(parseNormalization({ scale: '1', mean: '127.5', std: '127.5' }, 1), { mean: [0.5], std: [0.5] });
  // A scale alone: x = p * scale, i.e. mean 0 and std 1 / (255 * scale).
  assert.deepEqual(parseNormalization({ scale: '1' }, 2), { mean: [0, 0], std: [1 / 255, 1 / 255] });
  assert.deepEqual(resolveNormalization({}, 3, { mean: [1, 2, 3], std: [4, 5, 6] }, 'm'), { mean: [1, 2, 3], std: [4, 5, 6] });
  assert.deepEqual(resolveNormalization({ scale: '1/255' }, 3, { mean: [1, 2, 3], std: [4, 5, 6] }, 'm'), { mean: [0, 0, 0], std: [1, 1, 1] });
});

test('bad input flags: one line each', () => {
  assert.throws(() => parseNormalization({ mean: '0.5,0.5', std: '0.2,0.2' }, 3), kitError('bad-option', /--mean has 2 values but the model's input has 3 channels/));
  assert.throws(() => parseNormalization({ mean: '0.5', std: '0.2,0.2,0.2,0.2' }, 3), kitError('bad-option', /--std has 4 values/));
  assert.throws(() => parseNormalization({ mean: '0.5' }, 3), kitError('bad-option', /--mean needs --std too/));
  assert.throws(() => parseNormalization({ mean: 'a,b,c', std: '1' }, 3), kitError('bad-option', /not a comma-separated list of numbers/));
  assert.throws(() => parseNormalization({ mean: '0', std: '0' }, 3), kitError('bad-option', /not positive/));
  assert.throws(() => parseNormalization({ scale: '-1' }, 3), kitError('bad-option', /--scale '-1' is not a positive number/));
  assert.throws(() => resolveNormalization({}, 3, undefined, 'model.onnx'), kitError('bad-option', /model\.onnx does not say how pixels become its input/));
  assert.throws(() => parseClassNames('a,,b'), kitError('bad-option', /empty name/));
  assert.throws(() => parseClassNames('a,b,a'), kitError('bad-option', /names a class twice/));
  assert.throws(() => parseClassNames('a,b', 3), kitError('bad-option', /names 2 classes but the model has 3 outputs/));
  assert.deepEqual(parseResize('96x64'), { height: 96, width: 64 });
  assert.deepEqual(parseResize('36'), { shorter: 36 });
  assert.throws(() => parseResize('0x3'), kitError('bad-option', /neither HxW nor a size/));
});

test('an image folder of 40x30 images: read as they are for a 30x40 model, refused for another size without --resize', () => {
  const root = writeFlatFolder(join(tmpDir('flat'), 'photos'), ['dog', 'cat', 'bird'], 2);
  const data = loadModelData({ data: root }, pixelModel([H, W, 3]));
  // No train/test: everything is in `test`, labels are the sorted folder names.
  assert.equal(data.train, null);
  assert.deepEqual(data.classes, ['bird', 'cat', 'dog']);
  assert.deepEqual([...data.test.labels], [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(data.test.shape, [H, W, 3]);
  // bird/0.png was written as image 4 (dog 0-1, cat 2-3, bird 4-5): PNG pixels come back exactly.
  assert.equal(data.test.images[(5 * W + 7) * 3 + 2], ramp(4, 5, 7, 2));
  const refused = (e: unknown) => {
    kitError('image-size', /bird\/0\.png is 30x40 \(height x width\) but the model reads 32x32x3 images$/)(e);
    assert.match((e as KitError).format(), /pass --resize 32x32 to resize every image, or --center-crop/);
    return true;
  };
  assert.throws(() => loadModelData({ data: root }, pixelModel([32, 32, 3])), refused);
});

test('--resize HxW, --resize N --center-crop and --center-crop alone fit the images exactly as asked', () => {
  const root = writeFlatFolder(join(tmpDir('fit'), 'photos'), ['a'], 1);
  // Halving the width keeps a linear ramp linear: output x samples source x 2x + 0.5, i.e. 10 + 4 (2x + 0.5).
  const half = loadModelData({ data: root, resize: '30x20' }, pixelModel([30, 20, 3]));
  for (let x = 1; x < 19; x++) assert.equal(half.test.images[(4 * 20 + x) * 3], 10 + 4 * (2 * x + 0.5), `x ${x}`);
  // Centre crop of 16x16 out of 30x40: rows 7.., columns 12.., pixels unchanged.
  const crop = loadModelData({ data: root, centerCrop: true }, pixelModel([16, 16, 3]));
  for (let x = 0; x < 16; x++) assert.equal(crop.test.images[(3 * 16 + x) * 3 + 1], ramp(0, 10, 12 + x, 1));
  // Shorter side to 15 (30x40 -> 15x20), then the middle 15x15: columns 2.. of the halved image.
  const both = loadModelData({ data: root, resize: '15', centerCrop: true }, pixelModel([15, 15, 3]));
  assert.equal(both.test.images[(7 * 15 + 5) * 3], 10 + 4 * (2 * (5 + 2) + 0.5));
  assert.throws(() => loadModelData({ data: root, centerCrop: true }, pixelModel([32, 32, 3])), kitError('image-size', /0\.png: it is 30x40 \(height x width\), smaller than the model's 32x32 input/));
  assert.throws(() => loadModelData({ data: root, resize: '20x20' }, pixelModel([32, 32, 3])), kitError('image-size', /is 20x20 after --resize 20x20/));
  // JPEGs of any size decode and resize too (quality 100: within a few steps of the ramp).
  const jpgRoot = writeFlatFolder(join(tmpDir('jpg'), 'photos'), ['a'], 1, 'jpg');
  const j = loadModelData({ data: jpgRoot, resize: '30x20' }, pixelModel([30, 20, 3]));
  assert.ok(Math.abs(j.test.images[(4 * 20 + 9) * 3] - (10 + 4 * 18.5)) <= 3);
});

test('empty folders, class folders without images, a half split: one line each', () => {
  const dir = tmpDir('empty');
  mkdirSync(join(dir, 'nothing'));
  assert.throws(() => loadImageData(join(dir, 'nothing')), kitError('empty-dataset', /nothing is empty/));
  mkdirSync(join(dir, 'noimages', 'cat'), { recursive: true });
  writeFileSync(join(dir, 'noimages', 'cat', 'notes.txt'), 'x');
  assert.throws(() => loadImageData(join(dir, 'noimages')), kitError('unknown-dataset', /noimages is not a dataset kit can read/));
  writeFlatFolder(join(dir, 'half', 'train'), ['a'], 1);
  assert.throws(() => loadImageData(join(dir, 'half')), kitError('missing-split', /has train\/ but not test\//));
});

test('labels follow the model\'s class names when the folders are named after them; too many folders are refused', () => {
  const root = writeFlatFolder(join(tmpDir('names'), 'photos'), ['cat', 'dog'], 1);
  const named = loadModelData({ data: root }, pixelModel([H, W, 3], 3, ['dog', 'horse', 'cat']));
  assert.deepEqual([...named.test.labels], [2, 0]);
  const unnamed = loadModelData({ data: root }, pixelModel([H, W, 3], 3, ['0', '1', '2']));
  assert.deepEqual([...unnamed.test.labels], [0, 1]);
  assert.throws(() => loadModelData({ data: root }, pixelModel([H, W, 3], 1)), kitError('class-count', /has 2 class folders but the model has 1 outputs/));
});

test('a folder without splits: calibration and evaluation images are disjoint, seeded, and cover it', () => {
  const root = writeFlatFolder(join(tmpDir('split'), 'photos'), ['a', 'b'], 5);
  const data = loadModelData({ data: root }, pixelModel([H, W, 3]));
  const { calib, eval: ev } = calibrationSplit(data, 4, undefined, 1);
  assert.equal(calib.count, 4);
  assert.equal(ev!.count, 6);
  // Each image's red value at x = 0 is 10 + its index: the two sets share none and cover all ten.
  const ids = (s: typeof calib) => Array.from({ length: s.count }, (_, k) => s.images[k * H * W * 3] - 10);
  assert.deepEqual([...ids(calib), ...ids(ev!)].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(calibrationSplit(data, 4, undefined, 1), { calib, eval: ev });
});

test('raw tensors: uint8 pixels for a model that normalizes itself; wrong dtype, shape, labels and flags are one line each', () => {
  const dir = tmpDir('npy');
  const file = (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  const x = Uint8Array.from({ length: 4 * 5 * 6 * 3 }, (_, i) => (i * 13) & 255);
  const model = pixelModel([5, 6, 3], 3);
  const ok = loadModelData({ inputs: file('x.npy', npyBytes('|u1', [4, 5, 6, 3], x)), labels: file('y.npy', npyBytes('|u1', [4], Uint8Array.from([2, 0, 1, 2]))) }, model);
  assert.deepEqual([...ok.test.images], [...x]);
  assert.deepEqual([...ok.test.labels], [2, 0, 1, 2]);
  assert.equal(ok.labelled, true);
  const f32 = file('f.npy', npyBytes('<f4', [4, 5, 6, 3], new Uint8Array(x.length * 4)));
  assert.throws(() => loadModelData({ inputs: f32 }, model), kitError('npy-dtype', /holds <f4 values but the model's input is uint8 pixels 0\.\.255 \(the model normalizes them itself\)/));
  const chw = file('chw.npy', npyBytes('|u1', [4, 3, 5, 6], x));
  assert.throws(() => loadModelData({ inputs: chw }, model), (e: unknown) => kitError('npy-shape', /has shape \(4, 3, 5, 6\); the model takes N inputs of \[5, 6, 3\]/)(e) && /transpose\(0, 2, 3, 1\)/.test((e as KitError).format()));
  assert.throws(() => loadModelData({ inputs: file('x0.npy', npyBytes('|u1', [0, 5, 6, 3], new Uint8Array(0))) }, model), kitError('npy-empty'));
  const badLabels = file('yb.npy', npyBytes('|u1', [4], Uint8Array.from([0, 1, 3, 0])));
  assert.throws(() => loadModelData({ inputs: join(dir, 'x.npy'), labels: badLabels }, model), kitError('label-range', /label 3 at 2, but the model has 3 classes/));
  assert.throws(() => loadModelData({ inputs: join(dir, 'x.npy'), resize: '5x6' }, model), kitError('bad-option', /apply to images/));
  assert.throws(() => loadModelData({ labels: badLabels }, model), kitError('bad-option', /--labels goes with --inputs/));
});

test('images for an int8-input model: each pixel\'s real value quantized with the input\'s scale and zero point', () => {
  const set = { images: Uint8Array.from([0, 1, 127, 128, 254, 255]), labels: new Uint8Array(1), count: 1, shape: [1, 2, 3] };
  const input: ModelInput = { shape: [1, 2, 3], dtype: 'int8', pixels: false, quant: { scale: Math.fround(1 / 255), zeroPoint: -128 }, outputs: 2 };
  // pixel / 255 at scale 1/255 and zero point -128 is pixel - 128.
  assert.deepEqual([...new Int8Array(imagesToInput(set, input, { mean: [0, 0, 0], std: [1, 1, 1] }).images.buffer)], [-128, -127, -1, 0, 126, 127]);
  // (p/255 - 0.5) / 0.25 at scale 0.04, zero point 3: 0 -> -2/0.04 + 3 = -47; 255 -> 53; 128 -> round(0.0078/0.04 = 0.196) + 3 = 3.
  const other = { ...input, quant: { scale: 0.04, zeroPoint: 3 } };
  assert.deepEqual([...new Int8Array(imagesToInput(set, other, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }).images.buffer)].filter((_, i) => i === 0 || i === 3 || i === 5), [-47, 3, 53]);
  assert.throws(() => imagesToInput(set, input, undefined), kitError('bad-option', /reads a quantized int8 tensor \(scale 0\.0039\d+, zero point -128\), and nothing says how a pixel becomes its value/));
  assert.equal(parseImagePrep({}).resize, undefined);
});

test('a 1-channel model takes grey images as their one channel; a colour image is refused in one line', () => {
  const root = join(tmpDir('grey'), 'photos');
  mkdirSync(join(root, 'a'), { recursive: true });
  const png = new PNG({ width: 4, height: 3 });
  for (let p = 0; p < 12; p++) png.data.set([p * 20, p * 20, p * 20, 255], 4 * p);
  writeFileSync(join(root, 'a', 'grey.png'), PNG.sync.write(png));
  const grey = loadModelData({ data: root }, pixelModel([3, 4, 1], 1));
  assert.deepEqual([...grey.test.images], Array.from({ length: 12 }, (_, p) => p * 20));
  png.data[4 * 5] = 7;
  writeFileSync(join(root, 'a', 'colour.png'), PNG.sync.write(png));
  assert.throws(() => loadModelData({ data: root }, pixelModel([3, 4, 1], 1)), kitError('image-channels', /colour\.png is a colour image but the model reads 1 channel/));
  assert.throws(() => loadModelData({ data: root }, pixelModel([640], 1)), kitError('data-shape', /reads \[640\] inputs, not RGB or grey images/));
});
