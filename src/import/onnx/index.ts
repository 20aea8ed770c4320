import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { KitError } from '../../errors.js';
import type { Graph } from '../../ir/graph.js';
import { describeFiles } from '../../ir/hash.js';
import { saveGraph } from '../../ir/serialize.js';
import { replaceFolder } from '../../util/atomic-folder.js';
import { graphFromOnnx, type InputNormalization } from './convert.js';
import { readOnnxModel } from './read-model.js';

export { graphFromOnnx, SUPPORTED_ONNX_OPS, type InputNormalization } from './convert.js';
export { readOnnxModel, MIN_OPSET, MAX_OPSET } from './read-model.js';

/** What `kit import` records beside the float graph (manifest.meta), read back by `kit quantize`. */
export interface ImportedMeta {
  stage: 'import';
  model: string;
  format: 'onnx';
  opset: number;
  /** How pixels become the network's input (already folded into the graph's normalize_input). */
  normalization: InputNormalization;
  /** null when `kit import` was not told: `kit quantize --classes` must then name them. */
  classes: string[] | null;
}

export interface ImportOptions {
  normalization: InputNormalization;
  classes?: string[];
}

/** Read an ONNX file into kit's float graph (everything checked, nothing written). */
export function importOnnxGraph(file: string, options: ImportOptions): { graph: Graph; meta: ImportedMeta } {
  if (!existsSync(file)) throw new KitError('file-missing', 'model', `${file} does not exist`, 'give the path of an .onnx file');
  const { model, opset } = readOnnxModel(readFileSync(file), file);
  const graph = graphFromOnnx(model, opset, options.normalization, dirname(file));
  const outputs = graph.tensors[graph.outputs[0]].shape[0];
  const channels = graph.tensors[graph.inputs[0]].shape[2];
  const widen = (xs: number[]) => (xs.length === 1 ? new Array<number>(channels).fill(xs[0]) : xs);
  if (options.classes && options.classes.length !== outputs) {
    throw new KitError('bad-option', 'model', `--classes names ${options.classes.length} classes but the model has ${outputs} outputs`, `give ${outputs} comma-separated names`);
  }
  const meta: ImportedMeta = {
    stage: 'import',
    model: basename(file, extname(file)),
    format: 'onnx',
    opset,
    normalization: { mean: widen(options.normalization.mean), std: widen(options.normalization.std) },
    classes: options.classes ?? null,
  };
  return { graph, meta };
}

/** `kit import`: convert, then write the float graph folder (graph.json + graph.bin) that `kit quantize` reads. */
export async function importOnnx(file: string, out: string, options: ImportOptions): Promise<{ graph: Graph; meta: ImportedMeta }> {
  const result = importOnnxGraph(file, options);
  const source = await describeFiles([file]);
  await replaceFolder(out, { stage: 'import' }, (tmp) => saveGraph(tmp, result.graph, { source, meta: { ...result.meta } }));
  return result;
}
