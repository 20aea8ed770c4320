import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKitError } from '../../src/errors.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { getScheme, INT8, UINT8 } from '../../src/quantize/schemes.js';
import { asymmetricParams, quantizeValue, symmetricParams } from '../../src/quantize/qparams.js';

test('only 8-bit schemes: bits=4 is refused as not supported yet', async () => {
  assert.equal(getScheme('uint8'), UINT8);
  assert.equal(getScheme('int8', 8), INT8);
  assert.throws(() => getScheme('int8', 4), (e) => isKitError(e) && e.code === 'bits-unsupported' && e.format() === 'kit quantize: 4-bit quantization is not supported yet (use --bits 8)');
  assert.throws(() => getScheme('int4'), (e) => isKitError(e) && e.code === 'scheme-unknown');
  // Refused before the model folder is even read.
  await assert.rejects(
    quantizeModel({ modelDir: '/nonexistent', bits: 4, calibImages: { images: new Uint8Array(0), count: 0 } }),
    (e) => isKitError(e) && e.code === 'bits-unsupported',
  );
});

test('affine parameters: zero exactly representable, symmetric weights in [-127, 127]', () => {
  const p = asymmetricParams(-1, 3, 0, 255);
  assert.equal(p.scale, Math.fround(4 / 255));
  assert.equal(p.zeroPoint, 64);
  assert.equal(quantizeValue(0, p, 0, 255), p.zeroPoint);
  const post = asymmetricParams(0.5, 6, -128, 127); // widened to include 0
  assert.equal(post.zeroPoint, -128);
  const s = symmetricParams(2.54, 127);
  assert.equal(s.zeroPoint, 0);
  assert.equal(quantizeValue(-2.54, s, -127, 127), -127);
  assert.equal(quantizeValue(-3, s, -127, 127), -127); // never -128
  assert.deepEqual(asymmetricParams(0, 0, -128, 127), { scale: 1, zeroPoint: 0 });
});
