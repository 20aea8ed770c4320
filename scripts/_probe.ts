import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildResnet8 } from '/work/main/src/models/resnet8.ts';
import { buildResnetSeed } from '/work/main/src/models/resnet-seed.ts';
import { registerWasmConvFilterGrad, conv2dFilterGrad } from '/work/main/src/train/backend/wasm-conv-filter-grad.ts';
await tf.setBackend(process.argv[2] ?? 'wasm');
registerWasmConvFilterGrad();
console.log(tf.getBackend());
// correctness vs cpu reference
const m = buildResnet8(1);
console.log('resnet8 params', m.countParams());
console.log('seed params', buildResnetSeed(1).countParams());
const opt = tf.train.adam(1e-3);
const B = 32;
const xs = tf.randomNormal([B, 32, 32, 3]);
const ys = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32') as tf.Tensor1D, 10);
for (let i = 0; i < 6; i++) {
  const t0 = performance.now();
  const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, m.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
  const l = loss.dataSync()[0];
  console.log(i, l, ((B * 1000) / (performance.now() - t0)).toFixed(1), 'img/s');
  loss.dispose();
}
