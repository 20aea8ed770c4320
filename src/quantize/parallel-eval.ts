/**
 * Runs one or two graphs over a labelled image set, image by image, in worker threads.
 *
 * Every image's results (top-1 class per graph, optionally the output bytes, and for a float /
 * integer pair the per-activation SQNR sums of that image) are written into a slot of their own,
 * so it does not matter which thread ran which image: the parallel and the in-thread paths run
 * the same per-image code (`ImageRunner`) and return identical bytes. Whatever is reduced over
 * images (accuracy, SQNR sums) is reduced afterwards, on the calling thread, in image order.
 *
 * Workers get the graphs once, with all constants copied into one SharedArrayBuffer, and the
 * images in another; they claim chunks of images from a shared counter (so a busier core simply
 * does fewer images) and write the results into shared output arrays.
 *
 * Thread count: the `threads` option, else KIT_EVAL_THREADS, else the number of available cores.
 * One thread, fewer than `minImages` images, or workers that cannot start (e.g. a TypeScript
 * loader that does not reach worker threads) mean in-thread evaluation.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { KitError } from '../errors.js';
import { dtypeBytes, numElements, type DType, type Graph, type TensorData } from '../ir/graph.js';
import { Interpreter } from '../ir/interpreter.js';

/** Index of the largest value; ties go to the first, as in tf.argMax and the C code. */
export function argmax(data: ArrayLike<number>, offset = 0, length = data.length - offset): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (data[offset + i] > data[offset + best]) best = i;
  return best;
}

/** What to compute for every image. */
export interface RunSpec {
  /** The graphs run on every image (one or two; same input shape). */
  graphs: Graph[];
  /** Per graph: also return its output tensor's bytes for every image. */
  keepOutputs?: boolean[];
  /**
   * With graphs = [float, quantized]: per image and activation tensor, sum f^2 ("signal") and
   * sum (f - dequant(q))^2 ("noise") for SQNR.
   */
  sqnr?: boolean;
}

export interface RunResult {
  count: number;
  /** Per graph: the top-1 class of every image. */
  classes: Uint8Array[];
  /** Per graph: output bytes of every image, back to back (when asked for in keepOutputs). */
  outputs: (Uint8Array | undefined)[];
  /** Per graph: bytes of one image's output. */
  outputBytes: number[];
  /** With spec.sqnr: per-image sums, image-major ([count][ids.length]). */
  sqnr?: { ids: string[]; signal: Float64Array; noise: Float64Array };
  /** Threads that evaluated images: 1 when it ran in the calling thread. */
  threads: number;
}

export interface RunOptions {
  /** Worker threads (default: KIT_EVAL_THREADS, else the available cores). 1 = in-thread. */
  threads?: number;
  /** Sets smaller than this run in-thread, where starting workers costs more than it saves (64). */
  minImages?: number;
  /** Called as images complete (per image in-thread, per chunk with workers). */
  onProgress?: (done: number, total: number) => void;
  /** Worker entry point; for tests (a bad one exercises the in-thread fallback). */
  workerEntry?: URL;
}

export const DEFAULT_MIN_PARALLEL_IMAGES = 64;

/** The evaluation thread count: `requested`, else KIT_EVAL_THREADS, else the available cores. */
export function evalThreads(requested?: number): number {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new KitError('bad-option', 'quantize', `thread count must be a positive integer, got ${requested}`);
    return requested;
  }
  const env = process.env.KIT_EVAL_THREADS;
  if (env !== undefined && env.trim() !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new KitError('bad-env', 'quantize', `KIT_EVAL_THREADS must be a positive integer, got '${env}'`, 'unset it to use every core, or set 1 to evaluate in-thread');
    }
    return n;
  }
  return Math.max(1, availableParallelism());
}

/** Activation tensors in execution order (node outputs), as Interpreter.activations(). */
function activationIds(graph: Graph): string[] {
  return graph.nodes.map((n) => n.outputs[0]);
}

