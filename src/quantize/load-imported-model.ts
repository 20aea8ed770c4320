import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { GRAPH_FILE, loadGraph } from '../ir/serialize.js';
import type { SourceFile } from '../ir/schema.js';
import { MANIFEST_FILE } from '../train/manifest.js';
import type { KitManifest } from './load-trained-model.js';

/** A folder written by `kit import`: a float graph.json, no kit.json. */
export function isImportedModel(dir: string): boolean {
  return existsSync(join(dir, GRAPH_FILE)) && !existsSync(join(dir, MANIFEST_FILE));
}

/**
 * The float graph `kit import` wrote, with the facts `kit quantize` records: the normalization the
 * graph's first node applies, and the class names (from the import, or `classes` given now).
 */
export async function loadImportedModel(dir: string, classes?: string[]): Promise<{ floatGraph: Graph; kit: KitManifest; source: SourceFile[] }> {
  const { graph, manifest } = await loadGraph(dir);
  const meta = manifest.meta as { stage?: string; model?: string; classes?: string[] | null };
  if (graph.kind !== 'float' || meta.stage !== 'import') {
    throw new KitError('artefact-kind', 'quantize', `${dir} holds a ${graph.kind} graph from stage '${meta.stage ?? 'unknown'}', not an imported float model`, 'run kit import on the .onnx file, or kit quantize on a kit train folder');
  }
  const outputs = graph.tensors[graph.outputs[0]].shape[0];
  const names = classes ?? meta.classes ?? undefined;
  if (!names) throw new KitError('missing-classes', 'quantize', `the imported model in ${dir} names no classes`, `pass --classes with ${outputs} comma-separated names`);
  if (names.length !== outputs) throw new KitError('bad-option', 'quantize', `${names.length} class names for a model with ${outputs} outputs`, `pass --classes with ${outputs} comma-separated names`);
  const first = graph.nodes[0];
  if (first?.op !== 'normalize_input') throw new KitError('artefact-corrupt', 'quantize', `${join(dir, GRAPH_FILE)} does not start with the input normalization`, 'run kit import again');
  const { mean, std } = first.attrs as { mean: number[]; std: number[] };
  return { floatGraph: graph, kit: { model: meta.model ?? 'imported', normalization: { mean, std }, classes: names }, source: manifest.source.files };
}
