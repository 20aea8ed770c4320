import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConvGeometry } from '../../src/ops/common/conv-geometry.js';
import { prepareIntConv, type IntConvSpec } from '../../src/ops/common/int-conv.js';
import { Rng } from '../../src/util/rng.js';
import { skip } from './fixtures.js';

/** A conv geometry with 'same'-style padding (stride 1) or Keras' bottom/right padding (stride 2). */
function geometry(size: number, inC: number, k: number, stride: number): ConvGeometry {
  const out = Math.ceil(size / stride);
  const pad = Math.max(0, (out - 1) * stride + k - size);
  return { inH: size, inW: size, inC, kH: k, kW: k, strideH: stride, strideW: stride, padTop: Math.floor(pad / 2), padLeft: Math.floor(pad / 2), outH: out, outW: out };
}

// Odd runs (3 input channels), channel counts that are not multiples of 8 and beyond one block
// of 64, stride 2, 1x1, and a dense layer (one pixel).
const CASES: [string, ConvGeometry, number][] = [
  ['3x3 3->16 (odd run)', geometry(8, 3, 3, 1), 16],
  ['3x3 16->13', geometry(6, 16, 3, 1), 13],
  ['3x3 stride 2 8->72', geometry(7, 8, 3, 2), 72],
  ['1x1 stride 2 5->130', geometry(6, 5, 1, 2), 130],
  ['dense 64->10', geometry(1, 64, 1, 1), 10],
];

function spec(g: ConvGeometry, channels: number, rng: Rng, extreme: boolean): IntConvSpec {
  const depth = g.kH * g.kW * g.inC;
  // Extreme weights (all +-255) reach far past the JS packed path's 2^26 bound.
  const weights = Int16Array.from({ length: channels * depth }, () => (extreme ? (rng.next() < 0.5 ? -255 : 255) : rng.int(511) - 255));
  return {
    node: 'test',
    geometry: g,
    channels,
    weights,
    bias: Int32Array.from({ length: channels }, () => rng.int(20001) - 10000),
    multiplier: Array.from({ length: channels }, () => 2 ** 30 + rng.int(2 ** 30)),
    shift: Array.from({ length: channels }, () => -(8 + rng.int(12))),
    inputZeroPoint: extreme ? -128 : 3,
    outputZeroPoint: -7,
    activationMin: -128,
    activationMax: 127,
    maxAbsInput: 255,
  };
}

test('native integer convolution equals the plain JS loop on every output', { skip }, () => {
  const rng = new Rng(23);
  for (const [label, g, channels] of CASES) {
    for (const extreme of [false, true]) {
      const s = spec(g, channels, rng, extreme);
      const input = Int8Array.from({ length: g.inH * g.inW * g.inC }, () => (extreme ? 127 : rng.int(256) - 128));
      const native = prepareIntConv(s);
      assert.equal(native.path, 'native', label);
      const got = new Int8Array(g.outH * g.outW * channels);
      const want = new Int8Array(got.length);
      native.run(input, got);
      prepareIntConv({ ...s, plain: true }).run(input, want);
      assert.deepEqual(got, want, `${label}${extreme ? ', extreme weights' : ''}`);
      // Not a constant output: the case exercises the arithmetic.
      assert.ok(new Set(want).size > 2, `${label}: outputs vary`);
    }
  }
});
