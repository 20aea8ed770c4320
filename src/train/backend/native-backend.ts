import * as tf from '@tensorflow/tfjs-core';
import { silenceCpuAdvert } from './quiet-cpu.js';
import type { NativeAddon } from './native-addon.js';
import { convKernels } from './native-conv-kernels.js';
import { elementwiseKernels } from './native-elementwise-kernels.js';
import { gradientKernels } from './native-gradient-kernels.js';
import { registerNativeGradients } from './native-gradients.js';
import { installFusedBatchNorm } from './native-batchnorm.js';
import { installFusedConvGradient } from './native-fused-conv.js';
import type { NativeKernel, NativeKernelArgs } from './native-kernel-util.js';
import { matmulKernels } from './native-matmul-kernels.js';
import { miscKernels } from './native-misc-kernels.js';
import { NATIVE_BACKEND } from './native-backend-name.js';
import { poolKernels } from './native-pool-kernels.js';
import { reduceKernels } from './native-reduce-kernels.js';
import { RecyclingCpuBackend } from './native-storage.js';

export { NATIVE_BACKEND } from './native-backend-name.js';

export function nativeKernels(addon: NativeAddon): NativeKernel[] {
  return [
    ...convKernels(addon),
    ...matmulKernels(addon),
    ...elementwiseKernels(addon),
    ...reduceKernels(addon),
    ...poolKernels(addon),
    ...miscKernels(addon),
    ...gradientKernels(addon),
  ];
}

/**
 * Registers the 'native' backend: tfjs-backend-cpu's storage (tensors are plain Float32Arrays,
 * outputs recycled: native-storage.ts) and all of its kernels, with the heavy ones replaced by the C++ addon. It is a backend of its
 * own rather than a patch of 'cpu', so 'cpu' stays the untouched JS reference (tests compare the
 * two in one process) and each native kernel can hand a case it does not cover back to the JS
 * kernel of the same name. Also installs the fused gradients of native-gradients.ts, the
 * fused training BatchNorm of native-batchnorm.ts and the per-input convolution gradients of
 * native-fused-conv.ts, which act only while this backend is active.
 * Idempotent.
 */
export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackendFactory(NATIVE_BACKEND)) return;
  tf.registerBackend(NATIVE_BACKEND, () => {
    const backend = new RecyclingCpuBackend();
    // This is the fast path the cpu backend's advert asks for.
    silenceCpuAdvert(backend);
    return backend;
  }, 0);
  tf.copyRegisteredKernels('cpu', NATIVE_BACKEND);
  for (const kernel of nativeKernels(addon)) {
    // Kit's own kernels (Kit*) have no JS twin: their callers only use them on valid inputs.
    const js = tf.getKernel(kernel.kernelName, 'cpu');
    const fallback = js
      ? js.kernelFunc
      : () => {
          throw new Error(`${kernel.kernelName}: unsupported inputs`);
        };
    if (js) tf.unregisterKernel(kernel.kernelName, NATIVE_BACKEND);
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName: NATIVE_BACKEND,
      kernelFunc: (args) => kernel.run(args as unknown as NativeKernelArgs) ?? fallback(args),
    });
  }
  registerNativeGradients(addon, NATIVE_BACKEND);
  installFusedBatchNorm(NATIVE_BACKEND);
  installFusedConvGradient(NATIVE_BACKEND);
}
