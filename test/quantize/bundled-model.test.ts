/**
 * Accuracy floors of the bundled ResNet-8 (trained by kit train on the CIFAR-10 JPEG copy) on the
 * bundled 200-image test sample, float and both integer schemes. Calibration uses the sample's
 * training images only. The full-test-set figures are in the README (kit quantize --data ...).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/load-dataset.js';
import { quantizeModel } from '../../src/quantize/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MODEL = join(ROOT, 'test', 'fixtures', 'resnet8');
const ds = loadDataset(join(ROOT, 'test', 'fixtures', 'cifar10-sample'));

/** Measured on the sample when the model was bundled, less a margin of about two images. */
const FLOAT_MEASURED = 0.865;
const FLOAT_FLOOR = FLOAT_MEASURED - 0.01;

for (const [scheme, maxDrop] of [['int8', 0.02], ['uint8', 0.03]] as const) {
  test(`bundled ResNet-8, ${scheme}: float and integer accuracy on the 200-image sample stay above their floors`, async () => {
    const result = await quantizeModel({
      modelDir: MODEL,
      scheme,
      calibImages: { images: ds.train.images, count: ds.train.count, split: 'train' },
      evalSet: { images: ds.test.images, labels: ds.test.labels, count: ds.test.count },
    });
    const e = result.report.evaluation!;
    assert.equal(e.images, 200);
    assert.ok(e.floatTop1 >= FLOAT_FLOOR, `float top-1 ${e.floatTop1} < ${FLOAT_FLOOR}`);
    assert.ok(e.quantTop1 >= e.floatTop1 - maxDrop, `${scheme} top-1 ${e.quantTop1} drops more than ${maxDrop} from float ${e.floatTop1}`);
    assert.ok(e.agreement >= 0.9, `top-1 agreement ${e.agreement}`);
  });
}
