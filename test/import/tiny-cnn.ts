import { OnnxBuilder, randomValues } from './onnx-builder.js';

/** The graph torch.onnx.export writes for a small MobileNet-style CNN with its normalization inside. */
export function tinyCnn(size: number): Uint8Array {
  const b = new OnnxBuilder([1, 3, size, size]);
  const w = (dims: number[], seed: number, scale = 0.4) => b.init(dims, randomValues(dims.reduce((p, q) => p * q, 1), seed, scale));
  const bn = (x: string, c: number, seed: number) =>
    b.node('BatchNormalization', [x, b.init([c], Float32Array.from(randomValues(c, seed), (v) => v + 1)), w([c], seed + 1, 0.2), w([c], seed + 2, 0.1), b.init([c], Float32Array.from(randomValues(c, seed + 3), (v) => v + 0.8))], { epsilon: 1e-5 });
  const clip6 = (x: string) => b.node('Clip', [x, b.init([], [0]), b.init([], [6])]);
  let x = b.node('Div', [b.node('Sub', ['input', b.init([1, 3, 1, 1], [0.485, 0.456, 0.406])]), b.init([1, 3, 1, 1], [0.229, 0.224, 0.225])]);
  x = b.node('Relu', [bn(b.node('Conv', [x, w([8, 3, 3, 3], 1)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }), 8, 10)]);
  x = clip6(bn(b.node('Conv', [x, w([8, 1, 3, 3], 2)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }), 8, 20));
  x = b.node('Relu', [b.node('Conv', [x, w([12, 8, 1, 1], 3), w([12], 4, 0.1)], { kernel_shape: [1, 1] })]);
  x = b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = b.node('Gemm', [b.node('Flatten', [x]), w([10, 12 * (size / 4) ** 2], 5, 0.2), w([10], 6, 0.1)], { transB: 1 });
  return b.encode(b.node('Softmax', [x], { axis: 1 }));
}

