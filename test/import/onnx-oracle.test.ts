import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { graphFromOnnx, readOnnxModel } from '../../src/import/onnx/index.js';
import { numElements } from '../../src/ir/graph.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { unavailable } from '../tools.js';
import { OnnxBuilder, nchwInput, randomPixels, randomValues } from './onnx-builder.js';

// ONNX Runtime is an optional dependency: the oracle tests skip, saying why, where it is absent.
const ort = await import('onnxruntime-node').catch(() => undefined);
const skip = unavailable(ort ? false : 'needs onnxruntime-node, an optional dependency that npm ci installs');

const MEAN = [0.49, 0.48, 0.45];
const STD = [0.25, 0.24, 0.26];

/**
 * Run the ONNX model in ONNX Runtime (NCHW float input) and kit's imported float graph (HWC pixels)
 * on a few images; the outputs must agree to float rounding.
 */
async function expectSameAsOnnxRuntime(b: OnnxBuilder | { bytes: Uint8Array; inputShape: number[]; inputName: string }, output: string, norm = { mean: MEAN, std: STD }, nhwc = false, images = 3): Promise<void> {
  const bytes = b instanceof OnnxBuilder ? b.encode(output) : b.bytes;
  const { model, opset } = readOnnxModel(bytes, 'test.onnx');
  const graph = graphFromOnnx(model, opset, norm);
  const kit = new Interpreter(graph);
  const session = await ort!.InferenceSession.create(bytes);
  const shape = b.inputShape;
  for (let i = 0; i < images; i++) {
    const pixels = randomPixels(numElements(shape), 100 + i);
    const feeds = { [b.inputName]: new ort!.Tensor('float32', nhwc ? Float32Array.from(pixels, (p, k) => (p / 255 - norm.mean[k % 3]) / norm.std[k % 3]) : nchwInput(pixels, shape, norm.mean.length === 1 ? new Array(shape[1]).fill(norm.mean[0]) : norm.mean, norm.std.length === 1 ? new Array(shape[1]).fill(norm.std[0]) : norm.std), shape) };
    const expected = (await session.run(feeds))[output].data as Float32Array;
    const got = kit.run(pixels);
    assert.equal(got.length, expected.length, 'output length');
    let worst = 0;
    for (let k = 0; k < got.length; k++) worst = Math.max(worst, Math.abs(got[k] - expected[k]) / Math.max(1, Math.abs(expected[k])));
    assert.ok(worst < 2e-5, `image ${i}: kit differs from ONNX Runtime by ${worst} (relative)`);
    // Not a vacuous comparison: the model computes something that depends on the image.
    assert.ok(expected.some((v) => Math.abs(v) > 1e-3), 'the reference output is not all zeros');
  }
  await session.release();
}

/** Feature maps leave NCHW through Transpose(0, 2, 3, 1) + Flatten: element for element kit's HWC order. */
function asVector(b: OnnxBuilder, x: string): string {
  return b.node('Flatten', [b.node('Transpose', [x], { perm: [0, 2, 3, 1] })], { axis: 1 });
}

const conv = (b: OnnxBuilder, x: string, cin: number, cout: number, k: number, attrs: Record<string, number[] | number>, seed: number, group = 1) =>
  b.node('Conv', [x, b.init([cout, cin / group, k, k], randomValues(cout * (cin / group) * k * k, seed)), b.init([cout], randomValues(cout, seed + 1, 0.1))], { kernel_shape: [k, k], ...attrs, ...(group !== 1 ? { group } : {}) });

function batchNorm(b: OnnxBuilder, x: string, c: number, seed: number): string {
  const variance = Float32Array.from(randomValues(c, seed + 3), (v) => v + 0.6);
  return b.node('BatchNormalization', [x, b.init([c], Float32Array.from(randomValues(c, seed), (v) => v + 1)), b.init([c], randomValues(c, seed + 1)), b.init([c], randomValues(c, seed + 2, 0.2)), b.init([c], variance)], { epsilon: 1e-5 });
}

