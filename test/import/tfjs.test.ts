/**
 * TensorFlow.js models kit train did not write: a graph model in tensorflowjs_converter's format
 * (Keras ops after Grappler: _FusedConv2D with BiasAdd + Relu, FusedDepthwiseConv2dNative with Relu6,
 * Conv2D + BiasAdd, AddV2, Relu, AvgPool, MaxPool, ConcatV2, Mean, Reshape, MatMul, _FusedMatMul,
 * Softmax, the Rescaling and Normalization layers as Mul/Sub/RealDiv at the input), checked against
 * tfjs-converter's own execution of it, quantized, and its C equal to the integer interpreter; and a
 * Layers model without kit.json, whose normalization and class names come from the caller.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateC } from '../../src/codegen/index.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { CIFAR10_CLASSES, selectImages } from '../../src/data/types.js';
import { importTfjs, importTfjsGraph } from '../../src/import/tfjs/index.js';
import { graphFromLayersModel } from '../../src/ir/from-layers.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { argmax } from '../../src/quantize/evaluate.js';
import { loadTrainedModel } from '../../src/quantize/load-trained-model.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { readModelArtifacts } from '../../src/train/model-io.js';
import { assertMatchesInterpreter, compileModel, missing, runModel } from '../codegen/helpers.js';
import { kitError } from '../kit-error.js';
import { layersModelToGraphModel } from './layers-to-graph-model.js';
import { randomPixels, randomValues } from './onnx-builder.js';
import { fused, ints, str, TfjsGraphBuilder } from './tfjs-graph-builder.js';

const work = mkdtempSync(join(tmpdir(), 'kit-tfjs-'));
after(() => rmSync(work, { recursive: true, force: true }));
const SHAPE = [11, 9, 3];
const PIXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];
const CLASSES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
const CIFAR = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };

/** A small Keras CNN as tensorflowjs_converter writes it; the model reads raw pixel values 0..255. */
function kerasCnn(dir: string): string {
  const b = new TfjsGraphBuilder(SHAPE);
  const w = (name: string, shape: number[], seed: number, scale = 0.4) => b.const(name, shape, randomValues(shape.reduce((p, q) => p * q, 1), seed, scale));
  const p = 'StatefulPartitionedCall/model/';
  const conv = { strides: ints([1, 1, 1, 1]), padding: str('SAME'), data_format: str('NHWC'), dilations: ints([1, 1, 1, 1]), explicit_paddings: { list: {} }, num_args: { i: '1' } };
  // Rescaling(1/255) and Normalization(mean, variance) layers.
  let x = b.node(`${p}rescaling/mul`, 'Mul', ['input_1', b.const(`${p}rescaling/Cast`, [], [1 / 255])]);
  x = b.node(`${p}normalization/sub`, 'Sub', [x, b.const(`${p}normalization/Reshape`, [1, 1, 1, 3], [0.49, 0.48, 0.45])]);
  x = b.node(`${p}normalization/truediv`, 'RealDiv', [x, b.const(`${p}normalization/Sqrt`, [1, 1, 1, 3], [0.25, 0.24, 0.26])]);
  x = b.node(`${p}conv2d/Relu`, '_FusedConv2D', [x, w(`${p}conv2d/Conv2D/ReadVariableOp`, [3, 3, 3, 8], 1), w(`${p}conv2d/BiasAdd/ReadVariableOp`, [8], 2, 0.1)], { ...conv, fused_ops: fused('BiasAdd', 'Relu') });
  const dw = b.node(`${p}depthwise_conv2d/Relu6`, 'FusedDepthwiseConv2dNative', [x, w(`${p}depthwise_conv2d/depthwise/ReadVariableOp`, [3, 3, 8, 2], 3), w(`${p}depthwise_conv2d/BiasAdd/ReadVariableOp`, [16], 4, 0.1)], { ...conv, strides: ints([1, 2, 2, 1]), fused_ops: fused('BiasAdd', 'Relu6') });
  // A 1x1 Conv2D with its BiasAdd as separate nodes, a residual AddV2 and a Relu.
  x = b.node(`${p}conv2d_1/Conv2D`, 'Conv2D', [dw, w(`${p}conv2d_1/Conv2D/ReadVariableOp`, [1, 1, 16, 16], 5)], { ...conv, padding: str('VALID') });
  x = b.node(`${p}conv2d_1/BiasAdd`, 'BiasAdd', [x, w(`${p}conv2d_1/BiasAdd/ReadVariableOp`, [16], 6, 0.1)], { data_format: str('NHWC') });
  x = b.node(`${p}re_lu/Relu`, 'Relu', [b.node(`${p}add/add`, 'AddV2', [x, dw])]);
  const pool = { strides: ints([1, 2, 2, 1]), padding: str('SAME'), data_format: str('NHWC') };
  const avg = b.node(`${p}average_pooling2d/AvgPool`, 'AvgPool', [x], { ...pool, ksize: ints([1, 2, 2, 1]) });
  const max = b.node(`${p}max_pooling2d/MaxPool`, 'MaxPool', [x], { ...pool, ksize: ints([1, 3, 3, 1]) });
  x = b.node(`${p}concatenate/concat`, 'ConcatV2', [avg, max, b.const(`${p}concatenate/concat/axis`, [], [-1], 'int32')], { N: { i: '2' } });
  // Head: GlobalAveragePooling2D -> Dense(relu) and Flatten -> Dense, added, softmax.
  const gap = b.node(`${p}global_average_pooling2d/Mean`, 'Mean', [x, b.const(`${p}global_average_pooling2d/Mean/reduction_indices`, [2], [1, 2], 'int32')], { keep_dims: { b: false } });
  const d1 = b.node(`${p}dense/Relu`, '_FusedMatMul', [gap, w(`${p}dense/MatMul/ReadVariableOp`, [32, 7], 7), w(`${p}dense/BiasAdd/ReadVariableOp`, [7], 8, 0.1)], { transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: fused('BiasAdd', 'Relu'), num_args: { i: '1' } });
  const flat = b.node(`${p}flatten/Reshape`, 'Reshape', [x, b.const(`${p}flatten/Const`, [2], [-1, 3 * 3 * 32], 'int32')]);
  let d2 = b.node(`${p}dense_1/MatMul`, 'MatMul', [flat, w(`${p}dense_1/MatMul/ReadVariableOp`, [288, 7], 9, 0.1)], { transpose_a: { b: false }, transpose_b: { b: false } });
  d2 = b.node(`${p}dense_1/BiasAdd`, 'BiasAdd', [d2, w(`${p}dense_1/BiasAdd/ReadVariableOp`, [7], 10, 0.1)], { data_format: str('NHWC') });
  const y = b.node(`${p}activation/Softmax`, 'Softmax', [b.node(`${p}add_1/add`, 'AddV2', [d1, d2])]);
  b.node('Identity', 'Identity', [y]);
  return b.write(dir, 'Identity');
}

