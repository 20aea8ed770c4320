import type * as tfl from '@tensorflow/tfjs-layers';
import { graphFromLayersModel, type Normalization } from '../ir/from-layers.js';
import { numElements, type Graph } from '../ir/graph.js';
import { KitError } from '../errors.js';
import { describeFiles } from '../ir/hash.js';
import type { SourceFile } from '../ir/schema.js';
import { calibrate, checkCalibrationOptions, DEFAULT_PERCENTILE, type CalibrationMethod } from './calibrate.js';
import { compareGraphs, compareGraphsParallel } from './evaluate.js';
import { isImportedModel, loadImportedModel } from './load-imported-model.js';
import { loadTrainedModel, type KitManifest } from './load-trained-model.js';
import { quantizeGraph } from './quantize-graph.js';
import { buildReport, type QuantizationReport } from './report.js';
import { getScheme } from './schemes.js';
import type { ImageSet, LabelledSet, ProgressFn } from './types.js';

export interface QuantizeOptions {
  /** 'uint8' (default) or 'int8'. */
  scheme?: string;
  /** Only 8 is supported. */
  bits?: number;
  /** Training images to calibrate activation ranges on. */
  calibImages: ImageSet;
  calibMethod?: CalibrationMethod;
  /** For calibMethod 'percentile' (default 99.99). */
  percentile?: number;
  /** Labelled images to measure float vs integer accuracy and per-layer SQNR on (optional). */
  evalSet?: LabelledSet;
  onProgress?: ProgressFn;
}

export interface QuantizeModelOptions extends QuantizeOptions {
  /** Folder with model.json, its weights and kit.json, or a folder written by `kit import`. */
  modelDir: string;
  /** Class names for an imported model that does not name them. */
  classes?: string[];
}

export interface QuantizeResult {
  /** The integer graph: kit's integer truth. */
  graph: Graph;
  /** The float graph it was made from (BatchNorm folded, ReLU fused). */
  floatGraph: Graph;
  /** Always present; `report.evaluation` is null without an evaluation set. */
  report: QuantizationReport;
}

export interface QuantizeModelResult extends QuantizeResult {
  kit: KitManifest;
  /** Hashes of the trained model's files. */
  source: SourceFile[];
}

/** Quantize an in-memory tfjs-layers model (the trainer can call this directly). */
export function quantizeLayersModel(model: tfl.LayersModel, normalization: Normalization, options: QuantizeOptions): QuantizeResult {
  return quantizeFloatGraph(graphFromLayersModel(model, normalization), options);
}

/** Calibrate and quantize a float graph (from a tfjs model or `kit import`). */
export function quantizeFloatGraph(floatGraph: Graph, options: QuantizeOptions): QuantizeResult {
  const scheme = getScheme(options.scheme ?? 'uint8', options.bits ?? 8);
  const method = options.calibMethod ?? 'minmax';
  const ranges = calibrate(floatGraph, options.calibImages, scheme, { method, percentile: options.percentile, onProgress: options.onProgress });
  const graph = quantizeGraph(floatGraph, ranges, scheme);
  const comparison = options.evalSet ? compareGraphs(floatGraph, graph, options.evalSet, options.onProgress) : undefined;
  return { graph, floatGraph, report: buildReport(floatGraph, graph, calibrationOf(options), comparison) };
}

function calibrationOf(options: QuantizeOptions) {
  const method = options.calibMethod ?? 'minmax';
  return {
    method,
    images: options.calibImages.count,
    ...(method === 'percentile' ? { percentile: options.percentile ?? DEFAULT_PERCENTILE } : {}),
  };
}

/** `kit quantize`: load a trained model folder, calibrate, quantize, and optionally evaluate. */
export async function quantizeModel(options: QuantizeModelOptions): Promise<QuantizeModelResult> {
  // Refuse bad options before any loading.
  getScheme(options.scheme ?? 'uint8', options.bits ?? 8);
  checkCalibrationOptions(options.calibImages, { method: options.calibMethod, percentile: options.percentile });
  if (isImportedModel(options.modelDir)) return quantizeImported(options);
  const { model, kit, files } = await loadTrainedModel(options.modelDir);
  try {
    const source = await describeFiles(files);
    const { graph, floatGraph } = quantizeLayersModel(model, kit.normalization, { ...options, evalSet: undefined });
    // The float vs integer comparison runs on worker threads (KIT_EVAL_THREADS, default every
    // core): the same figures, bit for bit, as quantizeLayersModel's in-thread evaluation.
    const comparison = options.evalSet ? await compareGraphsParallel(floatGraph, graph, options.evalSet, options.onProgress) : undefined;
    return { graph, floatGraph, report: buildReport(floatGraph, graph, calibrationOf(options), comparison), kit, source };
  } finally {
    model.dispose();
  }
}

/** `kit quantize` on a folder written by `kit import`. */
async function quantizeImported(options: QuantizeModelOptions): Promise<QuantizeModelResult> {
  const { floatGraph, kit, source } = await loadImportedModel(options.modelDir, options.classes);
  const input = floatGraph.tensors[floatGraph.inputs[0]].shape;
  const pixels = numElements(input);
  if (options.calibImages.images.length !== options.calibImages.count * pixels) {
    throw new KitError('data-shape', 'quantize', `the model reads ${input.join('x')} images but the calibration images have ${options.calibImages.images.length / Math.max(1, options.calibImages.count)} values each`, 'give data whose images match the model input');
  }
  const { graph } = quantizeFloatGraph(floatGraph, { ...options, evalSet: undefined });
  const comparison = options.evalSet ? await compareGraphsParallel(floatGraph, graph, options.evalSet, options.onProgress) : undefined;
  return { graph, floatGraph, report: buildReport(floatGraph, graph, calibrationOf(options), comparison), kit, source };
}
