import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-backend-wasm ships no Conv2DBackpropFilter, so training a conv net on it fails. The filter
 * gradient is itself a convolution: with the batch moved into the channel axis,
 *   dW[kh, kw, ci, co] = sum_{b, oy, ox} x[b, oy*s + kh - pt, ox*s + kw - pl, ci] * dy[b, oy, ox, co]
 * is conv2d(x as [ci, H, W, b], dy as a [OH, OW, b, co] filter, stride 1, dilation s), cropped or
 * padded so that exactly kh x kw outputs come out. Composed from kernels the backend has, so it
 * runs at XNNPACK speed.
 */
export function conv2dFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number],
  padTop: number,
  padLeft: number,
): tf.Tensor4D {
  const [kh, kw] = filterShape;
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const [, oh, ow] = dy.shape;
    // Rows of x that the last output position's dilated window reaches; beyond are unused.
    const spanH = (oh - 1) * strides[0] + kh;
    const spanW = (ow - 1) * strides[1] + kw;
    const padBottom = spanH - padTop - h;
    const padRight = spanW - padLeft - w;
    let xs = x;
    if (padBottom < 0 || padRight < 0) {
      xs = tf.slice(x, [0, 0, 0, 0], [-1, h + Math.min(padBottom, 0), w + Math.min(padRight, 0), -1]);
    }
    const xT = tf.transpose(xs, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [padTop, Math.max(padBottom, 0)],
      [padLeft, Math.max(padRight, 0)],
      [0, 0],
    ];
    const g = tf.conv2d(xT as tf.Tensor4D, dyT as tf.Tensor4D, 1, pad, 'NHWC', strides);
    return tf.transpose(g, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/** Registers the composed Conv2DBackpropFilter on the wasm backend (idempotent). */
export function registerWasmConvFilterGrad(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend: anyBackend }) => {
      const backend = anyBackend as tf.KernelBackend;
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape,
        strides,
        1,
        pad,
        dimRoundingMode,
      );
      const engine = tf.engine();
      // Wrapping a TensorInfo in a Tensor hands it to the kernel scope, which disposes it at the
      // end; one extra reference keeps the caller's x and dy alive.
      backend.incRef(x.dataId);
      backend.incRef(dy.dataId);
      const xT = engine.makeTensorFromTensorInfo(x, backend) as tf.Tensor4D;
      const dyT = engine.makeTensorFromTensorInfo(dy, backend) as tf.Tensor4D;
      const out = conv2dFilterGrad(xT, dyT, filterShape, [info.strideHeight, info.strideWidth], info.padInfo.top, info.padInfo.left);
      // Tensors made inside a kernel are disposed when the kernel's scope ends, so the result is
      // copied into a fresh backend buffer (a filter gradient is small: at most a few MB).
      const values = out.dataSync() as Float32Array;
      const wasm = backend as unknown as { makeOutput(shape: number[], dtype: 'float32', offset?: number, values?: Float32Array): tf.TensorInfo };
      return wasm.makeOutput(out.shape, 'float32', undefined, values);
    },
  });
}
