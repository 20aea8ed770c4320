import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { Manifest } from '../ir/schema.js';
import { GRAPH_FILE, loadGraph, saveGraph } from '../ir/serialize.js';
import type { QuantizeModelResult } from './quantize-model.js';
import type { QuantizationReport } from './report.js';

export const REPORT_FILE = 'report.json';
export const FLOAT_SUBDIR = 'float';

/** What a quantized artefact folder records about how it was made (manifest.meta). */
export interface QuantizedMeta {
  stage: 'quantize';
  model: string;
  scheme: string;
  bits: number;
  calibration: QuantizationReport['calibration'];
  normalization: { mean: number[]; std: number[] };
  classes: string[];
}

/**
 * Write the quantized artefact folder: graph.json (manifest + graph), graph.bin (constants) and
 * report.json. Returns the manifest.
 */
export async function saveQuantized(dir: string, result: QuantizeModelResult): Promise<Manifest> {
  const meta: QuantizedMeta = {
    stage: 'quantize',
    model: result.kit.model,
    scheme: result.report.scheme,
    bits: result.report.bits,
    calibration: result.report.calibration,
    normalization: result.kit.normalization,
    classes: result.kit.classes,
  };
  const manifest = await saveGraph(dir, result.graph, { source: result.source, meta: { ...meta } });
  // The float graph it came from, so later stages (kit verify) report float accuracy on the
  // very images they stream, without needing the trained model folder.
  await saveGraph(join(dir, FLOAT_SUBDIR), result.floatGraph, { source: result.source, meta: { stage: 'float' } });
  await writeFile(join(dir, REPORT_FILE), JSON.stringify(result.report, null, 2) + '\n');
  return manifest;
}

/** Load a quantized artefact folder, refusing float graphs and anything corrupt (one-line KitError). */
export async function loadQuantized(dir: string): Promise<{ graph: Graph; manifest: Manifest; meta: QuantizedMeta }> {
  const { graph, manifest } = await loadGraph(dir);
  if (graph.kind !== 'quantized' || manifest.meta.stage !== 'quantize') {
    throw new KitError('artefact-kind', 'quantize', `${dir} holds a ${graph.kind} graph, not a quantized model`, 'run kit quantize on it first');
  }
  return { graph, manifest, meta: manifest.meta as unknown as QuantizedMeta };
}

/** The saved report of a quantized artefact folder, if any. */
export async function loadReport(dir: string): Promise<QuantizationReport | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, REPORT_FILE), 'utf8')) as QuantizationReport;
  } catch {
    return undefined;
  }
}

/** The float graph saved beside a quantized one, if present (older artefacts lack it). */
export async function loadFloatGraph(dir: string): Promise<Graph | undefined> {
  if (!existsSync(join(dir, FLOAT_SUBDIR, GRAPH_FILE))) return undefined;
  return (await loadGraph(join(dir, FLOAT_SUBDIR))).graph;
}
