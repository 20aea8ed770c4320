import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers' bundle registers tfjs's gradients when it loads: load it before registering ours.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';

/** tfjs-core as CommonJS: tfjs-layers' Conv2D calls fused.conv2d() through this module's `fused` object. */
const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as { fused: { conv2d: typeof tf.fused.conv2d } };

const FUSED_CONV2D = 'FusedConv2D';

type FusedConvArgs = Parameters<typeof tf.fused.conv2d>[0];

const isFloat = (t: unknown, rank: number): t is tf.Tensor => t instanceof tf.Tensor && t.dtype === 'float32' && t.rank === rank;
const ones = (v: number | number[] | undefined) => v === undefined || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/** The calls the kernel and the gradient below cover: NHWC, undilated, no activation, a bias of one value per output channel. */
function covered(a: FusedConvArgs): boolean {
  return (
    isFloat(a.x, 4) &&
    isFloat(a.filter, 4) &&
    a.x.shape[3] === a.filter.shape[2] &&
    (a.bias === undefined || (isFloat(a.bias, 1) && a.bias.shape[0] === a.filter.shape[3])) &&
    (a.dataFormat ?? 'NHWC') === 'NHWC' &&
    ones(a.dilations) &&
    (a.activation ?? 'linear') === 'linear' &&
    a.preluActivationWeights === undefined
  );
}

/** tfjs's own fused.conv2d, as it was before the install below (tests compare the two). */
export const tfjsFusedConv2d = core.fused.conv2d;

let installed = false;

/**
 * tfjs's fused.conv2d() records its gradient with customGrad, which computes the input, filter
 * and bias gradients together whenever any is needed: for a network's first convolution that is
 * a whole input gradient nobody asked for (ResNet-8's stem: a 32x32x16 -> 32x32x3 convolution
 * per step). While `backendName` is active, a fused.conv2d without activation (a convolution
 * followed by BatchNorm, as kit's models train) runs the FusedConv2D kernel directly, and the
 * gradient registered here gives each input its own closure, so tfjs computes only those on the
 * path to the trained weights. Same kernels with the same arguments as tfjs's gradient: the
 * values are unchanged. Every other call goes to tfjs's own function.
 */
export function installFusedConvGradient(backendName: string): void {
  if (installed) return;
  installed = true;
  tf.registerGradient({
    kernelName: FUSED_CONV2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const g = dy as tf.Tensor4D;
      if (attrs.activation !== 'linear') throw new Error(`FusedConv2D: no gradient for activation ${String(attrs.activation)}`);
      const conv = { strides: attrs.strides, pad: attrs.pad, dataFormat: 'NHWC', dimRoundingMode: attrs.dimRoundingMode };
      return {
        x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: g, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: g }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
        bias: () => tf.sum(g, [0, 1, 2]),
      };
    },
  });
  const original = tfjsFusedConv2d;
  core.fused.conv2d = ((a: FusedConvArgs) => {
    if (tf.getBackend() !== backendName || !covered(a)) return original(a);
    const inputs: tf.NamedTensorMap = { x: a.x as tf.Tensor, filter: a.filter as tf.Tensor };
    if (a.bias) inputs.bias = a.bias as tf.Tensor;
    const attrs = {
      strides: a.strides,
      pad: a.pad,
      dataFormat: 'NHWC',
      dilations: a.dilations ?? [1, 1],
      dimRoundingMode: a.dimRoundingMode,
      activation: 'linear',
      leakyreluAlpha: a.leakyreluAlpha,
    };
    return tf.engine().runKernel(FUSED_CONV2D, inputs, attrs as unknown as tf.NamedAttrMap);
  }) as typeof tf.fused.conv2d;
}
