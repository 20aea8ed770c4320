/**
 * Speed of kit's integer reference interpreter (and of the float reference) on ResNet-8:
 *   node --import tsx scripts/bench-quantize.ts [images=1000] [scheme=int8|uint8]
 * Uses a randomly initialized ResNet-8 and synthetic images (speed does not depend on the weights).
 * Prints the mean over all images and the best of 10 equal slices, since a shared machine is noisy.
 */
import { randomResnet8, syntheticImages, CIFAR_NORMALIZATION } from '../test/quantize/fixtures.js';
import { Interpreter } from '../src/ir/interpreter.js';
import { quantizeLayersModel } from '../src/quantize/quantize-model.js';

const count = Number(process.argv[2] ?? 1000);
const scheme = process.argv[3] ?? 'int8';
const { graph, floatGraph, report } = quantizeLayersModel(randomResnet8(1), CIFAR_NORMALIZATION, {
  scheme,
  calibImages: { images: syntheticImages(16, 2), count: 16 },
});
const macs = report.totals.macs;
const pixels = 32 * 32 * 3;
const images = syntheticImages(Math.min(count, 100), 3);

function time(label: string, interp: Interpreter, n: number): void {
  const image = (i: number) => images.subarray((i % 100) * pixels, ((i % 100) + 1) * pixels);
  for (let i = 0; i < 20; i++) interp.run(image(i)); // warm up the JIT
  const slice = Math.max(1, Math.floor(n / 10));
  let best = Infinity;
  const t0 = performance.now();
  for (let s = 0; s < 10; s++) {
    const t = performance.now();
    for (let i = 0; i < slice; i++) interp.run(image(s * slice + i));
    best = Math.min(best, (performance.now() - t) / slice);
  }
  const mean = (performance.now() - t0) / (10 * slice);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms/image = ${(macs / ms / 1e3).toFixed(0)} MMAC/s = ${(ms * 10).toFixed(1)} s per 10,000 images`;
  console.log(`${label}\n  mean ${fmt(mean)}\n  best ${fmt(best)}`);
}

console.log(`ResNet-8: ${(macs / 1e6).toFixed(2)} M MACs/image, scheme ${scheme}, ${count} images per measurement`);
time('integer reference (packed accumulation)', new Interpreter(graph), count);
time('integer reference (plain accumulation)', new Interpreter(graph, { plainAccumulation: true }), Math.min(count, 200));
time('float reference', new Interpreter(floatGraph), Math.min(count, 500));
