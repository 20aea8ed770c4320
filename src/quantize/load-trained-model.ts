import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { KitError } from '../errors.js';

/** The facts about a trained model that kit keeps next to it in kit.json. */
export const kitManifestSchema = z.looseObject({
  model: z.string(),
  normalization: z.object({ mean: z.array(z.number()).min(1), std: z.array(z.number().positive()).min(1) }),
  classes: z.array(z.string()).min(1),
});
export type KitManifest = z.infer<typeof kitManifestSchema>;

const modelJsonSchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(z.looseObject({ name: z.string(), shape: z.array(z.number()), dtype: z.string() })) })),
});

export interface TrainedModel {
  model: tfl.LayersModel;
  kit: KitManifest;
  /** model.json, its weight files and kit.json, for provenance hashes. */
  files: string[];
}

async function readJson(path: string, what: string, hint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new KitError('model-missing', 'quantize', `${path} not found`, hint);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KitError('model-corrupt', 'quantize', `${path} is not valid JSON (truncated?)`, `the ${what} is damaged; train again`);
  }
}

/**
 * Load a trained model folder: model.json + weight files in the TF.js Layers format, and kit.json.
 * Reads the files directly (no tfjs-node needed) and hands them to tfjs-layers from memory.
 */
export async function loadTrainedModel(dir: string): Promise<TrainedModel> {
  const modelPath = join(dir, 'model.json');
  const kitPath = join(dir, 'kit.json');
  const modelJson = modelJsonSchema.safeParse(await readJson(modelPath, 'model', 'pass the folder of a trained model (kit train writes one)'));
  if (!modelJson.success) throw new KitError('model-corrupt', 'quantize', `${modelPath} is not a TF.js Layers model`, 'the model is damaged; train again');
  const kit = kitManifestSchema.safeParse(await readJson(kitPath, 'model manifest', 'kit.json must sit next to model.json'));
  if (!kit.success) {
    const issue = kit.error.issues[0];
    throw new KitError('model-corrupt', 'quantize', `${kitPath} is invalid at ${issue.path.join('.')}: ${issue.message}`);
  }
  const weightPaths = modelJson.data.weightsManifest.flatMap((g) => g.paths.map((p) => join(dir, p)));
  const shards: Buffer[] = [];
  for (const p of weightPaths) {
    try {
      shards.push(await readFile(p));
    } catch {
      throw new KitError('model-missing', 'quantize', `weight file ${p} not found`, 'copy the whole model folder');
    }
  }
  const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
  await tf.ready();
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.data.modelTopology,
        weightSpecs: modelJson.data.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
        weightData,
      }),
    );
  } catch (e) {
    throw new KitError('model-corrupt', 'quantize', `cannot load ${modelPath}: ${(e as Error).message.split('\n')[0]}`, 'the model is damaged; train again');
  }
  return { model, kit: kit.data, files: [modelPath, ...weightPaths, kitPath] };
}