test('Conv + BatchNormalization + Relu, a stride-2 conv with PyTorch padding, Flatten of NCHW into Gemm', { skip }, async () => {
  const b = new OnnxBuilder([1, 3, 9, 7]);
  let x = b.node('Relu', [batchNorm(b, conv(b, 'input', 3, 5, 3, { pads: [1, 1, 1, 1] }, 1), 5, 10)]);
  // Symmetric padding 1 with stride 2 on 9x7 is not TF's 'same': an explicit pad node.
  x = b.node('Relu', [conv(b, x, 5, 4, 3, { pads: [1, 1, 1, 1], strides: [2, 2] }, 20)]);
  // [1, 4, 5, 4] flattened in C, H, W order: the dense weights' columns are permuted for kit's H, W, C.
  const flat = b.node('Flatten', [x], { axis: 1 });
  const y = b.node('Gemm', [flat, b.init([6, 80], randomValues(480, 30, 0.2)), b.init([6], randomValues(6, 31))], { transB: 1, alpha: 0.5, beta: 2 });
  await expectSameAsOnnxRuntime(b, y);
});

test('depthwise Conv (groups, multiplier 2, dilation 2), Clip to ReLU6, valid 1x1 and asymmetric pads', { skip }, async () => {
  const b = new OnnxBuilder([1, 3, 8, 11]);
  let x = conv(b, 'input', 3, 6, 3, { pads: [2, 2, 2, 2], dilations: [2, 2] }, 40, 3);
  x = b.node('Clip', [batchNorm(b, x, 6, 45), b.init([], [0]), b.init([], [6])]);
  x = b.node('Clip', [conv(b, x, 6, 4, 1, {}, 50), b.init([], [0]), b.init([], [6])]);
  // Asymmetric explicit pads, stride 2, then a depthwise stride-2 conv with TF-style 'same' pads.
  x = conv(b, x, 4, 5, 3, { pads: [0, 1, 2, 1], strides: [2, 2] }, 60);
  x = conv(b, x, 5, 5, 3, { pads: [0, 1, 1, 1], strides: [2, 2] }, 70, 5);
  await expectSameAsOnnxRuntime(b, asVector(b, x));
});

test('normalization by Sub/Div constants at the input, pools, GlobalAveragePool, MatMul + Add, Softmax (opset 11)', { skip }, async () => {
  const b = new OnnxBuilder([1, 3, 11, 9], 11);
  let x = b.node('Sub', ['input', b.init([1, 3, 1, 1], [0.5, 0.4, 0.3])]);
  x = b.node('Div', [x, b.init([1, 3, 1, 1], [0.2, 0.25, 0.3])]);
  x = b.node('Relu', [conv(b, x, 3, 6, 3, { pads: [1, 1, 1, 1] }, 80)]);
  x = b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = b.node('AveragePool', [x], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 0 });
  x = b.node('Flatten', [b.node('GlobalAveragePool', [x])]);
  x = b.node('Add', [b.node('MatMul', [x, b.init([6, 4], randomValues(24, 90))]), b.init([4], randomValues(4, 91))]);
  // The model reads pixels / 255 itself normalized by its Sub and Div: mean 0, std 1 at import.
  await expectSameAsOnnxRuntime(b, b.node('Softmax', [x]), { mean: [0], std: [1] });
});

