import * as tf from '@tensorflow/tfjs-layers';

type Init = ReturnType<typeof tf.initializers.heNormal>;

/** conv (with bias, as Keras' and PyTorch's defaults in the reference models) + BatchNorm, optionally + ReLU. */
export function convBn(
  x: tf.SymbolicTensor,
  filters: number,
  kernel: number,
  stride: number,
  name: string,
  init: Init,
  relu: boolean,
): tf.SymbolicTensor {
  let y = tf.layers
    .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: true, kernelInitializer: init, name: `${name}_conv` })
    .apply(x) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, name: `${name}_bn` }).apply(y) as tf.SymbolicTensor;
  if (relu) y = tf.layers.reLU({ name: `${name}_relu` }).apply(y) as tf.SymbolicTensor;
  return y;
}

/**
 * A BasicBlock: conv3x3+BN+ReLU, conv3x3+BN, shortcut, add, ReLU. The shortcut is the input itself
 * ('identity') or a 1x1 conv with bias and no BatchNorm ('conv'), as in the MLPerf Tiny ResNet-8.
 */
export function residualBlock(
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  name: string,
  init: (i: number) => Init,
  shortcut: 'identity' | 'conv',
): tf.SymbolicTensor {
  let y = convBn(x, filters, 3, stride, `${name}_a`, init(0), true);
  y = convBn(y, filters, 3, 1, `${name}_b`, init(1), false);
  const s =
    shortcut === 'identity'
      ? x
      : (tf.layers
          .conv2d({ filters, kernelSize: 1, strides: stride, padding: 'same', kernelInitializer: init(2), name: `${name}_shortcut` })
          .apply(x) as tf.SymbolicTensor);
  const sum = tf.layers.add({ name: `${name}_add` }).apply([s, y]) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}_out` }).apply(sum) as tf.SymbolicTensor;
}
