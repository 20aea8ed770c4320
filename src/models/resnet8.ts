import * as tf from '@tensorflow/tfjs-layers';
import { convBn, residualBlock } from './blocks.js';

/**
 * The MLPerf Tiny image-classification ResNet-8 (v0.5 reference, Keras):
 * conv16 -> three residual stacks of 16/32/64 filters (the last two downsample with stride 2 and
 * a 1x1 conv shortcut without BatchNorm) -> 8x8 average pool -> dense 10.
 * 78,666 parameters (77,850 trainable + 816 BatchNorm moving statistics), 12.5 M MACs.
 */
export function buildResnet8(seed: number): tf.LayersModel {
  const init = (i: number) => tf.initializers.heNormal({ seed: seed * 1000 + i });
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  let x = convBn(input, 16, 3, 1, 'stem', init(0), true);
  x = residualBlock(x, 16, 1, 'stack1', (i) => init(10 + i), 'identity');
  x = residualBlock(x, 32, 2, 'stack2', (i) => init(20 + i), 'conv');
  x = residualBlock(x, 64, 2, 'stack3', (i) => init(30 + i), 'conv');
  x = tf.layers.averagePooling2d({ poolSize: 8, strides: 8, name: 'pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 40 }), name: 'logits' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'resnet8' });
}
