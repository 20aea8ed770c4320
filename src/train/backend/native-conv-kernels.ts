import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native-addon.js';
import { f32, output, size, type NativeKernel, type NativeKernelArgs } from './native-kernel-util.js';

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

type Shape4 = [number, number, number, number];

/** tfjs's own shape arithmetic (padding, output size), so native and JS agree by construction. */
function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo | null {
  if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || xShape.length !== 4 || filterShape.length !== 4) return null;
  const info = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
  const sizes = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels];
  return sizes.every((d) => d > 0) ? info : null;
}

/** The Int32Array layout of src/native/src/conv.h's ConvShape (+ the activation flag). */
function shapeArgs(c: tf.backend_util.Conv2DInfo, relu = false): Int32Array {
  return Int32Array.of(
    c.batchSize, c.inHeight, c.inWidth, c.inChannels,
    c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth,
    c.strideHeight, c.strideWidth,
    c.padInfo.top, c.padInfo.left,
    c.dilationHeight, c.dilationWidth,
    relu ? 1 : 0,
  );
}

export function convKernels(addon: NativeAddon): NativeKernel[] {
  const forward = (inputs: tf.NamedTensorInfoMap, attrs: ConvAttrs, backend: NativeKernelArgs['backend'], bias: Float32Array | null, relu: boolean) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    const info = xv && wv ? convInfo(x.shape, filter.shape, attrs) : null;
    if (!info) return null;
    const out = output(backend, info.outShape);
    addon.conv2d(xv!, wv!, bias, out.values, shapeArgs(info, relu));
    return out.info();
  };
  return [
    {
      kernelName: 'Conv2D',
      run: ({ inputs, attrs, backend }) => forward(inputs, attrs as unknown as ConvAttrs, backend, null, false),
    },
    {
      kernelName: 'FusedConv2D',
      run: ({ inputs, attrs, backend }) => {
        const { activation } = attrs as { activation?: string };
        const { filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
        if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return null;
        let biasValues: Float32Array | null = null;
        if (bias) {
          // A bias of one value per output channel, whatever its rank ([C] or [1, 1, 1, C]).
          biasValues = f32(backend, bias);
          if (!biasValues || size(bias.shape) !== filter!.shape[3] || bias.shape[bias.shape.length - 1] !== filter!.shape[3]) return null;
        }
        return forward(inputs, attrs as unknown as ConvAttrs, backend, biasValues, activation === 'relu');
      },
    },
    {
      kernelName: 'Conv2DBackpropInput',
      run: ({ inputs, attrs, backend }) => {
        const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
        const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
        const dyv = f32(backend, dy);
        const wv = f32(backend, filter);
        const info = dyv && wv ? convInfo(a.inputShape, filter.shape, { ...a, dilations: 1 }) : null;
        if (!info || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return null;
        const out = output(backend, [...a.inputShape]);
        addon.conv2dBackpropInput(dyv!, wv!, out.values, shapeArgs(info));
        return out.info();
      },
    },
    {
      kernelName: 'Conv2DBackpropFilter',
      run: ({ inputs, attrs, backend }) => {
        const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
        const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
        const xv = f32(backend, x);
        const dyv = f32(backend, dy);
        const info = xv && dyv ? convInfo(x.shape, a.filterShape, { ...a, dilations: 1 }) : null;
        if (!info || info.outHeight !== dy.shape[1] || info.outWidth !== dy.shape[2]) return null;
        const out = output(backend, [...a.filterShape]);
        addon.conv2dBackpropFilter(xv!, dyv!, out.values, shapeArgs(info));
        return out.info();
      },
    },
  ];
}