function outputBytesOf(graph: Graph): number {
  const t = graph.tensors[graph.outputs[0]];
  return numElements(t.shape) * dtypeBytes(t.dtype);
}

/** Where every image's results go (plain or shared memory). */
export interface RunBuffers {
  classes: Uint8Array[];
  outputs: (Uint8Array | null)[];
  signal: Float64Array | null;
  noise: Float64Array | null;
}

function normalizeSpec(spec: RunSpec): Required<RunSpec> {
  if (spec.graphs.length < 1 || spec.graphs.length > 2) throw new Error('runImages takes one or two graphs');
  const keepOutputs = spec.graphs.map((_, g) => spec.keepOutputs?.[g] ?? false);
  const sqnr = spec.sqnr ?? false;
  if (sqnr && (spec.graphs.length !== 2 || spec.graphs[0].kind !== 'float' || spec.graphs[1].kind !== 'quantized')) {
    throw new Error('SQNR needs graphs = [float, quantized]');
  }
  return { graphs: spec.graphs, keepOutputs, sqnr };
}

function allocateBuffers(spec: Required<RunSpec>, count: number, shared: boolean): RunBuffers {
  const bytes = (n: number) => (shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n));
  const layers = spec.sqnr ? activationIds(spec.graphs[1]).length : 0;
  return {
    classes: spec.graphs.map(() => new Uint8Array(bytes(count))),
    outputs: spec.graphs.map((g, k) => (spec.keepOutputs[k] ? new Uint8Array(bytes(count * outputBytesOf(g))) : null)),
    signal: spec.sqnr ? new Float64Array(bytes(8 * count * layers)) : null,
    noise: spec.sqnr ? new Float64Array(bytes(8 * count * layers)) : null,
  };
}

/**
 * Runs the graphs on one image and writes that image's results into its slots. The only code
 * that evaluates images, in the calling thread and in workers alike.
 */
export class ImageRunner {
  private readonly interps: Interpreter[];
  private readonly outputBytes: number[];
  private readonly ids: string[];
  private readonly scales: { scale: number; zeroPoint: number }[];
  readonly inputLength: number;

  constructor(
    private readonly spec: Required<RunSpec>,
    private readonly buffers: RunBuffers,
  ) {
    this.interps = spec.graphs.map((g) => new Interpreter(g));
    this.inputLength = this.interps[0].inputLength;
    for (const it of this.interps) {
      if (it.inputLength !== this.inputLength) throw new Error('the graphs of one evaluation must take the same input');
    }
    this.outputBytes = spec.graphs.map(outputBytesOf);
    this.ids = spec.sqnr ? this.interps[1].activations() : [];
    this.scales = this.ids.map((id) => {
      const q = spec.graphs[1].tensors[id].quant;
      if (!q) throw new Error(`quantized activation '${id}' has no quantization parameters`);
      return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
    });
  }

  run(i: number, image: Uint8Array): void {
    const { classes, outputs, signal, noise } = this.buffers;
    for (let g = 0; g < this.interps.length; g++) {
      const out = this.interps[g].run(image);
      classes[g][i] = argmax(out);
      const keep = outputs[g];
      if (keep) keep.set(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), i * this.outputBytes[g]);
    }
    if (signal && noise) {
      const [f, q] = this.interps;
      const base = i * this.ids.length;
      for (let t = 0; t < this.ids.length; t++) {
        const { scale, zeroPoint } = this.scales[t];
        sqnrSums(f.value(this.ids[t]), q.value(this.ids[t]), scale, zeroPoint, signal, noise, base + t);
      }
    }
  }
}

/** One image's sum f^2 and sum (f - dequant(q))^2 over one activation tensor. */
function sqnrSums(fv: TensorData, qv: TensorData, scale: number, zp: number, signal: Float64Array, noise: Float64Array, slot: number): void {
  let s = 0;
  let e = 0;
  for (let k = 0; k < fv.length; k++) {
    const x = fv[k];
    const d = x - (qv[k] - zp) * scale;
    s += x * x;
    e += d * d;
  }
  signal[slot] = s;
  noise[slot] = e;
}

