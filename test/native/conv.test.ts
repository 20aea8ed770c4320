import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { addon, assertClose, assertSame, randomTensor, runBoth, skip, useNative } from './fixtures.js';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
interface Case {
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { x: [3, 8, 8, 4], f: [3, 3, 4, 6], strides: 2, pad: 'same' },
  { x: [2, 9, 7, 5], f: [3, 3, 5, 4], strides: 2, pad: 'valid' },
  { x: [2, 8, 8, 6], f: [1, 1, 6, 7], strides: 1, pad: 'same' }, // pointwise: no im2col
  { x: [3, 9, 9, 4], f: [1, 1, 4, 8], strides: 2, pad: 'same' }, // the ResNet shortcut
  { x: [2, 6, 11, 3], f: [5, 3, 3, 4], strides: [1, 2], pad: 'valid' },
  { x: [2, 11, 11, 3], f: [3, 3, 3, 2], strides: 1, pad: [[0, 0], [1, 2], [2, 1], [0, 0]] },
  { x: [1, 5, 5, 2], f: [3, 3, 2, 3], strides: 1, pad: 1 },
  // 16 to 64 output channels take the direct kernel (and, at stride 1, so does the input
  // gradient); the others im2col + GEMM.
  { x: [3, 7, 9, 5], f: [3, 3, 5, 16], strides: 1, pad: 'same' },
  { x: [2, 9, 8, 3], f: [3, 3, 3, 48], strides: 2, pad: 'valid' },
  { x: [2, 6, 7, 16], f: [5, 5, 16, 64], strides: 1, pad: [[0, 0], [2, 1], [0, 2], [0, 0]] },
  { x: [2, 5, 13, 16], f: [1, 1, 16, 16], strides: 2, pad: 'same' },
  { x: [2, 9, 11, 32], f: [3, 3, 32, 16], strides: 1, pad: 'valid' },
  { x: [2, 7, 7, 12], f: [3, 3, 12, 48], strides: 1, pad: 'same' },
  // Big enough for many im2col blocks and all eight filter-gradient slices.
  { x: [8, 32, 32, 16], f: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [4, 16, 16, 32], f: [3, 3, 32, 32], strides: 1, pad: 'same' },
];

const attrsOf = (c: Case) => ({ strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: 1 }) as unknown as tf.NamedAttrMap;
const label = (name: string, c: Case) => `${name} ${JSON.stringify(c)}`;
const outShape = (c: Case) => tf.backend_util.computeConv2DInfo(c.x, c.f, c.strides, 1, c.pad).outShape;

test('native Conv2D matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(11);
  for (const c of CASES) {
    const r = await runBoth('Conv2D', { x: randomTensor(c.x, rng), filter: randomTensor(c.f, rng) }, attrsOf(c));
    assert.deepEqual(r.gotShape, r.wantShape);
    assertClose(r.got, r.want, 1e-5, label('Conv2D', c));
  }
  // Dilation (forward only: tfjs has no gradient for dilated convs).
  const c: Case = { x: [2, 9, 9, 3], f: [3, 3, 3, 4], strides: 1, pad: 'same' };
  const r = await runBoth('Conv2D', { x: randomTensor(c.x, rng), filter: randomTensor(c.f, rng) }, { ...attrsOf(c), dilations: 2 });
  assertClose(r.got, r.want, 1e-5, 'dilated Conv2D');
});

test('native FusedConv2D (bias, ReLU) matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(12);
  for (const c of CASES) {
    for (const activation of ['linear', 'relu']) {
      for (const withBias of [true, false]) {
        const inputs = { x: randomTensor(c.x, rng), filter: randomTensor(c.f, rng), bias: withBias ? randomTensor([c.f[3]], rng) : undefined };
        const r = await runBoth('FusedConv2D', inputs, { ...attrsOf(c), activation, leakyreluAlpha: 0.2 });
        assertClose(r.got, r.want, 1e-5, label(`FusedConv2D ${activation} bias=${withBias}`, c));
      }
    }
  }
});

test('native Conv2DBackpropInput matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(13);
  for (const c of CASES) {
    const r = await runBoth('Conv2DBackpropInput', { dy: randomTensor(outShape(c), rng), filter: randomTensor(c.f, rng) }, { ...attrsOf(c), inputShape: c.x });
    assert.deepEqual(r.gotShape, c.x);
    assertClose(r.got, r.want, 1e-5, label('Conv2DBackpropInput', c));
  }
});

test('native Conv2DBackpropFilter matches the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(14);
  for (const c of CASES) {
    const r = await runBoth('Conv2DBackpropFilter', { x: randomTensor(c.x, rng), dy: randomTensor(outShape(c), rng) }, { ...attrsOf(c), filterShape: c.f });
    assert.deepEqual(r.gotShape, c.f);
    assertClose(r.got, r.want, 1e-5, label('Conv2DBackpropFilter', c));
  }
});

