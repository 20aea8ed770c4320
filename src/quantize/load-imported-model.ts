import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { GRAPH_FILE, loadGraph } from '../ir/serialize.js';
import type { SourceFile } from '../ir/schema.js';
import { MANIFEST_FILE } from '../train/manifest.js';

/** A folder written by `kit import`: a float graph.json, no kit.json. */
export function isImportedModel(dir: string): boolean {
  return existsSync(join(dir, GRAPH_FILE)) && !existsSync(join(dir, MANIFEST_FILE));
}

/**
 * The float graph `kit import` wrote, with the facts `kit quantize` records: the normalization the
 * graph's first node applies, and the class names the import was told (null when it was not:
 * kit quantize then takes them from --classes or from the data's class folders).
 */
export async function loadImportedModel(dir: string): Promise<{ floatGraph: Graph; kit: { model: string; normalization: { mean: number[]; std: number[] }; classes: string[] | null }; source: SourceFile[] }> {
  const { graph, manifest } = await loadGraph(dir);
  const meta = manifest.meta as { stage?: string; model?: string; classes?: string[] | null };
  if (graph.kind !== 'float' || meta.stage !== 'import') {
    throw new KitError('artefact-kind', 'quantize', `${dir} holds a ${graph.kind} graph from stage '${meta.stage ?? 'unknown'}', not an imported float model`, 'run kit import on the .onnx file, or kit quantize on a kit train folder');
  }
  const first = graph.nodes[0];
  if (first?.op !== 'normalize_input') throw new KitError('artefact-corrupt', 'quantize', `${join(dir, GRAPH_FILE)} does not start with the input normalization`, 'run kit import again');
  const { mean, std } = first.attrs as { mean: number[]; std: number[] };
  return { floatGraph: graph, kit: { model: meta.model ?? 'imported', normalization: { mean, std }, classes: meta.classes ?? null }, source: manifest.source.files };
}
