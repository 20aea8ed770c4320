import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

interface ModelJson {
  modelTopology: object;
  format: string;
  generatedBy: string;
  convertedBy: null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** The weights file saveLayersModel writes, named by its content hash. */
export const WEIGHTS_FILE = /^weights\.[0-9a-f]{12}\.bin$/;

/**
 * Saves a model in the TF.js Layers format (model.json + one weights file), loadable by
 * `tf.loadLayersModel`. The weights file is named by its content hash and written before
 * model.json is swapped in, so a crash at any point leaves a consistent pair on disk.
 */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
      const name = `weights.${createHash('sha256').update(weights).digest('hex').slice(0, 12)}.bin`;
      writeFileAtomic(join(dir, name), weights);
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology as object,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${name}`], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json));
      for (const f of readdirSync(dir)) {
        if (WEIGHTS_FILE.test(f) && f !== name) rmSync(join(dir, f), { force: true });
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** model.json and the weight files it names. */
export function modelFiles(dir: string): string[] {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  return [join(dir, 'model.json'), ...json.weightsManifest.flatMap((g) => g.paths.map((p) => join(dir, p)))];
}

/** Reads model.json and its weights from a folder, with one clear error if anything is off. */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts {
  const jsonPath = join(dir, 'model.json');
  if (!existsSync(jsonPath)) {
    throw new KitError('missing-model', 'model', `no model.json in ${dir}`, 'point at a folder written by `kit train`');
  }
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new KitError('corrupt-model', 'model', `${jsonPath} is not valid JSON (${(e as Error).message})`, 'retrain or restore the model folder');
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new KitError('corrupt-model', 'model', `${jsonPath} is not a TF.js Layers model`, 'retrain or restore the model folder');
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const chunks = json.weightsManifest.flatMap((g) => g.paths.map((p) => join(dir, p)));
  const buffers = chunks.map((p) => {
    if (!existsSync(p)) throw new KitError('corrupt-model', 'model', `weights file ${p} is missing`, 'retrain or restore the model folder');
    return readFileSync(p);
  });
  const data = Buffer.concat(buffers);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (data.length !== expected) {
    throw new KitError('corrupt-model', 'model', `weights in ${dir} are ${data.length} bytes, model.json expects ${expected}`, 'the weights file is truncated or from another model; retrain or restore it');
  }
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format, generatedBy: json.generatedBy };
}

export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  const artifacts = readModelArtifacts(dir);
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new KitError('corrupt-model', 'model', `cannot build the model in ${dir}: ${(e as Error).message}`, 'retrain or restore the model folder');
  }
}