// Shapes that oneDNN gets when the addon is built with it (forward: all but RGB stems; the input
// gradient: fewer than 32 input channels or strided; the filter gradient: all): odd sizes, stride 2, 1x1, 'same' and 'valid', batch 1, and batches
// that do not split into equal chunks of images (11 = 5 chunks of 2 + 1).
const DNNL_CASES: Case[] = [
  { x: [1, 9, 9, 32], f: [3, 3, 32, 32], strides: 1, pad: 'same' },
  { x: [11, 8, 8, 16], f: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [3, 9, 7, 24], f: [3, 3, 24, 72], strides: 2, pad: 'valid' },
  { x: [2, 7, 7, 64], f: [1, 1, 64, 128], strides: 1, pad: 'same' },
  { x: [5, 9, 9, 32], f: [1, 1, 32, 64], strides: 2, pad: 'same' },
  { x: [2, 6, 6, 130], f: [3, 3, 130, 100], strides: 1, pad: 'same' },
  { x: [2, 10, 10, 3], f: [1, 1, 3, 64], strides: 1, pad: 'valid' },
  { x: [9, 5, 5, 40], f: [3, 3, 40, 48], strides: 1, pad: 'valid' },
  { x: [3, 8, 8, 16], f: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 16], strides: 1, pad: 'same' },
];

/** The gradients of case c, run natively and by the JS kernel. */
const gradients = async (c: Case, rng: Rng) => {
  const dy = randomTensor(outShape(c), rng);
  return {
    input: await runBoth('Conv2DBackpropInput', { dy, filter: randomTensor(c.f, rng) }, { ...attrsOf(c), inputShape: c.x }),
    filter: await runBoth('Conv2DBackpropFilter', { x: randomTensor(c.x, rng), dy }, { ...attrsOf(c), filterShape: c.f }),
  };
};

test('FusedConv2D on oneDNN and on kit\'s own kernels both match the JS kernel', { skip }, async () => {
  await useNative();
  const rng = new Rng(15);
  try {
    for (const dnnl of [true, false]) {
      addon!.setDnnl(dnnl);
      for (const c of DNNL_CASES) {
        for (const activation of ['linear', 'relu']) {
          const inputs = { x: randomTensor(c.x, rng), filter: randomTensor(c.f, rng), bias: randomTensor([c.f[3]], rng) };
          const r = await runBoth('FusedConv2D', inputs, { ...attrsOf(c), activation, leakyreluAlpha: 0.2 });
          assert.deepEqual(r.gotShape, r.wantShape);
          assertClose(r.got, r.want, 1e-5, label(`FusedConv2D dnnl=${dnnl} ${activation}`, c));
        }
      }
    }
  } finally {
    addon!.setDnnl(true);
  }
});

test('the convolution gradients on oneDNN and on kit\'s own kernels both match the JS kernels', { skip }, async () => {
  await useNative();
  const rng = new Rng(17);
  try {
    for (const dnnl of [true, false]) {
      addon!.setDnnl(dnnl);
      for (const c of DNNL_CASES) {
        const g = await gradients(c, rng);
        assertClose(g.input.got, g.input.want, 1e-5, label(`Conv2DBackpropInput dnnl=${dnnl}`, c));
        assertClose(g.filter.got, g.filter.want, 1e-5, label(`Conv2DBackpropFilter dnnl=${dnnl}`, c));
      }
    }
  } finally {
    addon!.setDnnl(true);
  }
});

test('the convolution gradients are bit-identical run to run and for 1 or 2 threads', { skip }, async () => {
  await useNative();
  const threads = addon!.info().threads;
  try {
    for (const c of DNNL_CASES) {
      addon!.setThreads(2);
      const a = await gradients(c, new Rng(18));
      const b = await gradients(c, new Rng(18));
      addon!.setThreads(1);
      const one = await gradients(c, new Rng(18));
      for (const k of ['input', 'filter'] as const) {
        assertSame(b[k].got, a[k].got, label(`${k} gradient run to run`, c));
        assertSame(one[k].got, a[k].got, label(`${k} gradient 1 vs 2 threads`, c));
      }
    }
  } finally {
    addon!.setThreads(threads);
  }
});

test('the forward convolution is bit-identical run to run and for 1 or 2 threads', { skip }, async () => {
  await useNative();
  const rng = new Rng(16);
  const threads = addon!.info().threads;
  try {
    for (const c of DNNL_CASES) {
      const inputs = { x: randomTensor(c.x, rng), filter: randomTensor(c.f, rng), bias: randomTensor([c.f[3]], rng) };
      const attrs = { ...attrsOf(c), activation: 'relu', leakyreluAlpha: 0.2 };
      addon!.setThreads(2);
      const a = await runBoth('FusedConv2D', inputs, attrs);
      const b = await runBoth('FusedConv2D', inputs, attrs);
      addon!.setThreads(1);
      const one = await runBoth('FusedConv2D', inputs, attrs);
      assertSame(b.got, a.got, label('run to run', c));
      assertSame(one.got, a.got, label('1 vs 2 threads', c));
    }
  } finally {
    addon!.setThreads(threads);
  }
});
