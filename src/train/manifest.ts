import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CIFAR10_NORMALIZATION } from '../data/normalize.js';
import { CROP_PADDING } from '../data/augment.js';
import type { ImageDataset } from '../data/types.js';
import { KitError } from '../errors.js';
import type { ModelSpec, TrainingRecipe } from '../models/registry.js';
import type { ModelSummary } from '../models/summary.js';
import { checkSchemaVersion } from '../util/schema-version.js';
import { KIT_VERSION } from '../version.js';
import type { TrainState } from './checkpoint.js';

export const MANIFEST_FILE = 'kit.json';

/** The version of kit.json this kit writes and reads. */
export const TRAIN_MANIFEST_SCHEMA = 1;

export const TrainManifest = z.object({
  schema: z.literal(TRAIN_MANIFEST_SCHEMA),
  kitVersion: z.string(),
  stage: z.literal('train'),
  model: z.string(),
  architecture: z.object({ params: z.number(), macs: z.number(), floatBytes: z.number(), int8Bytes: z.number() }),
  input: z.object({ shape: z.array(z.number()), layout: z.string(), pixels: z.string() }),
  normalization: z.object({ mean: z.array(z.number()).length(3), std: z.array(z.number()).length(3) }),
  classes: z.array(z.string()),
  dataset: z.object({ source: z.string(), train: z.number(), val: z.number(), test: z.number() }),
  recipe: z.object({
    optimizer: z.string(),
    epochs: z.number(),
    batch: z.number(),
    lr: z.number(),
    schedule: z.string(),
    seed: z.number(),
    augmentation: z.string(),
  }),
  backend: z.string(),
  history: z.array(z.object({ epoch: z.number(), loss: z.number(), accuracy: z.number(), valAccuracy: z.number().nullable(), seconds: z.number(), lr: z.number() })),
  bestEpoch: z.number(),
  /** null when the run held out no validation set; the output is then the last epoch. */
  valAccuracy: z.number().nullable(),
  testAccuracy: z.number(),
  trainSeconds: z.number(),
});
export type TrainManifest = z.infer<typeof TrainManifest>;

export interface ManifestInput {
  spec: ModelSpec;
  summary: ModelSummary;
  recipe: TrainingRecipe;
  seed: number;
  state: Omit<TrainState, 'optimizer'>;
  dataset: ImageDataset;
  counts: { train: number; val: number; test: number };
  testAccuracy: number;
  /** The backend's one-line description (which one ran: GPU or CPU TensorFlow, native, WebAssembly). */
  backend: string;
}

/** kit.json of a finished run (written with the model by src/train/output.ts). */
export function trainManifest(m: ManifestInput): TrainManifest {
  return {
    schema: TRAIN_MANIFEST_SCHEMA,
    kitVersion: KIT_VERSION,
    stage: 'train',
    model: m.spec.name,
    architecture: { params: m.summary.params, macs: m.summary.macs, floatBytes: m.summary.floatBytes, int8Bytes: m.summary.int8Bytes },
    input: { shape: [32, 32, 3], layout: 'NHWC', pixels: 'RGB, normalized: (v/255 - mean) / std' },
    normalization: { mean: [...CIFAR10_NORMALIZATION.mean], std: [...CIFAR10_NORMALIZATION.std] },
    classes: m.dataset.classes,
    dataset: { source: m.dataset.source, ...m.counts },
    recipe: {
      optimizer: m.recipe.schedule === 'one-cycle' ? 'adam (beta1 cycled 0.95-0.85-0.95)' : 'adam',
      epochs: m.recipe.epochs,
      batch: m.recipe.batch,
      lr: m.recipe.lr,
      schedule: m.recipe.schedule,
      seed: m.seed,
      augmentation: `RandomCrop(32, padding=${CROP_PADDING}, fill=0), RandomHorizontalFlip(0.5)`,
    },
    backend: m.backend,
    history: m.state.history,
    bestEpoch: m.state.best?.epoch ?? 0,
    valAccuracy: m.state.best?.valAccuracy ?? null,
    testAccuracy: m.testAccuracy,
    trainSeconds: m.state.history.reduce((s, h) => s + h.seconds, 0),
  };
}

/** What later stages need of a trained model's manifest; the rest is a record for people. */
export const ModelFacts = TrainManifest.pick({ model: true, normalization: true, classes: true });
export type ModelFacts = z.infer<typeof ModelFacts>;

function parseManifest<T>(dir: string, schema: z.ZodType<T>): T {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new KitError('missing-manifest', 'model', `no ${MANIFEST_FILE} in ${dir}`, 'point at a folder written by `kit train`');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KitError('corrupt-manifest', 'model', `${file} is not valid JSON (${(e as Error).message})`, 'retrain or restore the model folder');
  }
  const probe = (json ?? {}) as { schema?: unknown; kitVersion?: unknown };
  checkSchemaVersion({ file, found: probe.schema, known: TRAIN_MANIFEST_SCHEMA, writtenBy: probe.kitVersion, stage: 'model', rerun: 'kit train' });
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KitError('corrupt-manifest', 'model', `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, 'retrain or restore the model folder');
  }
  return parsed.data;
}

export function readManifest(dir: string): TrainManifest {
  return parseManifest(dir, TrainManifest);
}

export function readModelFacts(dir: string): ModelFacts {
  return parseManifest(dir, ModelFacts);
}
