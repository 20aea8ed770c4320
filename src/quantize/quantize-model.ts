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
import { resolveClasses, resolveNormalization, type InputSpecFlags } from '../data/input-spec.js';
import { modelInputOf, type ModelInput } from '../data/model-data.js';

export interface QuantizeOptions {
  /** 'uint8' (default) or 'int8'. */
  scheme?: string;
  /** Only 8 is supported. */
  bits?: number;
  /** Training images to calibrate activation ranges on (never test images). */
  calibImages: ImageSet;
  calibMethod?: CalibrationMethod;
  /** For calibMethod 'percentile' (default 99.99). */
  percentile?: number;
  /** Labelled images to measure float vs integer accuracy and per-layer SQNR on (optional). */
  evalSet?: LabelledSet;
  onProgress?: ProgressFn;
}

/** The data for a model, loaded once the model says what it reads. */
export interface ModelDataSets {
  calibImages: ImageSet;
  evalSet?: LabelledSet;
  /** The data's class names (its folders), used when the model names none. */
  classes?: string[];
}

export interface QuantizeModelOptions extends Omit<QuantizeOptions, 'calibImages'> {
  /** Folder with model.json, its weights and kit.json, or a folder written by `kit import`. */
  modelDir: string;
  /** Class names for a model that does not name them (or that should be named otherwise). */
  classes?: string[];
  /** --mean / --std / --scale: how pixels become the input, over what the model records. */
  inputSpec?: InputSpecFlags;
  /** The calibration (and evaluation) images, given ... */
  calibImages?: ImageSet;
  /** ... or loaded for the model's input (shape, type, class names) and normalization. */
  data?: (input: ModelInput, normalization: Normalization) => ModelDataSets;
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

/** `kit quantize`: load a trained or imported model folder, load its data, calibrate, quantize, and optionally evaluate. */
export async function quantizeModel(options: QuantizeModelOptions): Promise<QuantizeModelResult> {
  // Refuse bad options before any loading.
  getScheme(options.scheme ?? 'uint8', options.bits ?? 8);
  checkCalibrationOptions(options.calibImages ?? { images: new Uint8Array(0), count: 1 }, { method: options.calibMethod, percentile: options.percentile });
  if (!options.calibImages && !options.data) throw new Error('quantizeModel needs calibImages or data');
  if (isImportedModel(options.modelDir)) {
    const { floatGraph, kit, source } = await loadImportedModel(options.modelDir);
    return quantizeLoaded(floatGraph, kit, source, options);
  }
  const { model, kit, files } = await loadTrainedModel(options.modelDir);
  try {
    const source = await describeFiles(files);
    const channels = (model.inputs[0].shape[3] ?? 0) as number;
    const normalization = resolveNormalization(options.inputSpec ?? {}, channels, kit.normalization, options.modelDir);
    return await quantizeLoaded(graphFromLayersModel(model, normalization), kit, source, options);
  } finally {
    model.dispose();
  }
}

/** The model's normalize_input with this normalization (the flags' over what the model recorded). */
function withNormalization(graph: Graph, normalization: Normalization): Graph {
  const first = graph.nodes[0];
  if (first?.op !== 'normalize_input') return graph;
  return { ...graph, nodes: [{ ...first, attrs: { ...first.attrs, mean: normalization.mean, std: normalization.std } }, ...graph.nodes.slice(1)] };
}

/** Input normalization recorded in a float graph's normalize_input, if it has one. */
function graphNormalization(graph: Graph): Normalization | undefined {
  const first = graph.nodes[0];
  return first?.op === 'normalize_input' ? (first.attrs as unknown as Normalization) : undefined;
}

interface LoadedFacts {
  model: string;
  normalization?: Normalization;
  classes?: string[] | null;
}

async function quantizeLoaded(loaded: Graph, facts: LoadedFacts, source: SourceFile[], options: QuantizeModelOptions): Promise<QuantizeModelResult> {
  const inputShape = loaded.tensors[loaded.inputs[0]].shape;
  const channels = inputShape[inputShape.length - 1];
  const normalization = resolveNormalization(options.inputSpec ?? {}, channels, graphNormalization(loaded) ?? facts.normalization, options.modelDir);
  const floatGraph = withNormalization(loaded, normalization);
  const outputs = numElements(floatGraph.tensors[floatGraph.outputs[0]].shape);
  const modelClasses = options.classes ?? facts.classes ?? undefined;
  if (modelClasses && modelClasses.length !== outputs) {
    throw new KitError('bad-option', 'quantize', `${modelClasses.length} class names for a model with ${outputs} outputs`, `pass --classes with ${outputs} comma-separated names`);
  }
  const sets: ModelDataSets = options.data ? options.data(modelInputOf(floatGraph, modelClasses), normalization) : { calibImages: options.calibImages!, evalSet: options.evalSet };
  const classes = resolveClasses(undefined, outputs, modelClasses, sets.classes);
  if (!classes) throw new KitError('missing-classes', 'quantize', `the model in ${options.modelDir} names no classes and the data has no ${outputs} class folders`, `pass --classes with ${outputs} comma-separated names`);
  const pixels = numElements(inputShape);
  const given = sets.calibImages.images.length;
  // Callers may hand a longer buffer of which the first `count` images are used; a buffer that is
  // not a whole number of inputs (or too short) is data of another shape.
  if (given < sets.calibImages.count * pixels || given % pixels !== 0 || (options.data === undefined && isImportedModel(options.modelDir) && given !== sets.calibImages.count * pixels)) {
    throw new KitError('data-shape', 'quantize', `the model reads ${inputShape.join('x')} images but the calibration images have ${sets.calibImages.images.length / Math.max(1, sets.calibImages.count)} values each`, 'give data whose images match the model input');
  }
  const run = { ...options, calibImages: sets.calibImages };
  checkCalibrationOptions(run.calibImages, { method: options.calibMethod, percentile: options.percentile });
  const { graph } = quantizeFloatGraph(floatGraph, { ...run, evalSet: undefined });
  // The float vs integer comparison runs on worker threads (KIT_EVAL_THREADS, default every
  // core): the same figures, bit for bit, as quantizeFloatGraph's in-thread evaluation.
  const comparison = sets.evalSet ? await compareGraphsParallel(floatGraph, graph, sets.evalSet, options.onProgress) : undefined;
  const kit: KitManifest = { ...(facts as KitManifest), model: facts.model, normalization, classes };
  return { graph, floatGraph, report: buildReport(floatGraph, graph, calibrationOf(run), comparison), kit, source };
}
