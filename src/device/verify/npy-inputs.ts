import type { LabelledImages } from '../../data/types.js';
import { npyLabels, readNpy } from '../../data/npy.js';
import { KitError } from '../../errors.js';
import { numElements, type Graph } from '../../ir/graph.js';

/**
 * Raw input tensors for kit verify: a .npy of N inputs in the model's dtype (int8 '|i1' or uint8
 * '|u1') and layout (HWC, with or without TFLite's batch dimension of 1 per input), and optionally
 * a .npy of N integer labels.
 */
export function npyInputs(graph: Graph, inputsFile: string, labelsFile?: string): { set: LabelledImages; labelled: boolean } {
  const t = graph.tensors[graph.inputs[0]];
  const npy = readNpy(inputsFile);
  const want = t.dtype === 'int8' ? 'i1' : 'u1';
  if (npy.descr.slice(1) !== want) {
    throw new KitError('npy-dtype', 'data', `${inputsFile} holds ${npy.descr}, the model's input is ${t.dtype}`, `save the inputs as numpy.${t.dtype}`);
  }
  const rest = npy.shape.slice(1);
  const per = rest.length === t.shape.length + 1 && rest[0] === 1 ? rest.slice(1) : rest;
  if (per.join() !== t.shape.join()) {
    throw new KitError('npy-shape', 'data', `${inputsFile} has shape (${npy.shape.join(', ')}); the model takes N inputs of [${t.shape.join(', ')}]`, 'one input per row, in the model\'s layout (HWC)');
  }
  const count = npy.shape[0];
  if (count * numElements(t.shape) !== npy.data.length) throw new KitError('npy-shape', 'data', `${inputsFile} has the wrong size`);
  let labels: Uint8Array = new Uint8Array(count);
  if (labelsFile) {
    labels = npyLabels(labelsFile, readNpy(labelsFile));
    if (labels.length !== count) throw new KitError('npy-shape', 'data', `${labelsFile} has ${labels.length} labels for ${count} inputs`);
  }
  return { set: { images: new Uint8Array(npy.data), labels, count }, labelled: labelsFile !== undefined };
}
