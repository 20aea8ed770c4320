import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadNativeAddon, type NativeAddon } from './native-addon.js';
import { NATIVE_BACKEND } from './native-backend-name.js';

/** The parts of tfjs's AdamOptimizer that its subclass reads (private in the typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

/**
 * tfjs's Adam with the update of each variable done in one pass by the native addon while the
 * `native` backend is active (tfjs's own op chain makes about fifteen full-size temporaries per
 * variable: for resnet-seed's 8M-weight dense layer that was ~40 % of a step). Same float32
 * roundings as tfjs's chain, so the results are identical, and the state lives in the same
 * variables, so checkpoints (optimizer-state.ts) and resume are unchanged. Other backends run
 * tfjs's applyGradients.
 */
export class KitAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const addon = activeAddon();
    if (!addon) return super.applyGradients(variableGradients);
    const backend = tf.backend() as MathBackendCPU;
    const self = this as unknown as AdamState;
    const list = Array.isArray(variableGradients)
      ? variableGradients.map((v): { name: string; grad: tf.Tensor | undefined } => ({ name: v.name, grad: v.tensor }))
      : Object.keys(variableGradients).map((name) => ({ name, grad: variableGradients[name] as tf.Tensor | undefined }));
    // Each scalar of tfjs's chain, rounded to float32 as tf.scalar() rounds it.
    const f = Math.fround;
    const acc1 = backend.readSync(self.accBeta1.dataId)[0] as number;
    const acc2 = backend.readSync(self.accBeta2.dataId)[0] as number;
    const beta1 = f(self.beta1);
    const beta2 = f(self.beta2);
    const consts = new Float32Array([beta1, 1 - self.beta1, beta2, 1 - self.beta2, 1 - acc1, 1 - acc2, self.epsilon, -self.learningRate]);
    tf.tidy(() => {
      list.forEach(({ name, grad }, i) => {
        const value = tf.engine().registeredVariables[name];
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (grad == null) return;
        // Read in place (not readSync, which would keep the gradient's buffer from being reused).
        const g = backend.data.get(grad.dataId)?.values;
        const w = ownValues(backend, value);
        const m = ownValues(backend, self.accumulatedFirstMoment[i]!.variable);
        const v = ownValues(backend, self.accumulatedSecondMoment[i]!.variable);
        if (!(g instanceof Float32Array) || !w || !m || !v) {
          throw new Error(`Adam: variable ${name} is not float32`);
        }
        addon.adamStep(w, m, v, g, consts);
      });
      self.accBeta1.assign(tf.scalar(f(acc1 * beta1)));
      self.accBeta2.assign(tf.scalar(f(acc2 * beta2)));
    });
    this.incrementIterations();
  }
}

/** kit's Adam: the fused update on the native backend, tfjs's on every other. */
export function createAdam(learningRate: number, beta1: number): tf.AdamOptimizer {
  return new KitAdamOptimizer(learningRate, beta1, 0.999);
}

function activeAddon(): NativeAddon | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND) return undefined;
  const load = loadNativeAddon();
  // An addon built before the fused step existed lacks it: tfjs's update runs until it is rebuilt.
  return load.ok && typeof load.addon.adamStep === 'function' ? load.addon : undefined;
}

/**
 * The variable's values, to be updated in place. A tensor that shares the variable's storage
 * (a clone, a kept identity) must not see the update, so shared storage is first copied.
 */
function ownValues(backend: MathBackendCPU, variable: tf.Variable): Float32Array | undefined {
  const data = backend.data.get(variable.dataId);
  if (!(data?.values instanceof Float32Array)) return undefined;
  if (data.refCount > 1) {
    const copy = tf.tensor(data.values.slice(), variable.shape, 'float32');
    variable.assign(copy);
    copy.dispose();
    return ownValues(backend, variable);
  }
  return data.values;
}
