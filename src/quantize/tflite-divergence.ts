/**
 * Where desktop TFLite and the board part, and why. Desktop TFLite runs int8 convolutions, depthwise
 * convolutions and fully connected layers through XNNPACK, which requantizes as float32(scale) x
 * float32(accumulator) rounded half to even; the board (TFLite Micro, CMSIS-NN, kit's C) uses
 * fixed-point multipliers. kit's reference runs both ways on the same inputs, layer by layer, and
 * reports for each input the first layer whose output differs: before it the two agree byte for
 * byte; at it, the only difference is the rounding of the requantization; after it, the difference
 * propagates.
 */
import type { Graph } from '../ir/graph.js';
import { Interpreter } from '../ir/interpreter.js';

export interface Divergence {
  inputs: number;
  /** Inputs whose outputs are byte-identical under both requantizations. */
  identical: number;
  /** Inputs on which some layer's output differs (the final output may still agree). */
  partedInside: number;
  /** Inputs whose top-1 class differs. */
  classChanged: number;
  /** Output bytes that differ, and the largest difference in steps. */
  differingBytes: number;
  outputBytes: number;
  maxStep: number;
  /** Per node: on how many inputs it is the first layer to differ. */
  firstDiffering: { node: string; op: string; inputs: number }[];
}

const argmax = (v: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
};

/** Compare the device requantization with XNNPACK's on `count` inputs (raw input bytes, back to back). */
export function tfliteDivergence(graph: Graph, inputs: Uint8Array, count: number): Divergence {
  const device = new Interpreter(graph);
  const xnnpack = new Interpreter(graph, { requantization: 'xnnpack' });
  const n = device.inputLength;
  const first = new Map<string, number>();
  const d: Divergence = { inputs: count, identical: 0, partedInside: 0, classChanged: 0, differingBytes: 0, outputBytes: 0, maxStep: 0, firstDiffering: [] };
  for (let i = 0; i < count; i++) {
    const x = inputs.subarray(i * n, (i + 1) * n);
    device.run(x);
    xnnpack.run(x);
    let firstNode: string | undefined;
    for (const node of graph.nodes) {
      const a = device.value(node.outputs[0]);
      const b = xnnpack.value(node.outputs[0]);
      if (a.some((v, k) => v !== b[k])) {
        firstNode = node.name;
        break;
      }
    }
    const a = device.value(device.output);
    const b = xnnpack.value(xnnpack.output);
    d.outputBytes += a.length;
    let same = true;
    for (let k = 0; k < a.length; k++) {
      if (a[k] === b[k]) continue;
      same = false;
      d.differingBytes++;
      d.maxStep = Math.max(d.maxStep, Math.abs(a[k] - b[k]));
    }
    if (same) d.identical++;
    if (firstNode) {
      d.partedInside++;
      first.set(firstNode, (first.get(firstNode) ?? 0) + 1);
    }
    if (argmax(a) !== argmax(b)) d.classChanged++;
  }
  d.firstDiffering = graph.nodes.filter((nd) => first.has(nd.name)).map((nd) => ({ node: nd.name, op: nd.op, inputs: first.get(nd.name)! }));
  return d;
}

/** One line for reports. */
export function renderDivergence(d: Divergence): string {
  if (d.partedInside === 0) return `desktop TFLite (XNNPACK) would give the same bytes as the board, in every layer, on all ${d.inputs} inputs`;
  const top = [...d.firstDiffering].sort((x, y) => y.inputs - x.inputs)[0];
  return (
    `desktop TFLite (XNNPACK) would give other output bytes than the board on ${d.inputs - d.identical} of ${d.inputs} inputs ` +
    `(${d.differingBytes} of ${d.outputBytes} bytes, by up to ${d.maxStep}; top-1 changes on ${d.classChanged}; some layer differs on ${d.partedInside}): ` +
    `XNNPACK requantizes in float32 with ties to even where the board uses fixed-point multipliers; ` +
    `most often first at ${top.op} '${top.node}' (${top.inputs} inputs)`
  );
}
