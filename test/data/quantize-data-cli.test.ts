/**
 * kit quantize with the user's data, through the CLI, on a float ONNX model imported without class
 * names or normalization of its own (a 16x16x3 input): a folder of 40x30 photos (refused without
 * --resize, one line naming a file; taken with it), --mean/--std given on the command line, class
 * names from the folders, raw .npy tensors with labels; bad input exits non-zero and writes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { importOnnx } from '../../src/import/onnx/index.js';
import { kit, onlyJson } from '../cli/helpers.js';
import { tinyCnn } from '../import/tiny-cnn.js';
import { npyBytes } from '../import/npy.js';
import { tmpDir } from './fixtures.js';

const CLASSES = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'];

function photo(file: string, k: number): void {
  const png = new PNG({ width: 40, height: 30 });
  for (let p = 0; p < 40 * 30; p++) for (let c = 0; c < 4; c++) png.data[4 * p + c] = c === 3 ? 255 : (k * 41 + p * (c + 3)) & 255;
  writeFileSync(file, PNG.sync.write(png));
}

interface QuantizeJson {
  out: string;
  report: { calibration: { images: number }; evaluation: { images: number } | null };
}

test('kit quantize on an imported ONNX model with a folder of 40x30 photos, --resize, --mean/--std, .npy tensors; bad data writes nothing', async () => {
  const dir = tmpDir('quantize-data');
  const env = { KIT_CACHE_DIR: join(dir, 'cache'), KIT_EVAL_THREADS: '1' };
  writeFileSync(join(dir, 'tiny.onnx'), tinyCnn(16));
  // Imported with the identity normalization: the real one is given to kit quantize.
  await importOnnx(join(dir, 'tiny.onnx'), join(dir, 'tiny'), { normalization: { mean: [0], std: [1] } });
  const photos = join(dir, 'photos');
  CLASSES.forEach((cls, label) => {
    mkdirSync(join(photos, cls), { recursive: true });
    for (let j = 0; j < 2; j++) photo(join(photos, cls, `${j}.png`), label * 2 + j);
  });
  const out = (name: string) => join(dir, name);

  // Photos of another size than the model's input, without --resize: one line naming a file.
  const refused = await kit(['quantize', join(dir, 'tiny'), '--data', photos, '--out', out('no-resize')], { env });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr.trim(), /^kit quantize: \S+c0\/0\.png is 30x40 \(height x width\) but the model reads 16x16x3 images \(pass --resize 16x16 to resize every image, or --center-crop \(with --resize N\) to cut out the middle\)$/);
  assert.equal(existsSync(out('no-resize')), false);

  // A mean/std count that is not the channel count.
  const badMean = await kit(['quantize', join(dir, 'tiny'), '--data', photos, '--resize', '16x16', '--mean', '0.5,0.5', '--std', '0.2,0.2', '--out', out('bad-mean')], { env });
  assert.notEqual(badMean.code, 0);
  assert.match(badMean.stderr.trim(), /^kit quantize: --mean has 2 values but the model's input has 3 channels \(give 3 comma-separated values, or one for all\)$/);
  assert.equal(existsSync(out('bad-mean')), false);

  // With --resize and the normalization: 8 photos calibrate, the other 12 are evaluated; class
  // names come from the folders; the model's input stage uses the flags' mean and std.
  const ok = await kit(['quantize', join(dir, 'tiny'), '--scheme', 'int8', '--data', photos, '--resize', '16x16', '--mean', '0.485,0.456,0.406', '--std', '0.229,0.224,0.225', '--calib', '8', '--out', out('q'), '--json'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  const doc = onlyJson<QuantizeJson>(ok);
  assert.equal(doc.report.calibration.images, 8);
  assert.equal(doc.report.evaluation?.images, 12);
  const graph = JSON.parse(readFileSync(join(out('q'), 'graph.json'), 'utf8')) as { manifest: { meta: { classes: string[]; normalization: { mean: number[] } } }; graph: { nodes: { op: string; attrs: { mean?: number[]; std?: number[] } }[] } };
  assert.deepEqual(graph.manifest.meta.classes, CLASSES);
  assert.deepEqual(graph.manifest.meta.normalization.mean, [0.485, 0.456, 0.406]);
  assert.deepEqual(graph.graph.nodes[0].attrs.std, [0.229, 0.224, 0.225]);

  // Raw tensors: a float32 .npy is refused in one line; uint8 pixels with labels are taken.
  const x = Uint8Array.from({ length: 12 * 16 * 16 * 3 }, (_, i) => (i * 7) & 255);
  writeFileSync(join(dir, 'x32.npy'), npyBytes('<f4', [12, 16, 16, 3], new Uint8Array(x.length * 4)));
  const f32 = await kit(['quantize', join(dir, 'tiny'), '--inputs', join(dir, 'x32.npy'), '--mean', '0.5', '--std', '0.25', '--out', out('f32')], { env });
  assert.notEqual(f32.code, 0);
  assert.match(f32.stderr.trim(), /^kit quantize: \S+x32\.npy holds <f4 values but the model's input is uint8 pixels 0\.\.255 \(the model normalizes them itself\) \(save the inputs as numpy\.uint8\)$/);
  assert.equal(existsSync(out('f32')), false);
  writeFileSync(join(dir, 'x.npy'), npyBytes('|u1', [12, 16, 16, 3], x));
  writeFileSync(join(dir, 'y.npy'), npyBytes('<i8', [12], new Uint8Array(BigInt64Array.from({ length: 12 }, (_, i) => BigInt(i % 10)).buffer)));
  const npy = await kit(['quantize', join(dir, 'tiny'), '--inputs', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy'), '--mean', '0.5', '--std', '0.25', '--classes', CLASSES.join(','), '--calib', '5', '--out', out('npy'), '--json'], { env });
  assert.equal(npy.code, 0, npy.stderr);
  const npyDoc = onlyJson<QuantizeJson>(npy);
  assert.deepEqual([npyDoc.report.calibration.images, npyDoc.report.evaluation?.images], [5, 7]);
});