// The model reads raw pixels: x = (pixel / 255 - 0) / (1 / 255).
const RAW = { mean: [0], std: [1 / 255] };

test('a graph model from tensorflowjs_converter: kit\'s float graph computes what tfjs-converter computes', async () => {
  const dir = kerasCnn(join(work, 'keras-cnn'));
  const { graph, meta } = await importTfjsGraph(join(dir, 'model.json'), { normalization: RAW });
  assert.equal(meta.format, 'tfjs-graph-model');
  assert.deepEqual(graph.nodes.map((n) => `${n.op}${n.attrs.activation && n.attrs.activation !== 'none' ? `+${n.attrs.activation}` : ''}`), [
    'normalize_input', 'conv2d+relu', 'depthwise_conv2d+relu6', 'conv2d', 'add+relu', 'avg_pool2d', 'max_pool2d', 'concat',
    'global_avg_pool', 'dense+relu', 'flatten', 'dense', 'add', 'softmax',
  ]);
  // Rescaling and Normalization folded into the input table: mean 0.49 -> 0.49, std 0.25 -> 0.25.
  assert.deepEqual((graph.nodes[0].attrs.mean as number[]).map((v) => v.toFixed(5)), ['0.49000', '0.48000', '0.45000']);
  assert.deepEqual((graph.nodes[0].attrs.std as number[]).map((v) => v.toFixed(5)), ['0.25000', '0.24000', '0.26000']);
  const oracle = await loadGraphModel(tf.io.fromMemory(readModelArtifacts(dir)));
  const kit = new Interpreter(graph);
  for (let i = 0; i < 4; i++) {
    const pixels = randomPixels(PIXELS, 200 + i);
    const expected = (oracle.predict(tf.tensor4d(Float32Array.from(pixels), [1, ...SHAPE] as [number, number, number, number])) as tf.Tensor).dataSync();
    const got = kit.run(pixels) as Float32Array;
    assert.equal(got.length, 7);
    let worst = 0;
    for (let k = 0; k < 7; k++) worst = Math.max(worst, Math.abs(got[k] - expected[k]));
    assert.ok(worst < 1e-5, `image ${i}: kit differs from tfjs-converter by ${worst}`);
    assert.ok(Math.max(...expected) > 1 / 7 + 0.01, 'the oracle output depends on the image');
  }
  oracle.dispose();
});

