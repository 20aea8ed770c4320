import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { KitError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { replaceFolder } from '../util/atomic-folder.js';
import { checkSchemaVersion } from '../util/schema-version.js';
import { loadLayersModel, saveLayersModel } from './model-io.js';
import { restoreAdam, serializeAdam } from './optimizer-state.js';

const EpochRecord = z.object({
  epoch: z.number(),
  loss: z.number(),
  accuracy: z.number(),
  /** null when the run holds out no validation set. */
  valAccuracy: z.number().nullable(),
  seconds: z.number(),
  lr: z.number(),
});
export type EpochRecord = z.infer<typeof EpochRecord>;

export const TrainState = z.object({
  version: z.literal(1),
  model: z.string(),
  seed: z.number(),
  recipe: z.object({ epochs: z.number(), batch: z.number(), lr: z.number(), schedule: z.enum(['constant', 'one-cycle']) }),
  dataset: z.object({ source: z.string(), train: z.number(), val: z.number() }),
  /** Epoch in progress (0-based) and steps of it already done. */
  epoch: z.number(),
  step: z.number(),
  running: z.object({ lossSum: z.number(), correct: z.number(), seen: z.number(), seconds: z.number() }),
  history: z.array(EpochRecord),
  best: z.object({ epoch: z.number(), valAccuracy: z.number().nullable() }).nullable(),
  optimizer: z.array(z.object({ name: z.string(), shape: z.array(z.number()) })),
});
export type TrainState = z.infer<typeof TrainState>;

const POINTER = 'latest.json';
/** The best epoch's model so far, beside the checkpoints: the run's output is copied from it at the end. */
const BEST = 'best';

/** Where a run keeps its best epoch's model until it writes its output (src/train/output.ts). */
export function bestModelDir(out: string): string {
  return join(out, 'checkpoints', BEST);
}

/** Keeps `model` as the run's best so far, replacing the previous best whole. */
export async function saveBestModel(out: string, model: tfl.LayersModel): Promise<void> {
  await replaceFolder(bestModelDir(out), { stage: 'train' }, (dir) => saveLayersModel(model, dir));
}

/**
 * Checkpoints live in `<out>/checkpoints/<tag>/` (model, optimizer, state). A checkpoint is written
 * completely, then `latest.json` is atomically pointed at it, then older ones are removed: an
 * interruption at any moment leaves the previous checkpoint usable.
 */
export async function saveCheckpoint(out: string, model: tfl.LayersModel, opt: tf.AdamOptimizer, state: Omit<TrainState, 'optimizer'>): Promise<void> {
  const root = join(out, 'checkpoints');
  const tag = `e${String(state.epoch).padStart(3, '0')}-s${String(state.step).padStart(6, '0')}`;
  // Written under a temporary name and renamed into place whole (src/util/atomic-folder.ts).
  await replaceFolder(join(root, tag), { stage: 'train' }, async (dir) => {
    await saveLayersModel(model, dir);
    const { header, data } = await serializeAdam(opt);
    writeFileAtomic(join(dir, 'optimizer.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const full: TrainState = { ...state, optimizer: header };
    writeFileAtomic(join(dir, 'state.json'), JSON.stringify(full, null, 1));
  });
  writeFileAtomic(join(root, POINTER), JSON.stringify({ checkpoint: tag }));
  for (const d of readdirSync(root)) {
    if (d !== tag && d !== POINTER && d !== BEST && !d.startsWith('.') && !d.includes('.tmp-')) rmSync(join(root, d), { recursive: true, force: true });
  }
}

export function hasCheckpoint(out: string): boolean {
  return existsSync(join(out, 'checkpoints', POINTER));
}

export async function loadCheckpoint(out: string, opt: tf.AdamOptimizer): Promise<{ model: tfl.LayersModel; state: TrainState }> {
  const root = join(out, 'checkpoints');
  const fail = (why: string) =>
    new KitError('corrupt-checkpoint', 'train', `cannot resume from ${root}: ${why}`, 'delete that folder to start over, or drop --resume');
  if (!existsSync(join(root, POINTER))) throw new KitError('no-checkpoint', 'train', `no checkpoint in ${out}`, 'run without --resume to start training');
  let dir: string;
  let state: TrainState;
  try {
    dir = join(root, JSON.parse(readFileSync(join(root, POINTER), 'utf8')).checkpoint);
    const json = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { version?: unknown };
    checkSchemaVersion({ file: join(dir, 'state.json'), found: json.version, known: 1, stage: 'train', rerun: 'kit train (without --resume, into a new --out)' });
    state = TrainState.parse(json);
  } catch (e) {
    if (e instanceof KitError) throw e;
    throw fail((e as Error).message.split('\n')[0]);
  }
  const model = await loadLayersModel(dir);
  await restoreAdam(opt, state.optimizer, join(dir, 'optimizer.bin'));
  return { model, state };
}
