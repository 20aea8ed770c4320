import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KitError } from '../../errors.js';
import { graphFromLayersModel } from '../../ir/from-layers.js';
import type { Graph } from '../../ir/graph.js';
import { describeFiles } from '../../ir/hash.js';
import { saveGraph } from '../../ir/serialize.js';
import { replaceFolder } from '../../util/atomic-folder.js';
import { MANIFEST_FILE } from '../../train/manifest.js';
import { modelFiles, readModelArtifacts } from '../../train/model-io.js';
import type { InputNormalization } from '../onnx/convert.js';
import { graphFromTfjsGraphModel } from './graph-model.js';

export { graphFromTfjsGraphModel, SUPPORTED_TFJS_OPS } from './graph-model.js';

/** What `kit import` records beside the float graph of a TensorFlow.js model (manifest.meta). */
export interface TfjsImportedMeta {
  stage: 'import';
  model: string;
  format: 'tfjs-graph-model' | 'tfjs-layers-model';
  normalization: InputNormalization;
  classes: string[] | null;
}

/** The folder of a TensorFlow.js model: `path` is its model.json or the folder holding it. */
export function tfjsModelDir(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
}

/**
 * A TensorFlow.js model that `kit train` did not write: a graph model (tensorflowjs_converter from
 * Keras or a SavedModel) or a Layers model without kit.json. What kit.json would say (the input
 * normalization, the class names) comes from the caller (kit import's flags).
 */
export async function importTfjsGraph(path: string, options: { normalization: InputNormalization; classes?: string[] }): Promise<{ graph: Graph; meta: TfjsImportedMeta; files: string[] }> {
  const dir = tfjsModelDir(path);
  if (!existsSync(join(dir, 'model.json'))) throw new KitError('file-missing', 'model', `no model.json in ${dir}`, 'give the model.json of a TensorFlow.js model (or its folder)');
  if (existsSync(join(dir, MANIFEST_FILE))) {
    throw new KitError('bad-option', 'model', `${dir} was written by kit train (it has ${MANIFEST_FILE})`, `quantize it directly: kit quantize ${dir}`);
  }
  const artifacts = readModelArtifacts(dir);
  let graph: Graph;
  let format: TfjsImportedMeta['format'];
  if (artifacts.format === 'graph-model') {
    format = 'tfjs-graph-model';
    graph = await graphFromTfjsGraphModel(artifacts, options.normalization);
  } else if (artifacts.format === 'layers-model' || artifacts.format === undefined) {
    format = 'tfjs-layers-model';
    await tf.ready();
    let model: tfl.LayersModel;
    try {
      model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (e) {
      throw new KitError('corrupt-model', 'model', `tfjs-layers cannot build the model in ${dir} (${(e as Error).message})`, 'save the model again with model.save() or tensorflowjs_converter');
    }
    try {
      const channels = (model.inputs[0]?.shape ?? []).at(-1) ?? 1;
      const widen = (xs: number[]) => (xs.length === 1 ? new Array<number>(channels).fill(xs[0]) : xs);
      graph = graphFromLayersModel(model, { mean: widen(options.normalization.mean), std: widen(options.normalization.std) });
    } finally {
      model.dispose();
    }
  } else {
    throw new KitError('import-format', 'model', `${join(dir, 'model.json')} is a '${artifacts.format}' model`, 'kit imports TensorFlow.js graph models and Layers models');
  }
  const outputs = graph.tensors[graph.outputs[0]].shape[0];
  if (options.classes && options.classes.length !== outputs) {
    throw new KitError('bad-option', 'model', `--classes names ${options.classes.length} classes but the model has ${outputs} outputs`, `give ${outputs} comma-separated names`);
  }
  const first = graph.nodes[0].attrs as unknown as InputNormalization;
  const meta: TfjsImportedMeta = { stage: 'import', model: basename(dir), format, normalization: { mean: first.mean, std: first.std }, classes: options.classes ?? null };
  return { graph, meta, files: modelFiles(dir) };
}

/** `kit import` of a TensorFlow.js model: convert, then write the float graph folder `kit quantize` reads. */
export async function importTfjs(path: string, out: string, options: { normalization: InputNormalization; classes?: string[] }): Promise<{ graph: Graph; meta: TfjsImportedMeta }> {
  const { graph, meta, files } = await importTfjsGraph(path, options);
  const source = await describeFiles(files);
  await replaceFolder(out, { stage: 'import' }, (tmp) => saveGraph(tmp, graph, { source, meta: { ...meta } }));
  return { graph, meta };
}
