/**
 * Data for a given model: what `kit quantize --data` and `kit verify --data` load. The model says
 * what it reads (input shape and type, class names); the data is CIFAR-10 (the default), an image
 * folder of any image size (fitted only with --resize / --center-crop), or raw tensors (--inputs
 * x.npy [--labels y.npy]). Images become the model's input bytes here: raw pixels for a model that
 * normalizes them itself (kit's, and imported float models), or quantized values for an imported
 * int8 model whose input is a quantized tensor.
 */
import { KitError } from '../errors.js';
import { numElements, type Graph } from '../ir/graph.js';
import { quantizeValue } from '../quantize/qparams.js';
import type { DataFlags, ImagePrep } from './input-spec.js';
import { parseImagePrep } from './input-spec.js';
import { loadImageData } from './load-dataset.js';
import type { Normalization } from './normalize.js';
import { npyInputs, type InputTensor } from './npy-inputs.js';
import { sampleImages } from './sample.js';
import { selectImages, type LabelledImages } from './types.js';
import { Rng } from '../util/rng.js';

export type { InputTensor } from './npy-inputs.js';

/** What a model reads, as a data loader needs it. */
export interface ModelInput extends InputTensor {
  /** The input's quantization, when it is a quantized tensor rather than pixels. */
  quant?: { scale: number; zeroPoint: number };
  /** Class count (the output's length). */
  outputs: number;
  /** The model's class names, if it has real ones: image folders' labels are mapped to them by name. */
  classes?: string[];
}

/** The input of a kit graph (float or quantized): pixels when its first node is normalize_input. */
export function modelInputOf(graph: Graph, classes?: string[]): ModelInput {
  const t = graph.tensors[graph.inputs[0]];
  const pixels = graph.nodes[0]?.op === 'normalize_input' && graph.nodes[0].inputs[0] === graph.inputs[0];
  if (t.dtype !== 'uint8' && t.dtype !== 'int8') throw new KitError('model-input', 'data', `the model's input is ${t.dtype}; kit feeds 8-bit inputs`, 'import a model with an int8 or uint8 input');
  const q = t.quant;
  return {
    shape: [...t.shape],
    dtype: t.dtype,
    pixels,
    ...(!pixels && q ? { quant: { scale: q.scale[0], zeroPoint: q.zeroPoint[0] } } : {}),
    outputs: numElements(graph.tensors[graph.outputs[0]].shape),
    ...(classes ? { classes } : {}),
  };
}

export interface ModelData {
  /** Training images (calibration), when the data has a train split. */
  train: LabelledImages | null;
  /** Test images, or all of them for a folder without splits or raw tensors. */
  test: LabelledImages;
  /** false for raw tensors without --labels. */
  labelled: boolean;
  /** Class names from the data's folders (in label order), when it has them. */
  classes?: string[];
  source: string;
  /** The images as decoded (HWC pixels), for thumbnails; absent for raw tensors. */
  pixels?: { train: LabelledImages | null; test: LabelledImages };
}

/**
 * The data `flags` name, as `input` reads it: --inputs (raw tensors) or --data (CIFAR-10 by
 * default, or an image folder). `normalization` is needed only when images feed a quantized
 * (non-pixel) input: it says how a pixel becomes the real value the input quantizes.
 */
export function loadModelData(flags: DataFlags, input: ModelInput, normalization?: Normalization, onDecode?: (split: 'train' | 'test', done: number, total: number) => void): ModelData {
  if (flags.inputs !== undefined) {
    if (flags.resize !== undefined || flags.centerCrop) throw new KitError('bad-option', 'cli', '--resize and --center-crop apply to images, not to --inputs tensors', 'save the tensors at the model\'s input size');
    const { set, labelled } = npyInputs(input, flags.inputs, flags.labels);
    checkLabels(set, input.outputs, flags.labels ?? flags.inputs);
    return { train: null, test: set, labelled, source: flags.inputs };
  }
  if (flags.labels !== undefined) throw new KitError('bad-option', 'cli', '--labels goes with --inputs', 'image folders take their labels from the class folders');
  const prep: ImagePrep = parseImagePrep(flags);
  const path = flags.data ?? 'data';
  const ds = loadImageData(path, { shape: input.shape, prep, onDecode });
  const relabel = labelMap(ds.classes, input, path);
  const train = ds.train && relabel(ds.train);
  const test = relabel(ds.test);
  const toInput = (s: LabelledImages | null) => s && imagesToInput(s, input, normalization);
  return { train: toInput(train), test: toInput(test)!, labelled: true, classes: ds.classes, source: ds.source, pixels: { train, test } };
}

