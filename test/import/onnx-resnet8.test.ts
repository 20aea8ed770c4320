/**
 * The bundled trained ResNet-8 as a PyTorch user would hand it over: NCHW ONNX with the CIFAR-10
 * normalization inside (Sub/Div), the padding of its stride-2 convolutions as the shape arithmetic
 * torch.onnx.export writes (ConstantOfShape, Slice with step -1, Transpose, Cast) feeding a Pad.
 * Imported, it must compute what kit's own float model computes and what ONNX Runtime computes,
 * and quantize (int8) to an integer model that agrees with kit's quantization of its own model.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDataset } from '../../src/data/load-dataset.js';
import { imageAt, selectImages } from '../../src/data/types.js';
import { graphFromOnnx, readOnnxModel } from '../../src/import/onnx/index.js';
import { graphFromLayersModel } from '../../src/ir/from-layers.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { argmax } from '../../src/quantize/evaluate.js';
import { loadTrainedModel } from '../../src/quantize/load-trained-model.js';
import { quantizeFloatGraph } from '../../src/quantize/quantize-model.js';
import { unavailable } from '../tools.js';
import { layersModelToOnnx } from './layers-to-onnx.js';
import { nchwInput } from './onnx-builder.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RESNET8 = join(ROOT, 'test', 'fixtures', 'resnet8');
const SAMPLE = join(ROOT, 'test', 'fixtures', 'cifar10-sample');
const CIFAR = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] };

const ort = await import('onnxruntime-node').catch(() => undefined);
const { bytes } = layersModelToOnnx(RESNET8, CIFAR);
const { model, opset } = readOnnxModel(bytes, 'resnet8.onnx');
// The model normalizes its input itself: it reads pixel / 255.
const imported = graphFromOnnx(model, opset, { mean: [0], std: [1] });
const trained = await loadTrainedModel(RESNET8);
const own = graphFromLayersModel(trained.model, trained.kit.normalization);
trained.model.dispose();
const data = loadDataset(SAMPLE);
const image = imageAt;

test('the ONNX ResNet-8 imports into the layers of kit\'s own, the pads folded from the shape arithmetic', () => {
  const ops = (g: typeof own) => g.nodes.map((n) => `${n.op}${n.attrs.activation && n.attrs.activation !== 'none' ? `+${n.attrs.activation}` : ''}`);
  assert.deepEqual(ops(imported), [
    'normalize_input', 'conv2d+relu', 'conv2d+relu', 'conv2d', 'add+relu',
    'pad', 'conv2d+relu', 'conv2d', 'conv2d', 'add+relu',
    'pad', 'conv2d+relu', 'conv2d', 'conv2d', 'add+relu',
    'avg_pool2d', 'flatten', 'dense',
  ]);
  // Keras pads a stride-2 3x3 convolution at the bottom and right only.
  assert.deepEqual(imported.nodes.filter((n) => n.op === 'pad').map((n) => n.attrs.paddings), [[[0, 1], [0, 1], [0, 0]], [[0, 1], [0, 1], [0, 0]]]);
  // The Sub/Div constants became kit's input normalization (as float32 values).
  assert.deepEqual((imported.nodes[0].attrs.mean as number[]).map((v) => v.toFixed(6)), ['0.491400', '0.482200', '0.446500']);
  assert.deepEqual((imported.nodes[0].attrs.std as number[]).map((v) => v.toFixed(6)), ['0.247000', '0.243000', '0.261000']);
});

test('imported float logits equal kit\'s own float model\'s and ONNX Runtime\'s on real images', { skip: unavailable(ort ? false : 'needs onnxruntime-node (optional dependency)') }, async () => {
  const a = new Interpreter(imported);
  const b = new Interpreter(own);
  const session = await ort!.InferenceSession.create(bytes);
  let worstOwn = 0;
  let worstOrt = 0;
  for (let i = 0; i < 200; i += 10) {
    const pixels = image(data.test, i);
    const got = a.run(pixels) as Float32Array;
    const ref = b.run(pixels) as Float32Array;
    const feeds = { image: new ort!.Tensor('float32', nchwInput(pixels, [1, 3, 32, 32], [0, 0, 0], [1, 1, 1]), [1, 3, 32, 32]) };
    const onnxOut = Object.values(await session.run(feeds))[0].data as Float32Array;
    for (let k = 0; k < 10; k++) {
      worstOwn = Math.max(worstOwn, Math.abs(got[k] - ref[k]));
      worstOrt = Math.max(worstOrt, Math.abs(got[k] - onnxOut[k]));
    }
    assert.equal(argmax(got), argmax(ref));
  }
  await session.release();
  // Logits are of order 10: differences are float32 rounding of different summation orders.
  assert.ok(worstOwn < 1e-4, `imported vs kit's model: ${worstOwn}`);
  assert.ok(worstOrt < 1e-4, `imported vs ONNX Runtime: ${worstOrt}`);
});

test('int8: the imported model quantizes like kit\'s own, on the sample\'s real images', () => {
  // Every other training image of the sample: 10 per class.
  const calib = selectImages(data.train, Array.from({ length: 100 }, (_, i) => 2 * i));
  const calibImages = { images: calib.images, count: calib.count };
  const evalSet = { images: data.test.images, labels: data.test.labels, count: data.test.count };
  const q = quantizeFloatGraph(imported, { scheme: 'int8', calibImages, evalSet });
  const ref = quantizeFloatGraph(own, { scheme: 'int8', calibImages });
  const e = q.report.evaluation!;
  assert.equal(e.images, 200);
  // int8 within a point of float on 200 images.
  assert.ok(e.floatTop1 >= 0.8, `float top-1 ${e.floatTop1}`);
  assert.ok(e.quantTop1 >= e.floatTop1 - 0.01, `int8 ${e.quantTop1} vs float ${e.floatTop1}`);
  // Integer logits: the imported model's and kit's own differ only where the normalization's
  // float32 round trip moves a pixel's lookup entry by one step.
  const a = new Interpreter(q.graph);
  const b = new Interpreter(ref.graph);
  let agree = 0;
  let far = 0;
  for (let i = 0; i < data.test.count; i += 4) {
    const x = a.run(image(data.test, i));
    const y = b.run(image(data.test, i));
    agree += argmax(x) === argmax(y) ? 1 : 0;
    for (let k = 0; k < x.length; k++) far += Math.abs(x[k] - y[k]) > 1 ? 1 : 0;
  }
  assert.ok(agree >= 49, `top-1 agreement with kit's own int8 model: ${agree} / 50`);
  assert.equal(far, 0, 'integer logits differ by more than one step');
});
