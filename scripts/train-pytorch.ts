/**
 * The PyTorch side of the training comparison: ResNet-8 with kit's default recipe (Adam, one-cycle
 * to 2e-3 with the beta1 cycle, batch 64, RandomCrop(32, padding 4) + flip, CIFAR-10 normalization)
 * trained by PyTorch on the CPU, on exactly the images kit reads (kit decodes the data set and hands
 * PyTorch the raw pixels). With --kit RUN it prints kit's test accuracy from RUN/kit.json next to it.
 *
 *   npm run train:pytorch -- --data data/cifar10 [--epochs 30] [--seed 1] [--threads N]
 *                            [--limit-train N] [--kit runs/resnet8]
 *
 * Needs PyTorch (Debian: apt-get install python3-torch); 30 epochs on all 50,000 images take over an
 * hour on two cores. Nothing in kit or its tests depends on it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/load-dataset.js';
import { itemBytes } from '../src/data/types.js';
import { getModelSpec } from '../src/models/registry.js';
import { findTorchPython, NO_TORCH, runReference } from './pytorch/run-reference.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string', default: String(availableParallelism()) },
    'limit-train': { type: 'string' },
    kit: { type: 'string' },
  },
});
if (!values.data) {
  console.error('train:pytorch: --data PATH is required (a CIFAR-10 folder or archive kit reads)');
  process.exit(1);
}
const python = findTorchPython();
if (!python) {
  console.error(`train:pytorch: ${NO_TORCH}`);
  process.exit(1);
}
const recipe = getModelSpec('resnet8').recipe;
const epochs = values.epochs ?? String(recipe.epochs);

const data = loadDataset(values.data);
const limit = Math.min(data.train.count, Number(values['limit-train'] ?? data.train.count));
const dir = mkdtempSync(join(tmpdir(), 'kit-pytorch-'));
try {
  writeFileSync(join(dir, 'train-images.u8'), data.train.images.subarray(0, limit * itemBytes(data.train.shape)));
  writeFileSync(join(dir, 'train-labels.u8'), data.train.labels.subarray(0, limit));
  writeFileSync(join(dir, 'test-images.u8'), data.test.images);
  writeFileSync(join(dir, 'test-labels.u8'), data.test.labels);
  console.log(`PyTorch (${python}): ResNet-8, ${limit} training images and ${data.test.count} test images of ${data.source}, ${epochs} epochs, batch ${recipe.batch}, one-cycle to ${recipe.lr}`);
  const lines = await runReference(python, ['train', '--data', dir, '--epochs', epochs, '--batch', String(recipe.batch), '--lr', String(recipe.lr), '--seed', values.seed!, '--threads', values.threads!], (l) => {
    if ('epoch' in l) console.log(`  epoch ${l.epoch}: loss ${(l.loss as number).toFixed(4)}, ${(l.images_per_s as number).toFixed(1)} images/s`);
  });
  const end = lines.at(-1) as { test_accuracy: number; torch: string; threads: number; seconds: number };
  console.log(`PyTorch ${end.torch} (${end.threads} threads): test accuracy ${(100 * end.test_accuracy).toFixed(2)} % after ${epochs} epochs, ${(end.seconds / 60).toFixed(1)} min`);
  if (values.kit) {
    const kit = JSON.parse(readFileSync(join(values.kit, 'kit.json'), 'utf8')) as { testAccuracy: number; recipe: { epochs: number }; dataset: { train: number } };
    console.log(`kit (${values.kit}): test accuracy ${(100 * kit.testAccuracy).toFixed(2)} % after ${kit.recipe.epochs} epochs on ${kit.dataset.train} training images`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
