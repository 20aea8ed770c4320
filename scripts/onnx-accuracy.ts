/**
 * Float top-1 of an ONNX classifier under ONNX Runtime on a kit data set's test images: the float
 * figure `kit quantize` and `kit verify` are compared with for an imported model.
 *   npm run onnx:accuracy -- MODEL.onnx --data data/cifar10 [--mean 0 --std 1] [--eval N] [--seed 1] [--batch 100]
 * The model reads NCHW float images x = (pixel / 255 - mean) / std (by default mean 0, std 1: the
 * model normalizes its input itself). --eval N samples N test images exactly as `kit quantize --eval N`
 * does (same seed, same images). Needs onnxruntime-node (an optional dependency). Prints one JSON line.
 */
import { parseArgs } from 'node:util';
import { loadImageData } from '../src/data/load-dataset.js';
import { sampleImages } from '../src/data/sample.js';
import { itemBytes } from '../src/data/types.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string', default: 'data' },
    mean: { type: 'string', default: '0' },
    std: { type: 'string', default: '1' },
    eval: { type: 'string' },
    seed: { type: 'string', default: '1' },
    batch: { type: 'string', default: '100' },
  },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npm run onnx:accuracy -- MODEL.onnx --data data/cifar10 [--mean M --std S] [--eval N]');
  process.exit(2);
}
const ort = await import('onnxruntime-node').catch(() => undefined);
if (!ort) {
  console.error('onnxruntime-node is not installed (an optional dependency): npm install onnxruntime-node');
  process.exit(1);
}
const test = sampleImages(loadImageData(flags.data!).test, flags.eval ? Number(flags.eval) : undefined, Number(flags.seed));
const [IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS] = test.shape;
const IMAGE_BYTES = itemBytes(test.shape);
const perChannel = (v: string) => {
  const xs = v.split(',').map(Number);
  return Array.from({ length: IMAGE_CHANNELS }, (_, c) => xs[xs.length === 1 ? 0 : c]);
};
const mean = perChannel(flags.mean!);
const std = perChannel(flags.std!);
const session = await ort.InferenceSession.create(file);
const [inputName] = session.inputNames;
const [outputName] = session.outputNames;
const batch = Number(flags.batch);
const plane = IMAGE_HEIGHT * IMAGE_WIDTH;
let correct = 0;
const started = performance.now();
for (let start = 0; start < test.count; start += batch) {
  const n = Math.min(batch, test.count - start);
  // HWC bytes -> NCHW floats.
  const x = new Float32Array(n * IMAGE_BYTES);
  for (let i = 0; i < n; i++) {
    const img = test.images.subarray((start + i) * IMAGE_BYTES, (start + i + 1) * IMAGE_BYTES);
    for (let p = 0; p < plane; p++) for (let c = 0; c < IMAGE_CHANNELS; c++) {
      x[i * IMAGE_BYTES + c * plane + p] = (img[p * IMAGE_CHANNELS + c] / 255 - mean[c]) / std[c];
    }
  }
  const out = await session.run({ [inputName]: new ort.Tensor('float32', x, [n, IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH]) });
  const logits = out[outputName].data as Float32Array;
  const classes = logits.length / n;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[i * classes + k] > logits[i * classes + best]) best = k;
    if (best === test.labels[start + i]) correct++;
  }
}
await session.release();
console.log(JSON.stringify({ model: file, images: test.count, top1: correct / test.count, correct, seconds: (performance.now() - started) / 1000 }));