function finish(spec: Required<RunSpec>, buffers: RunBuffers, count: number, threads: number): RunResult {
  // Copy out of shared memory: callers get ordinary arrays.
  const plain = <T extends Uint8Array | Float64Array>(a: T): T => (a.buffer instanceof SharedArrayBuffer ? (a.slice() as T) : a);
  return {
    count,
    classes: buffers.classes.map(plain),
    outputs: buffers.outputs.map((o) => (o ? plain(o) : undefined)),
    outputBytes: spec.graphs.map(outputBytesOf),
    sqnr: buffers.signal && buffers.noise ? { ids: activationIds(spec.graphs[1]), signal: plain(buffers.signal), noise: plain(buffers.noise) } : undefined,
    threads,
  };
}

function checkImages(images: Uint8Array, count: number, inputLength: number): void {
  if (!Number.isInteger(count) || count < 0 || images.length < count * inputLength) {
    throw new KitError('eval-size', 'quantize', `${images.length} bytes of images cannot hold ${count} images of ${inputLength} values`);
  }
}

function inputLengthOf(graph: Graph): number {
  const input = graph.tensors[graph.inputs[0]];
  if (!input) throw new Error(`graph input '${graph.inputs[0]}' is not a tensor`);
  return numElements(input.shape);
}

/** In-thread evaluation of images [0, count). */
export function runImagesSync(spec: RunSpec, images: Uint8Array, count: number, onProgress?: (done: number, total: number) => void): RunResult {
  const s = normalizeSpec(spec);
  const buffers = allocateBuffers(s, count, false);
  const runner = new ImageRunner(s, buffers);
  const n = runner.inputLength;
  checkImages(images, count, n);
  for (let i = 0; i < count; i++) {
    runner.run(i, images.subarray(i * n, (i + 1) * n));
    onProgress?.(i + 1, count);
  }
  return finish(s, buffers, count, 1);
}

function viewOf(dtype: DType, buffer: SharedArrayBuffer, offset: number, length: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, offset, length);
    case 'int32': return new Int32Array(buffer, offset, length);
    case 'int8': return new Int8Array(buffer, offset, length);
    case 'uint8': return new Uint8Array(buffer, offset, length);
  }
}

/** A copy of a graph whose constants live in one SharedArrayBuffer, so workers share them. */
function shareGraph(graph: Graph): Graph {
  const align8 = (n: number) => Math.ceil(n / 8) * 8;
  let size = 0;
  for (const t of Object.values(graph.tensors)) if (t.data) size = align8(size + t.data.byteLength);
  const blob = new SharedArrayBuffer(size);
  let offset = 0;
  const tensors: Graph['tensors'] = {};
  for (const [id, t] of Object.entries(graph.tensors)) {
    if (!t.data) {
      tensors[id] = t;
      continue;
    }
    const view = viewOf(t.dtype, blob, offset, t.data.length);
    view.set(t.data as never);
    tensors[id] = { ...t, data: view };
    offset = align8(offset + t.data.byteLength);
  }
  return { ...graph, tensors };
}

/** What a worker gets (workerData). */
export interface WorkerInit {
  spec: Required<RunSpec>;
  buffers: RunBuffers;
  images: Uint8Array;
  count: number;
  /** cursor[0]: the next unclaimed image. */
  cursor: Int32Array;
  chunk: number;
}

/** What a worker posts. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; images: number }
  | { type: 'error'; error: { name: string; message: string; stack?: string; code?: string; stage?: string; hint?: string } };

/** Rebuild an error a worker posted (KitErrors stay KitErrors). */
function reviveError(e: Extract<WorkerMessage, { type: 'error' }>['error']): Error {
  if (e.name === 'KitError' && e.code && e.stage) return new KitError(e.code, e.stage as KitError['stage'], e.message, e.hint);
  const err = new Error(`evaluation worker failed: ${e.message}`);
  if (e.stack) err.stack = `${err.message}\n--- in the worker:\n${e.stack}`;
  return err;
}

