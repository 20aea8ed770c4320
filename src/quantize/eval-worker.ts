/**
 * Worker thread of the parallel evaluation (see parallel-eval.ts): builds the interpreters once,
 * then claims chunks of images from the shared cursor until none are left, writing each image's
 * results into the shared output arrays. Posts 'ready', then 'progress' per chunk; exits when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKitError } from '../errors.js';
import { ImageRunner, type WorkerInit, type WorkerMessage } from './parallel-eval.js';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

try {
  const init = workerData as WorkerInit;
  const runner = new ImageRunner(init.spec, init.buffers);
  const n = runner.inputLength;
  post({ type: 'ready' });
  for (;;) {
    const start = Atomics.add(init.cursor, 0, init.chunk);
    if (start >= init.count) break;
    const end = Math.min(start + init.chunk, init.count);
    for (let i = start; i < end; i++) runner.run(i, init.images.subarray(i * n, (i + 1) * n));
    post({ type: 'progress', images: end - start });
  }
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  post({
    type: 'error',
    error: {
      name: err.name,
      message: err.message,
      stack: err.stack,
      ...(isKitError(err) ? { code: err.code, stage: err.stage, hint: err.hint } : {}),
    },
  });
}
