/**
 * A run's output: model.json, its weights file and kit.json, swapped into the --out folder together
 * at the end (src/util/atomic-folder.ts). A failure or Ctrl-C while writing leaves the previous
 * output as it was, never a model of one run beside the kit.json of another.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { replaceFiles } from '../util/atomic-folder.js';
import { MANIFEST_FILE, type TrainManifest } from './manifest.js';
import { modelFiles, WEIGHTS_FILE } from './model-io.js';

/** Copies the model in `modelDir` (the run's best) and the manifest into `out`, as one set. */
export function writeTrainOutput(out: string, modelDir: string, manifest: TrainManifest): void {
  const model = modelFiles(modelDir).map((p) => ({ path: join(out, basename(p)), data: readFileSync(p) }));
  replaceFiles([...model, { path: join(out, MANIFEST_FILE), data: JSON.stringify(manifest, null, 2) + '\n' }], 'train');
  // Weights of an earlier output, which the new model.json no longer names.
  const kept = new Set(model.map((f) => basename(f.path)));
  for (const f of readdirSync(out)) if (WEIGHTS_FILE.test(f) && !kept.has(f)) rmSync(join(out, f), { force: true });
}