/** Labels the model cannot output (a label past its last class) are refused, naming the first. */
function checkLabels(set: LabelledImages, outputs: number, file: string): void {
  const i = set.labels.findIndex((l) => l >= outputs);
  if (i >= 0) throw new KitError('label-range', 'data', `${file}: label ${set.labels[i]} at ${i}, but the model has ${outputs} classes`, `labels are 0..${outputs - 1}`);
}

/**
 * Folder labels in the model's class order: by name when the model names its classes and every
 * folder is one of them, else the sorted folder index (which must be below the class count).
 */
function labelMap(dataClasses: string[], input: ModelInput, path: string): (s: LabelledImages) => LabelledImages {
  const named = input.classes;
  if (named && dataClasses.every((c) => named.includes(c))) {
    const map = dataClasses.map((c) => named.indexOf(c));
    if (map.every((m, i) => m === i)) return (s) => s;
    return (s) => ({ ...s, labels: s.labels.map((l) => map[l]) });
  }
  if (dataClasses.length > input.outputs) {
    throw new KitError('class-count', 'data', `${path} has ${dataClasses.length} class folders but the model has ${input.outputs} outputs`, named ? `name the folders after the model's classes (${named.slice(0, 4).join(', ')}...) or keep ${input.outputs} folders` : `keep ${input.outputs} class folders, sorted in the model's class order`);
  }
  return (s) => s;
}

/**
 * Pixel images as the model's input bytes: unchanged for a model that reads pixels; for a
 * quantized input, each pixel's real value (the normalization) quantized with the input's scale and
 * zero point, exactly as TFLite's QUANTIZE rounds (half away from zero, saturating).
 */
export function imagesToInput(set: LabelledImages, input: ModelInput, normalization?: Normalization): LabelledImages {
  if (input.pixels) return set;
  if (!input.quant) throw new KitError('model-input', 'data', `the model's ${input.dtype} input has no scale and zero point, so images cannot be fed to it`, 'give its inputs with --inputs x.npy');
  if (!normalization) {
    throw new KitError('bad-option', 'cli', `the model reads a quantized ${input.dtype} tensor (scale ${input.quant.scale}, zero point ${input.quant.zeroPoint}), and nothing says how a pixel becomes its value`, 'give --scale 1/255 (values 0..1), or --mean M --std S, or feed tensors with --inputs x.npy');
  }
  const channels = input.shape[input.shape.length - 1];
  const [qmin, qmax] = input.dtype === 'int8' ? [-128, 127] : [0, 255];
  const lut = new Uint8Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < 256; p++) lut[c * 256 + p] = quantizeValue((p / 255 - normalization.mean[c]) / normalization.std[c], input.quant, qmin, qmax) & 0xff;
  }
  const images = new Uint8Array(set.images.length);
  for (let i = 0; i < images.length; i++) images[i] = lut[(i % channels) * 256 + set.images[i]];
  return { ...set, images };
}

/**
 * Calibration and evaluation sets for kit quantize: from the train and test splits when the data
 * has both; otherwise `calib` items drawn (seeded) for calibration and the others, never the same
 * ones, for evaluation.
 */
export function calibrationSplit(data: ModelData, calib: number, evalCount: number | undefined, seed: number): { calib: LabelledImages; eval: LabelledImages | null } {
  if (data.train) return { calib: sampleImages(data.train, calib, seed), eval: data.labelled ? sampleImages(data.test, evalCount, seed) : null };
  const all = data.test;
  if (all.count < 2 && data.labelled) throw new KitError('data-size', 'data', `${data.source} holds ${all.count} item${all.count === 1 ? '' : 's'}: too few to calibrate on some and evaluate on others`, 'give more images, or a train/ and test/ split');
  const n = data.labelled ? Math.min(calib, all.count - 1) : Math.min(calib, all.count);
  const perm = new Rng(seed, 0xca1b).permutation(all.count);
  const calibIdx = perm.subarray(0, n).slice().sort();
  const rest = perm.subarray(n).slice().sort();
  const evalSet = data.labelled ? sampleImages(selectImages(all, rest), evalCount, seed) : null;
  return { calib: selectImages(all, calibIdx), eval: evalSet };
}
