import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { sha256 } from '../ir/hash.js';
import type { Manifest } from '../ir/schema.js';
import { GRAPH_FILE, loadGraph, saveGraph } from '../ir/serialize.js';
import type { QuantizeModelResult } from './quantize-model.js';
import type { QuantizationReport } from './report.js';
import { replaceFolder } from '../util/atomic-folder.js';
import { fsSeam } from '../util/fs-seam.js';
import { checkSchemaVersion } from '../util/schema-version.js';
import { kitVersion } from '../ir/kit-version.js';

export const REPORT_FILE = 'report.json';
/** The version of report.json this kit writes and reads (absent in reports of older kits: read as 1). */
export const QUANT_REPORT_SCHEMA = 1;

/** report.json as written, and as `kit quantize --json` prints it: the report with its schema and writer. */
export function reportDocument(report: QuantizationReport) {
  return { schema: QUANT_REPORT_SCHEMA, kitVersion: kitVersion(), ...report };
}
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
 * Write the quantized artefact folder: graph.json (manifest + graph), graph.bin (constants),
 * report.json and float/. The folder is replaced as a whole (src/util/atomic-folder.ts): a failure
 * leaves the old one as it was, and its other subfolders (kit codegen's c-<board>) are kept.
 * graph.json, written last, records the sha256 of the other files. Returns the manifest.
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
  return replaceFolder(dir, { stage: 'quantize' }, async (tmp) => {
    // The float graph it came from, so later stages (kit verify) report float accuracy on the
    // very images they stream, without needing the trained model folder.
    await saveGraph(join(tmp, FLOAT_SUBDIR), result.floatGraph, { source: result.source, meta: { stage: 'float' } });
    const files = {
      [REPORT_FILE]: writeHashed(join(tmp, REPORT_FILE), JSON.stringify(reportDocument(result.report), null, 2) + '\n'),
      [`${FLOAT_SUBDIR}/${GRAPH_FILE}`]: sha256(await readFile(join(tmp, FLOAT_SUBDIR, GRAPH_FILE))),
    };
    return saveGraph(tmp, result.graph, { source: result.source, meta: { ...meta }, files });
  });
}

/** Writes a file through the seam and returns its sha256, for the folder's manifest. */
export function writeHashed(path: string, text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  fsSeam.writeFile(path, bytes);
  return sha256(bytes);
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
  const file = join(dir, REPORT_FILE);
  let json: QuantizationReport & { schema?: unknown; kitVersion?: unknown };
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  checkSchemaVersion({ file, found: json.schema ?? QUANT_REPORT_SCHEMA, known: QUANT_REPORT_SCHEMA, writtenBy: json.kitVersion, stage: 'quantize', rerun: 'kit quantize' });
  return json;
}

/** The float graph saved beside a quantized one, if present (older artefacts lack it). */
export async function loadFloatGraph(dir: string): Promise<Graph | undefined> {
  if (!existsSync(join(dir, FLOAT_SUBDIR, GRAPH_FILE))) return undefined;
  return (await loadGraph(join(dir, FLOAT_SUBDIR))).graph;
}
