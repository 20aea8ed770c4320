import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { accessSync, constants, existsSync } from 'node:fs';
import { ensureParent } from '../util/atomic-folder.js';
import { join, resolve } from 'node:path';
import { augmentBatch } from '../data/augment.js';
import { loadDataset } from '../data/load-dataset.js';
import { CIFAR10_NORMALIZATION, normalizationTable } from '../data/normalize.js';
import { splitValidation } from '../data/split.js';
import { sampleImages } from '../data/sample.js';
import { itemBytes } from '../data/types.js';
import { KitError } from '../errors.js';
import { getModelSpec, type TrainingRecipe } from '../models/registry.js';
import { summarizeModel, type ModelSummary } from '../models/summary.js';
import { Rng } from '../util/rng.js';
import { selectBackend, type BackendChoice } from './backend/select-backend.js';
import { bestModelDir, hasCheckpoint, loadCheckpoint, saveBestModel, saveCheckpoint, type EpochRecord, type TrainState } from './checkpoint.js';
import { createAdam } from './backend/native-adam.js';
import { evaluateAccuracy } from './evaluate.js';
import { beta1At, learningRateAt } from './lr-schedule.js';
import { MANIFEST_FILE, trainManifest, type TrainManifest } from './manifest.js';
import { writeTrainOutput } from './output.js';

export interface TrainOptions {
  model: string;
  data: string;
  out: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  backend?: BackendChoice;
  resume?: boolean;
  /** Fraction of the training set held out for validation. */
  valFraction?: number;
  /** Use only the first N training / test images (smoke runs, tests). */
  limitTrain?: number;
  limitTest?: number;
  /** Stop after this many steps in total, leaving a checkpoint (tests of resume). */
  stopAfterSteps?: number;
  /** Set by Ctrl-C: the loop checkpoints at the next step boundary and returns. */
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
}

export type TrainEvent =
  | { type: 'start'; backend: string; summary: ModelSummary; recipe: TrainingRecipe; seed: number; train: number; val: number; test: number; resumedAt?: { epoch: number; step: number } }
  | { type: 'decode'; split: 'train' | 'test'; done: number; total: number }
  | { type: 'epoch-start'; epoch: number; epochs: number; steps: number; step: number }
  | { type: 'step'; epoch: number; step: number; steps: number; loss: number; accuracy: number; imagesPerSecond: number; lr: number }
  | { type: 'epoch-end'; record: EpochRecord; best: boolean }
  | { type: 'checkpoint'; epoch: number; step: number }
  | { type: 'interrupted'; epoch: number; step: number }
  | { type: 'done'; manifest: TrainManifest };

export interface TrainResult {
  completed: boolean;
  manifest?: TrainManifest;
}