/** Start one evaluation worker, from compiled JS directly or, under tsx, through tsx's loader. */
function startWorker(init: WorkerInit, entry?: URL): Worker {
  const here = import.meta.url;
  const ts = here.endsWith('.ts');
  const url = entry ?? new URL(ts ? './eval-worker.ts' : './eval-worker.js', here);
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: init });
  // tsx (as of 4.x on Node 20) registers its loader in the main thread only, and a worker's
  // --import of it is a no-op: register it explicitly before importing the TypeScript entry.
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: init });
}

/**
 * Evaluate images [0, count) with worker threads (see the module comment); falls back to
 * in-thread evaluation for one thread, small sets, or workers that cannot start.
 */
export async function runImages(spec: RunSpec, images: Uint8Array, count: number, options: RunOptions = {}): Promise<RunResult> {
  const s = normalizeSpec(spec);
  const inputLength = inputLengthOf(s.graphs[0]);
  checkImages(images, count, inputLength);
  const threads = Math.min(evalThreads(options.threads), Math.max(1, count));
  if (threads <= 1 || count < (options.minImages ?? DEFAULT_MIN_PARALLEL_IMAGES)) return runImagesSync(s, images, count, options.onProgress);

  const shared = new Uint8Array(new SharedArrayBuffer(count * inputLength));
  shared.set(images.subarray(0, count * inputLength));
  const buffers = allocateBuffers(s, count, true);
  const init: WorkerInit = {
    spec: { ...s, graphs: s.graphs.map(shareGraph) },
    buffers,
    images: shared,
    count,
    cursor: new Int32Array(new SharedArrayBuffer(4)),
    // Small enough that the threads finish together, large enough that messages are rare.
    chunk: Math.max(1, Math.min(32, Math.floor(count / (threads * 8)))),
  };
  const outcome = await runWorkers(init, threads, options);
  if (outcome === 'no-workers') return runImagesSync(s, images, count, options.onProgress);
  return finish(s, buffers, count, outcome);
}

/** Runs the pool; resolves to the number of workers that did the work, or 'no-workers' if none could start. */
function runWorkers(init: WorkerInit, threads: number, options: RunOptions): Promise<number | 'no-workers'> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let ready = 0;
    let exited = 0;
    let done = 0;
    let failure: Error | undefined;
    const fail = (err: Error) => {
      if (failure) return;
      failure = err;
      for (const w of workers) void w.terminate();
    };
    const onExit = () => {
      if (++exited < workers.length) return;
      if (failure) reject(failure);
      else if (ready === 0) resolve('no-workers');
      else if (done !== init.count) reject(new Error(`evaluation workers finished ${done} of ${init.count} images`));
      else resolve(ready);
    };
    for (let k = 0; k < threads; k++) {
      let worker: Worker;
      try {
        worker = startWorker(init, options.workerEntry);
      } catch {
        continue; // e.g. no tsx to load TypeScript with: the others (or the calling thread) do the work
      }
      workers.push(worker);
      let isReady = false;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          isReady = true;
          ready++;
        } else if (m.type === 'progress') {
          done += m.images;
          if (!failure) {
            try {
              options.onProgress?.(done, init.count);
            } catch (e) {
              fail(e instanceof Error ? e : new Error(String(e)));
            }
          }
        } else if (m.type === 'error') {
          // A worker that could not even build its interpreters has claimed no images: the
          // others, or the calling thread, evaluate them (and report the error if it is real).
          if (isReady) fail(reviveError(m.error));
        }
      });
      // Startup failures (module not found, loader errors) claim no images either.
      worker.on('error', (err) => {
        if (isReady) fail(err);
      });
      worker.on('exit', onExit);
    }
    if (workers.length === 0) resolve('no-workers');
  });
}