test('the graph model quantizes (int8) through kit quantize, and its C equals the integer interpreter', { skip: missing('gcc') }, async () => {
  const dir = kerasCnn(join(work, 'keras-cnn-q'));
  const out = join(work, 'keras-cnn-q-kit');
  await importTfjs(dir, out, { normalization: RAW, classes: CLASSES });
  const count = 48;
  const images = new Uint8Array(count * PIXELS);
  for (let i = 0; i < count; i++) images.set(randomPixels(PIXELS, 300 + i), i * PIXELS);
  const result = await quantizeModel({ modelDir: out, scheme: 'int8', calibImages: { images, count } });
  assert.deepEqual(result.kit.classes, CLASSES);
  const fi = new Interpreter(result.floatGraph);
  const qi = new Interpreter(result.graph);
  let agree = 0;
  for (let i = 0; i < count; i++) {
    const img = images.subarray(i * PIXELS, (i + 1) * PIXELS);
    agree += argmax(fi.run(img) as Float32Array) === argmax(qi.run(img)) ? 1 : 0;
  }
  assert.ok(agree >= 0.8 * count, `top-1 agreement ${agree} / ${count}`);
  const gen = await generateC({ graph: result.graph, board: 'host', outDir: join(work, 'keras-cnn-c') });
  const bin = compileModel(gen.outDir, join(work, 'keras-cnn-bin'), { taps: true });
  assertMatchesInterpreter(result.graph, images.subarray(0, 6 * PIXELS), 6, runModel(bin, images.subarray(0, 6 * PIXELS)), true);
});

test('a Layers model without kit.json imports with the normalization it is given; a kit train folder is pointed to kit quantize', async () => {
  const src = join(import.meta.dirname, '..', 'fixtures', 'resnet8');
  const dir = join(work, 'layers');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const f of readdirSync(src).filter((f) => f !== 'kit.json')) copyFileSync(join(src, f), join(dir, f));
  const trained = await loadTrainedModel(src);
  const own = graphFromLayersModel(trained.model, trained.kit.normalization);
  trained.model.dispose();
  const { graph, meta } = await importTfjsGraph(dir, { normalization: trained.kit.normalization, classes: trained.kit.classes });
  assert.equal(meta.format, 'tfjs-layers-model');
  assert.deepEqual(graph.nodes.map((n) => n.op), own.nodes.map((n) => n.op));
  const pixels = randomPixels(32 * 32 * 3, 7);
  assert.deepEqual(new Interpreter(graph).run(pixels), new Interpreter(own).run(pixels));
  await assert.rejects(importTfjsGraph(dir, { normalization: trained.kit.normalization, classes: ['cat', 'dog'] }), kitError('bad-option', /2 classes but the model has 10 outputs/));
  await assert.rejects(importTfjsGraph(src, { normalization: trained.kit.normalization }), kitError('bad-option', /resnet8 was written by kit train \(it has kit\.json\)$/));
});