function ensureWritable(out: string): void {
  // Creates `out`, or says in one line which file is in the way.
  ensureParent(join(out, MANIFEST_FILE), 'train');
  try {
    accessSync(out, constants.W_OK);
  } catch (e) {
    throw new KitError('unwritable-output', 'train', `cannot write to ${out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'choose another --out folder');
  }
}

/**
 * Trains a registered model on a CIFAR-10-style dataset with the origin augmentation, keeping the
 * checkpoint with the best validation accuracy as the output model. Every random draw is keyed by
 * (seed, epoch, step), so a resumed run is bit-for-bit the uninterrupted one.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const emit = opts.onEvent ?? (() => {});
  const spec = getModelSpec(opts.model);
  const out = resolve(opts.out);
  ensureWritable(out);
  const backend = await selectBackend(opts.backend ?? 'auto');

  const ds = loadDataset(opts.data, { onDecode: (split, done, total) => emit({ type: 'decode', split, done, total }) });
  const seed = opts.seed ?? 1;
  const split = splitValidation(sampleImages(ds.train, opts.limitTrain, seed, 0x11e1), opts.valFraction ?? 0.1, seed);
  const test = sampleImages(ds.test, opts.limitTest, seed, 0x11e1);
  const table = normalizationTable(CIFAR10_NORMALIZATION);

  const recipe: TrainingRecipe = {
    ...spec.recipe,
    ...(opts.epochs !== undefined && { epochs: opts.epochs }),
    ...(opts.batch !== undefined && { batch: opts.batch }),
    ...(opts.lr !== undefined && { lr: opts.lr }),
  };
  for (const [k, v] of Object.entries({ epochs: recipe.epochs, batch: recipe.batch })) {
    if (!Number.isInteger(v) || v < 1) throw new KitError('bad-option', 'train', `--${k} must be a positive integer, got ${v}`, `e.g. --${k} ${k === 'epochs' ? 30 : 32}`);
  }
  if (!(recipe.lr > 0)) throw new KitError('bad-option', 'train', `--lr must be positive, got ${recipe.lr}`, 'e.g. --lr 0.001');

  const optimizer = createAdam(recipe.lr, beta1At(recipe, 0, 1));
  let model: tfl.LayersModel;
  let state: Omit<TrainState, 'optimizer'>;
  if (opts.resume) {
    const loaded = await loadCheckpoint(out, optimizer);
    model = loaded.model;
    state = loaded.state;
    const same = state.model === spec.name && state.seed === seed && JSON.stringify(state.recipe) === JSON.stringify(recipe) && state.dataset.train === split.train.count;
    if (!same) {
      throw new KitError('resume-mismatch', 'train', `the checkpoint in ${out} was made with other settings (${state.model}, seed ${state.seed}, ${JSON.stringify(state.recipe)})`, 'resume with the same --model/--seed/--epochs/--batch/--lr/--data, or use another --out');
    }
  } else {
    if (hasCheckpoint(out)) {
      throw new KitError('would-overwrite', 'train', `${out} already holds a training run`, 'add --resume to continue it, or choose another --out');
    }
    model = spec.build(seed);
    state = {
      version: 1,
      model: spec.name,
      seed,
      recipe,
      dataset: { source: opts.data, train: split.train.count, val: split.val.count },
      epoch: 0,
      step: 0,
      running: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
      history: [],
      best: null,
    };
  }

  const summary = summarizeModel(model);
  emit({ type: 'start', backend: backend.description, summary, recipe, seed, train: split.train.count, val: split.val.count, test: test.count, ...(opts.resume && { resumedAt: { epoch: state.epoch, step: state.step } }) });

  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stepsPerEpoch = Math.floor(split.train.count / recipe.batch);
  if (stepsPerEpoch === 0) throw new KitError('tiny-dataset', 'train', `only ${split.train.count} training images for batch ${recipe.batch}`, 'use a smaller --batch or more data');
  const totalSteps = stepsPerEpoch * recipe.epochs;
  const xBuf = new Float32Array(recipe.batch * itemBytes(split.train.shape));
  let stepsThisRun = 0;

  const checkpoint = async () => {
    await saveCheckpoint(out, model, optimizer, state);
    emit({ type: 'checkpoint', epoch: state.epoch, step: state.step });
  };

  while (state.epoch < recipe.epochs) {
    const perm = new Rng(seed, state.epoch, 0xe90c).permutation(split.train.count);
    emit({ type: 'epoch-start', epoch: state.epoch, epochs: recipe.epochs, steps: stepsPerEpoch, step: state.step });
    while (state.step < stepsPerEpoch) {
      if (opts.signal?.aborted || (opts.stopAfterSteps !== undefined && stepsThisRun >= opts.stopAfterSteps)) {
        await checkpoint();
        emit({ type: 'interrupted', epoch: state.epoch, step: state.step });
        return { completed: false };
      }
      const t0 = performance.now();
      const idx = perm.subarray(state.step * recipe.batch, (state.step + 1) * recipe.batch);
      augmentBatch(split.train, idx, table, new Rng(seed, state.epoch, state.step), xBuf);
      const labels = new Int32Array(idx.length);
      for (let i = 0; i < idx.length; i++) labels[i] = split.train.labels[idx[i]];
      const globalStep = state.epoch * stepsPerEpoch + state.step;
      const lr = learningRateAt(recipe, globalStep, totalSteps);
      // tfjs's Adam reads both fields on every step, so the schedule can set them in place.
      const adam = optimizer as unknown as { learningRate: number; beta1: number };
      adam.learningRate = lr;
      adam.beta1 = beta1At(recipe, globalStep, totalSteps);

      let correctT: tf.Tensor | undefined;
      const lossT = tf.tidy(() => {
        const [h, w, c] = split.train.shape;
        const x = tf.tensor4d(xBuf, [idx.length, h, w, c]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), ds.classes.length);
        return optimizer.minimize(
          () => {
            const logits = model.apply(x, { training: true }) as tf.Tensor;
            // Counted here because the logits do not outlive minimize()'s scope.
            correctT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'int32')));
            return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
          },
          true,
          variables,
        )!;
      });
      const loss = (await lossT.data())[0];
      const correct = (await correctT!.data())[0];
      tf.dispose([lossT, correctT!]);
      if (!Number.isFinite(loss)) {
        throw new KitError('nan-loss', 'train', `loss became ${loss} at epoch ${state.epoch + 1}, step ${state.step + 1}`, `lower --lr (now ${recipe.lr}); the last checkpoint in ${out} is intact`);
      }
      const seconds = (performance.now() - t0) / 1000;
      state.step++;
      stepsThisRun++;
      state.running.lossSum += loss * idx.length;
      state.running.correct += correct;
      state.running.seen += idx.length;
      state.running.seconds += seconds;
      emit({ type: 'step', epoch: state.epoch, step: state.step, steps: stepsPerEpoch, loss: state.running.lossSum / state.running.seen, accuracy: state.running.correct / state.running.seen, imagesPerSecond: idx.length / seconds, lr });
      // Yield so Ctrl-C (SIGINT) can be delivered between steps.
      await new Promise((r) => setImmediate(r));
    }

    // Without a validation set (--val 0, as PyTorch recipes train on all 50,000 images) the output
    // model is simply the last epoch's.
    const valAccuracy = split.val.count > 0 ? await evaluateAccuracy(model, split.val, table) : null;
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      loss: state.running.lossSum / state.running.seen,
      accuracy: state.running.correct / state.running.seen,
      valAccuracy,
      seconds: state.running.seconds,
      lr: learningRateAt(recipe, (state.epoch + 1) * stepsPerEpoch - 1, totalSteps),
    };
    state.history.push(record);
    const isBest = !state.best || valAccuracy === null || state.best.valAccuracy === null || valAccuracy > state.best.valAccuracy;
    if (isBest) {
      state.best = { epoch: record.epoch, valAccuracy };
      await saveBestModel(out, model);
    }
    emit({ type: 'epoch-end', record, best: isBest });
    state.epoch++;
    state.step = 0;
    state.running = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
    await checkpoint();
  }

  // The output model is the best-validation epoch's; measure the test set on exactly that one.
  const { loadLayersModel } = await import('./model-io.js');
  // (Runs checkpointed before the best model was kept beside the checkpoints wrote it to --out.)
  const bestDir = existsSync(join(bestModelDir(out), 'model.json')) ? bestModelDir(out) : out;
  const best = await loadLayersModel(bestDir);
  const testAccuracy = await evaluateAccuracy(best, test, table);
  const manifest = trainManifest({ spec, summary: summarizeModel(best), recipe, seed, state, dataset: { ...ds, source: opts.data }, counts: { train: split.train.count, val: split.val.count, test: test.count }, testAccuracy, backend: backend.description });
  writeTrainOutput(out, bestDir, manifest);
  emit({ type: 'done', manifest });
  return { completed: true, manifest };
}
