import { KitError } from '../errors.js';
import { npyLabels, readNpy } from './npy.js';
import { itemBytes, type LabelledImages } from './types.js';

/** What a model's input tensor takes: its shape (no batch dimension) and 8-bit type. */
export interface InputTensor {
  shape: number[];
  dtype: 'uint8' | 'int8';
  /** true when the values are raw pixels (the normalization is inside the model). */
  pixels: boolean;
}

/**
 * Raw input tensors: a .npy of N inputs in the model's dtype (uint8 pixels for a model that
 * normalizes them itself, int8 for an imported int8 model) and layout (HWC, with or without
 * TFLite's batch dimension of 1 per input), and optionally a .npy of N integer labels.
 */
export function npyInputs(input: InputTensor, inputsFile: string, labelsFile?: string): { set: LabelledImages; labelled: boolean } {
  const npy = readNpy(inputsFile);
  const want = input.dtype === 'int8' ? 'i1' : 'u1';
  if (npy.descr.slice(1) !== want) {
    const what = input.pixels ? `${input.dtype} pixels 0..255 (the model normalizes them itself)` : input.dtype;
    throw new KitError('npy-dtype', 'data', `${inputsFile} holds ${npy.descr} values but the model's input is ${what}`, `save the inputs as numpy.${input.dtype}`);
  }
  const rest = npy.shape.slice(1);
  const per = rest.length === input.shape.length + 1 && rest[0] === 1 ? rest.slice(1) : rest;
  if (npy.shape.length < 1 || per.join() !== input.shape.join()) {
    const chw = input.shape.length === 3 && per.join() === [input.shape[2], input.shape[0], input.shape[1]].join();
    throw new KitError(
      'npy-shape',
      'data',
      `${inputsFile} has shape (${npy.shape.join(', ')}); the model takes N inputs of [${input.shape.join(', ')}]`,
      chw ? 'it looks channels-first: save x.transpose(0, 2, 3, 1) (NHWC)' : "one input per row, in the model's layout (HWC)",
    );
  }
  const count = npy.shape[0];
  if (count === 0) throw new KitError('npy-empty', 'data', `${inputsFile} holds no inputs`, 'save at least one input');
  if (count * itemBytes(input.shape) !== npy.data.length) throw new KitError('npy-shape', 'data', `${inputsFile} has the wrong size`);
  let labels: Uint8Array = new Uint8Array(count);
  if (labelsFile) {
    labels = npyLabels(labelsFile, readNpy(labelsFile));
    if (labels.length !== count) throw new KitError('npy-shape', 'data', `${labelsFile} has ${labels.length} labels for ${count} inputs`, 'one label per input');
  }
  return { set: { images: new Uint8Array(npy.data), labels, count, shape: [...input.shape] }, labelled: labelsFile !== undefined };
}
