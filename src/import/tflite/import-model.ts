/**
 * kit import: a .tflite file to the quantized artefact folder kit quantize writes (graph.json,
 * graph.bin, report.json), so that kit codegen, flash and verify take it unchanged. Everything is
 * read and checked before anything is written: a refused model leaves the output folder untouched.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { KitError } from '../../errors.js';
import { numElements, type Graph } from '../../ir/graph.js';
import { sha256 } from '../../ir/hash.js';
import { saveGraph } from '../../ir/serialize.js';
import { nodeCost } from '../../ops/cost.js';
import { validateGraph } from '../../ir/validate.js';
import { FLOAT_SUBDIR, REPORT_FILE, writeHashed } from '../../quantize/artefact.js';
import { replaceFolder } from '../../util/atomic-folder.js';
import { formatBytes, formatCount } from '../../util/format.js';
import { readInputNormalization, readTflite } from './reader.js';
import { MAX_MODEL_BYTES, tfliteToGraph, type ImportedModel, type IoInfo } from './to-graph.js';

export interface ImportSummary {
  model: string;
  ops: Record<string, number>;
  nodes: number;
  tensors: number;
  input: IoInfo;
  output: IoInfo;
  macs: number;
  weightBytes: number;
  biasBytes: number;
}

export interface ImportResult extends ImportedModel {
  summary: ImportSummary;
  bytes: Uint8Array;
  /**
   * How pixels become the input's real values, from the model's TFLite metadata when it has
   * NormalizationOptions, as kit records it: (pixel / 255 - mean[c]) / std[c].
   */
  normalization?: { mean: number[]; std: number[] };
}

/** Read, convert and check a .tflite file (nothing is written). */
export async function importTflite(file: string): Promise<ImportResult> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new KitError('tflite-missing', 'import', `${file} does not exist`, 'pass the path of a .tflite file');
  }
  if (size > MAX_MODEL_BYTES) {
    throw new KitError('tflite-too-big', 'import', `${file} is ${formatBytes(size)}, more than the ${formatBytes(MAX_MODEL_BYTES)} kit imports`, 'a microcontroller model is a few hundred KiB to a few MiB');
  }
  const bytes = new Uint8Array(await readFile(file));
  const model = readTflite(bytes, file);
  const imported = tfliteToGraph(model, file);
  const normalization = metadataNormalization(readInputNormalization(model, file), imported.graph, file);
  try {
    validateGraph(imported.graph);
  } catch (e) {
    if (e instanceof KitError) throw new KitError('tflite-invalid', 'import', `${file}: ${e.message}`, 'the model is inconsistent; convert it again');
    throw e;
  }
  return { ...imported, bytes, summary: summarize(imported.model ?? basename(file, '.tflite'), imported), ...(normalization ? { normalization } : {}) };
}

/** TFLite metadata's (pixel - mean) / std on raw values, per input channel, in kit's pixel/255 terms. */
function metadataNormalization(n: { mean: number[]; std: number[] } | undefined, graph: Graph, file: string): { mean: number[]; std: number[] } | undefined {
  if (!n) return undefined;
  const shape = graph.tensors[graph.inputs[0]].shape;
  const channels = shape[shape.length - 1];
  const widen = (xs: number[]) => (xs.length === 1 ? new Array<number>(channels).fill(xs[0]) : xs);
  const [mean, std] = [widen(n.mean), widen(n.std)];
  if (mean.length !== channels || std.length !== channels || std.some((s) => !(s > 0)) || mean.some((m) => !Number.isFinite(m))) {
    throw new KitError('tflite-metadata', 'import', `${file}: its metadata normalizes the input with ${n.mean.length} means and ${n.std.length} stds for ${channels} channels`, 'fix or strip the metadata; kit verify --mean/--std can say it instead');
  }
  return { mean: mean.map((m) => m / 255), std: std.map((s) => s / 255) };
}

function summarize(model: string, imported: ImportedModel): ImportSummary {
  const { graph } = imported;
  const ops: Record<string, number> = {};
  let macs = 0, weightBytes = 0, biasBytes = 0;
  for (const node of graph.nodes) {
    ops[node.op] = (ops[node.op] ?? 0) + 1;
    const c = nodeCost(graph, node);
    macs += c.macs;
    weightBytes += c.weightBytes;
    biasBytes += c.biasBytes;
  }
  return { model, ops, nodes: graph.nodes.length, tensors: Object.keys(graph.tensors).length, input: imported.input, output: imported.output, macs, weightBytes, biasBytes };
}

/** What an imported artefact folder records (manifest.meta), in the shape kit quantize's has. */
export function importedMeta(summary: ImportSummary, graph: Graph, normalization?: { mean: number[]; std: number[] }) {
  return {
    stage: 'quantize',
    source: 'tflite',
    model: summary.model,
    scheme: 'int8',
    bits: 8,
    input: summary.input,
    output: summary.output,
    classes: Array.from({ length: numElements(graph.tensors[graph.outputs[0]].shape) }, (_, i) => String(i)),
    ...(normalization ? { normalization } : {}),
  };
}

/** Write the quantized artefact folder for an imported model. */
export async function saveImported(dir: string, file: string, result: ImportResult): Promise<void> {
  // A float/ left by an earlier kit quantize into this folder belongs to another model.
  await replaceFolder(dir, { stage: 'import', owns: (name) => name === FLOAT_SUBDIR }, async (tmp) => {
    const report = writeHashed(join(tmp, REPORT_FILE), JSON.stringify({ imported: result.summary }, null, 2) + '\n');
    await saveGraph(tmp, result.graph, {
      source: [{ path: basename(file), bytes: result.bytes.length, sha256: sha256(result.bytes) }],
      meta: importedMeta(result.summary, result.graph, result.normalization),
      files: { [REPORT_FILE]: report },
    });
  });
}

const io = (name: string, t: IoInfo) =>
  `${name} [${t.shape.join(', ')}] ${t.dtype}${t.floatWrapped ? ' (kit runs the int8 tensor inside its QUANTIZE/DEQUANTIZE)' : ''}: scale ${t.scale}, zero point ${t.zeroPoint}`;

export function renderImportSummary(s: ImportSummary): string {
  return [
    `imported ${s.model}: ${s.nodes} nodes (${Object.entries(s.ops).map(([op, n]) => `${op} x${n}`).join(', ')}), ${s.tensors} tensors`,
    `  ${io('input ', s.input)}`,
    `  ${io('output', s.output)}`,
    `  ${formatCount(s.macs)} MACs per inference; weights ${formatBytes(s.weightBytes)} int8 + biases ${formatBytes(s.biasBytes)} int32`,
  ].join('\n');
}
