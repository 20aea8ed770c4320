import * as tf from '@tensorflow/tfjs-layers';
import { residualBlock } from './blocks.js';

/**
 * The origin model: three BasicBlocks 3->64->128->256 (conv3x3+BN+ReLU, conv3x3+BN, 1x1 conv
 * shortcut, add, ReLU), each followed by 2x2 average pooling, then dense 4096->2048->512->10.
 * 10,635,466 parameters, 166.7 M MACs.
 */
export function buildResnetSeed(seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.heNormal({ seed: seed * 1000 + i });
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  let x: tf.SymbolicTensor = input;
  [64, 128, 256].forEach((filters, b) => {
    x = residualBlock(x, filters, 1, `block${b + 1}`, (i) => init(10 * (b + 1) + i), 'conv');
    x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  [2048, 512].forEach((units, i) => {
    x = tf.layers
      .dense({ units, activation: 'relu', kernelInitializer: init(50 + i), name: `fc${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
  });
  const logits = tf.layers
    .dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 60 }), name: 'logits' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'resnet_seed' });
}