test('residual Add, Concat of channels, Pad, a Reshape whose shape PyTorch computes with Shape/Gather', { skip }, async () => {
  const b = new OnnxBuilder([1, 2, 7, 6]);
  const stem = b.node('Relu', [conv(b, 'input', 2, 4, 3, { pads: [1, 1, 1, 1] }, 100)]);
  const branch = conv(b, b.node('Relu', [conv(b, stem, 4, 4, 3, { pads: [1, 1, 1, 1] }, 110)]), 4, 4, 3, { pads: [1, 1, 1, 1] }, 120);
  const sum = b.node('Relu', [b.node('Add', [branch, stem])]);
  let x = b.node('Concat', [sum, conv(b, stem, 4, 3, 1, {}, 130)], { axis: 1 });
  x = b.node('Pad', [x, b.init([8], [0, 0, 1, 2, 0, 1, 0, 1], true)]);
  x = b.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [3, 3] });
  // x.view(x.size(0), -1) as torch.onnx.export writes it without constant folding.
  const batch = b.node('Unsqueeze', [b.node('Gather', [b.node('Shape', [x]), b.init([], [0], true)], { axis: 0 }), b.init([1], [0], true)]);
  const shape = b.node('Concat', [batch, b.init([1], [-1], true)], { axis: 0 });
  const flat = b.node('Reshape', [x, shape]);
  await expectSameAsOnnxRuntime(b, b.node('Gemm', [flat, b.init([48, 3], randomValues(144, 140)), b.init([3], randomValues(3, 141))]), { mean: [0.5, 0.4], std: [0.3, 0.2] });
});

test('a model as torch.onnx.export (PyTorch 1.13, opset 13) wrote it: normalization buffers, folded BatchNorm, residual, AvgPool, view()', { skip }, async () => {
  // test/fixtures/onnx/make-fixture.py made it; its graph: Sub Div Conv Relu Conv Clip Conv Add Relu Pad AveragePool Shape Gather Unsqueeze Concat Reshape Gemm.
  const bytes = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'onnx', 'tiny-torch.onnx'));
  const { model, opset } = readOnnxModel(bytes, 'tiny-torch.onnx');
  const graph = graphFromOnnx(model, opset, { mean: [0], std: [1] });
  assert.deepEqual(graph.nodes.map((n) => `${n.op}${n.attrs.activation && n.attrs.activation !== 'none' ? `+${n.attrs.activation}` : ''}`),
    ['normalize_input', 'pad', 'conv2d+relu', 'depthwise_conv2d+relu6', 'conv2d', 'add+relu', 'avg_pool2d', 'flatten', 'dense']);
  // The model's Sub/Div buffers become kit's input normalization.
  assert.deepEqual((graph.nodes[0].attrs.mean as number[]).map((v) => v.toFixed(4)), ['0.4914', '0.4822', '0.4465']);
  await expectSameAsOnnxRuntime({ bytes, inputShape: [1, 3, 16, 16], inputName: 'image' }, 'logits', { mean: [0, 0, 0], std: [1, 1, 1] });
});

test('Mul and Add at the input, ReduceMean over H and W, Identity and Dropout pass through, layout-only Transposes', { skip }, async () => {
  const b = new OnnxBuilder([1, 3, 5, 6], 17);
  let x = b.node('Add', [b.node('Mul', [b.init([1, 3, 1, 1], [2, 3, 4]), 'input']), b.init([], [-1])]);
  x = b.node('Identity', [b.node('Relu', [conv(b, x, 3, 4, 3, { pads: [1, 1, 1, 1] }, 150)])]);
  // NCHW -> NHWC -> NCHW: both only relabel kit's HWC data.
  x = b.node('Transpose', [b.node('Transpose', [x], { perm: [0, 2, 3, 1] })], { perm: [0, 3, 1, 2] });
  x = b.node('Dropout', [b.node('ReduceMean', [x], { axes: [2, 3], keepdims: 1 })]);
  x = b.node('Flatten', [x]);
  await expectSameAsOnnxRuntime(b, b.node('Gemm', [x, b.init([4, 5], randomValues(20, 160)), b.init([5], randomValues(5, 161))]));
});

test('an NHWC input (TensorFlow layout) that the graph transposes to NCHW first', { skip }, async () => {
  const b = new OnnxBuilder([1, 5, 7, 3]);
  let x = b.node('Transpose', ['input'], { perm: [0, 3, 1, 2] });
  x = b.node('Relu', [conv(b, b.node('Sub', [x, b.init([1, 3, 1, 1], [0.1, 0.2, 0.3])]), 3, 4, 3, { pads: [1, 1, 1, 1] }, 170)]);
  await expectSameAsOnnxRuntime(b, asVector(b, x), { mean: MEAN, std: STD }, true);
});
