import * as tfl from '@tensorflow/tfjs-layers';
import { randomizeBatchNorm } from '../quantize/fixtures.js';

/**
 * A tiny network using every supported layer kind, on 8x8x3 images: conv+BN+ReLU, max pooling, a
 * residual block with a 1x1 conv shortcut, dropout, average pooling, global average pooling, and
 * dense layers with and without ReLU.
 */
export function buildSmallModel(seed: number): tfl.LayersModel {
  const init = (i: number) => tfl.initializers.heNormal({ seed: seed * 100 + i });
  const input = tfl.input({ shape: [8, 8, 3], name: 'pixels' });
  const conv = (x: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string, i: number) =>
    tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', kernelInitializer: init(i), name }).apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, name: string) => tfl.layers.batchNormalization({ name }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;
  let x = relu(bn(conv(input, 8, 3, 1, 'c1', 1), 'c1_bn'), 'c1_relu');
  x = tfl.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'mp' }).apply(x) as tfl.SymbolicTensor;
  const branch = bn(conv(relu(bn(conv(x, 12, 3, 2, 'b_a', 2), 'b_a_bn'), 'b_a_relu'), 12, 3, 1, 'b_b', 3), 'b_b_bn');
  const shortcut = conv(x, 12, 1, 2, 'b_sc', 4);
  x = relu(tfl.layers.add({ name: 'b_add' }).apply([shortcut, branch]) as tfl.SymbolicTensor, 'b_out');
  x = tfl.layers.dropout({ rate: 0.2, name: 'drop' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, name: 'ap' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: 16, activation: 'relu', kernelInitializer: init(5), name: 'fc' }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 5, kernelInitializer: init(6), name: 'out' }).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: 'small' });
  randomizeBatchNorm(model, seed + 7);
  return model;
}