test('graph models kit cannot take: an unsupported op (named, with its index), two inputs, NaN weights, NCHW, a truncated shard', async () => {
  const small = (dir: string, edit: (b: TfjsGraphBuilder, x: string) => string, weights = randomValues(3 * 3 * 3 * 4, 1)) => {
    const b = new TfjsGraphBuilder([6, 5, 3]);
    let x = b.node('conv/Conv2D', 'Conv2D', ['input_1', b.const('conv/kernel', [3, 3, 3, 4], weights)], { strides: ints([1, 1, 1, 1]), padding: str('SAME'), data_format: str('NHWC') });
    x = edit(b, x);
    x = b.node('mean', 'Mean', [x, b.const('axes', [2], [1, 2], 'int32')], { keep_dims: { b: false } });
    b.node('Identity', 'Identity', [x]);
    return b.write(join(work, dir), 'Identity');
  };
  const norm = { normalization: { mean: [0.5], std: [0.25] } };
  const sigmoid = small('sigmoid', (b, x) => b.node('act/Sigmoid', 'Sigmoid', [x]));
  await assert.rejects(importTfjsGraph(sigmoid, norm), kitError('tfjs-unsupported', /^node 'act\/Sigmoid' \(#3, Sigmoid\) is not supported$/));
  const two = small('two-inputs', (b, x) => {
    b.nodes.push({ name: 'mask', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '6' }, { size: '5' }, { size: '4' }] } } } });
    return b.node('masked', 'AddV2', [x, 'mask']);
  });
  await assert.rejects(importTfjsGraph(two, norm), kitError('model-shape', /more than one input \('mask' is another\)/));
  const nan = small('nan', (_, x) => x, Float32Array.from(randomValues(108, 1), (v, i) => (i === 5 ? NaN : v)));
  await assert.rejects(importTfjsGraph(nan, norm), kitError('tfjs-nan', /^weight 'conv\/kernel' holds NaN or infinite values$/));
  const nchw = small('nchw', (b, x) => {
    b.nodes[b.nodes.length - 1].attr!.data_format = str('NCHW');
    return x;
  });
  await assert.rejects(importTfjsGraph(nchw, norm), kitError('tfjs-unsupported', /^node 'conv\/Conv2D' \(#2, Conv2D\) computes in NCHW$/));
  const ok = small('truncated', (_, x) => x);
  const shard = join(ok, 'group1-shard1of1.bin');
  truncateSync(shard, 100);
  await assert.rejects(importTfjsGraph(ok, norm), kitError('corrupt-model', /are 100 bytes, model\.json expects 440/));
});

test('the bundled ResNet-8 as tensorflowjs_converter writes it from Keras (BatchNorm folded, fused ops): same logits, int8 on real images', async () => {
  const dir = layersModelToGraphModel(join(import.meta.dirname, '..', 'fixtures', 'resnet8'), join(work, 'resnet8-graph'));
  const out = join(work, 'resnet8-graph-kit');
  const { graph } = await importTfjs(dir, out, { normalization: CIFAR, classes: [...CIFAR10_CLASSES] });
  // Keras' layer order: in stacks 2 and 3 the shortcut conv comes after the block's second conv.
  assert.deepEqual(graph.nodes.map((n) => `${n.op}${n.attrs.activation && n.attrs.activation !== 'none' ? `+${n.attrs.activation}` : ''}`), [
    'normalize_input', 'conv2d+relu', 'conv2d+relu', 'conv2d', 'add+relu',
    'conv2d+relu', 'conv2d', 'conv2d', 'add+relu', 'conv2d+relu', 'conv2d', 'conv2d', 'add+relu',
    'avg_pool2d', 'flatten', 'dense',
  ]);
  const trained = await loadTrainedModel(join(import.meta.dirname, '..', 'fixtures', 'resnet8'));
  const own = new Interpreter(graphFromLayersModel(trained.model, trained.kit.normalization));
  trained.model.dispose();
  const oracle = await loadGraphModel(tf.io.fromMemory(readModelArtifacts(dir)));
  const data = loadDataset(join(import.meta.dirname, '..', 'fixtures', 'cifar10-sample'));
  const kit = new Interpreter(graph);
  let worst = 0;
  for (let i = 0; i < 200; i += 20) {
    const pixels = data.test.images.subarray(i * 3072, (i + 1) * 3072);
    const x = Float32Array.from(pixels, (p, k) => (p / 255 - CIFAR.mean[k % 3]) / CIFAR.std[k % 3]);
    const expected = (oracle.predict(tf.tensor4d(x, [1, 32, 32, 3])) as tf.Tensor).dataSync();
    const got = kit.run(pixels) as Float32Array;
    const ref = own.run(pixels) as Float32Array;
    for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(got[k] - expected[k]), Math.abs(got[k] - ref[k]));
  }
  oracle.dispose();
  assert.ok(worst < 1e-4, `kit vs tfjs-converter and kit's own model: ${worst}`);
  const calib = selectImages(data.train, Array.from({ length: 100 }, (_, i) => 2 * i));
  const result = await quantizeModel({ modelDir: out, scheme: 'int8', calibImages: { images: calib.images, count: calib.count }, evalSet: data.test });
  const e = result.report.evaluation!;
  assert.ok(e.floatTop1 >= 0.8 && e.quantTop1 >= e.floatTop1 - 0.01, `float ${e.floatTop1}, int8 ${e.quantTop1} on 200 images`);
});
