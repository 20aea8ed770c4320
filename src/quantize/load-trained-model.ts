import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { MANIFEST_FILE, readModelFacts, type ModelFacts } from '../train/manifest.js';
import { loadLayersModel, modelFiles } from '../train/model-io.js';
import { silenceCpuAdvert } from '../train/backend/quiet-cpu.js';

export type KitManifest = ModelFacts;

export interface TrainedModel {
  model: tfl.LayersModel;
  kit: KitManifest;
  /** model.json, its weight files and kit.json, for provenance hashes. */
  files: string[];
}

/**
 * A folder written by `kit train`: the TF.js Layers model and its manifest, read with the
 * trainer's own readers so both stages agree on what a valid model folder is.
 */
export async function loadTrainedModel(dir: string): Promise<TrainedModel> {
  const kit = readModelFacts(dir);
  // The quantizer computes on the CPU backend unless a faster one was already chosen.
  await tf.ready();
  silenceCpuAdvert(tf.backend());
  const model = await loadLayersModel(dir);
  return { model, kit, files: [...modelFiles(dir), join(dir, MANIFEST_FILE)] };
}
