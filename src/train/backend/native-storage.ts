import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type * as tf from '@tensorflow/tfjs-core';

/** Outputs shorter than this come fresh: V8 makes small arrays cheaply, they barely count. */
const MIN_RECYCLED_LENGTH = 1024;
/** At most this much memory waits for reuse; buffers freed beyond it go to the garbage collector. */
const MAX_FREE_BYTES = 1 << 30;

/** A buffer handed out by allocate(): the whole array and how many tensors hold (views of) it. */
interface Lent {
  array: Float32Array;
  holders: number;
}

/**
 * tfjs-backend-cpu's storage (tensors hold plain typed arrays), with the float32 outputs of
 * native kernels recycled. A training step makes and disposes the same few hundred tensors every
 * time; as fresh Float32Arrays each one is zero-filled, faulted in and left to V8, whose
 * "external memory pressure" then runs about one full garbage collection per ResNet-8 step
 * (measured: about a fifth of the step). Here a buffer whose last tensor is disposed waits in a
 * free list for the next output of the same length.
 *
 * A buffer is only reused when nothing outside the backend can still see it: every tensor that
 * holds it or a view of it (a JS kernel's slice may be a subarray of its input) is counted by
 * ArrayBuffer, and one whose values were ever read out (dataSync, data, a move to another
 * backend) is never reused, since the caller may keep that array. Reuse changes no value: every
 * native kernel writes all of its output (a test fills the free lists with NaN first).
 */
export class RecyclingCpuBackend extends MathBackendCPU {
  private readonly lent = new WeakMap<ArrayBufferLike, Lent>();
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;

  /** A float32 array of `length` for a kernel to fill completely: recycled (old values) or new. */
  allocate(length: number): Float32Array {
    if (length < MIN_RECYCLED_LENGTH) return new Float32Array(length);
    const array = this.free.get(length)?.pop() ?? new Float32Array(length);
    if (this.lent.has(array.buffer)) this.freeBytes -= array.byteLength;
    this.lent.set(array.buffer, { array, holders: 0 });
    return array;
  }

  /** Bytes waiting in the free lists. */
  recycledBytes(): number {
    return this.freeBytes;
  }

  /** Fills every waiting buffer with `value` (tests: proves kernels do not read their output). */
  fillFree(value: number): void {
    for (const list of this.free.values()) for (const a of list) a.fill(value);
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    this.hold(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.hold(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = this.data.get(dataId)?.values;
    if (values && ArrayBuffer.isView(values)) this.lent.delete(values.buffer);
    return super.readSync(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (values && ArrayBuffer.isView(values) && !this.data.has(dataId)) this.release(values.buffer);
    return done;
  }

  override dispose(): void {
    this.free.clear();
    this.freeBytes = 0;
    super.dispose();
  }

  private hold(values: tf.backend_util.BackendValues | null | undefined): void {
    if (values && ArrayBuffer.isView(values)) {
      const lent = this.lent.get(values.buffer);
      if (lent) lent.holders++;
    }
  }

  private release(buffer: ArrayBufferLike): void {
    const lent = this.lent.get(buffer);
    if (!lent || --lent.holders > 0) return;
    const { array } = lent;
    if (this.freeBytes + array.byteLength > MAX_FREE_BYTES) {
      this.lent.delete(buffer);
      return;
    }
    let list = this.free.get(array.length);
    if (!list) this.free.set(array.length, (list = []));
    list.push(array);
    this.freeBytes += array.byteLength;
  }
}
