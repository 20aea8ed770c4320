/**
 * The fusion pass kit codegen runs before lowering: every add whose one input is a conv2d read by
 * nothing else, and whose other input is either any tensor (the identity shortcut) or a 1x1
 * unpadded conv2d read by nothing else, becomes one conv2d_add node at the add's place, with the
 * add's output tensor and name. The graph it returns keeps every tensor of the input graph (the
 * fused intermediates are simply no longer written), so the unfused graph stays the reference.
 */
import type { Graph, GraphNode } from '../../ir/graph.js';
import { conv2dAttrs } from '../conv2d.js';
import { addIntParamsSchema } from '../add.js';
import { convDenseIntParams } from '../common/conv-dense.js';
import type { Conv2dAddAttrs, Conv2dAddIntParams } from './index.js';

export interface Fusion {
  /** The conv2d_add node's name (the add's). */
  node: string;
  /** The nodes it replaces, in graph order. */
  fused: string[];
}

export function fuseResidualAdds(graph: Graph): { graph: Graph; fusions: Fusion[] } {
  const producer = new Map<string, number>();
  const readers = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const id of n.outputs) producer.set(id, i);
    for (const id of n.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  });
  const outputs = new Set(graph.outputs);
  const dtype = (id: string) => graph.tensors[id].dtype;
  /** The conv2d producing `id` when it can disappear into the add: its only reader, same type. */
  const soleConv = (id: string, out: string): number | undefined => {
    const i = producer.get(id);
    if (i === undefined || graph.nodes[i].op !== 'conv2d' || readers.get(id) !== 1 || outputs.has(id) || dtype(id) !== dtype(out)) return undefined;
    return i;
  };
  // A 1x1 kernel never pads ('same' at stride s: (ceil(in / s) - 1) s + 1 <= in), so a 1x1 shortcut
  // reads exactly one input pixel per output pixel, which the kernel and in-place.ts rely on.
  const isPointwise = (i: number) => {
    const w = graph.tensors[graph.nodes[i].inputs[1]].shape;
    return w[1] === 1 && w[2] === 1;
  };
  const removed = new Set<number>();
  const replaced = new Map<number, GraphNode>();
  const fusions: Fusion[] = [];
  graph.nodes.forEach((n, i) => {
    if (n.op !== 'add' || n.inputs.length !== 2 || !n.intParams) return;
    const out = n.outputs[0];
    if (dtype(n.inputs[0]) !== dtype(out) || dtype(n.inputs[1]) !== dtype(out)) return;
    // Candidates (main conv side, shortcut side): both convs fused beat one; the main conv is the
    // one that is not 1x1 (the block's 3x3), else the add's second input (Keras' add([s, y])).
    let best: { main: number; conv: number; shortcut: number | undefined } | undefined;
    for (const side of [1, 0]) {
      const conv = soleConv(n.inputs[side], out);
      if (conv === undefined || removed.has(conv)) continue;
      const other = n.inputs[1 - side];
      const sc = soleConv(other, out);
      const shortcut = sc !== undefined && !removed.has(sc) && isPointwise(sc) ? sc : undefined;
      const candidate = { main: side, conv, shortcut };
      const score = (c: typeof candidate) => (c.shortcut !== undefined ? 2 : 0) + (isPointwise(c.conv) ? 0 : 1);
      if (!best || score(candidate) > score(best)) best = candidate;
    }
    if (!best) return;
    const conv = graph.nodes[best.conv];
    const sc = best.shortcut !== undefined ? graph.nodes[best.shortcut] : undefined;
    const q = (id: string) => ({ scale: graph.tensors[id].quant!.scale[0], zeroPoint: graph.tensors[id].quant!.zeroPoint[0] });
    const attrs: Conv2dAddAttrs = {
      conv: conv2dAttrs.parse(conv.attrs),
      shortcut: sc ? conv2dAttrs.parse(sc.attrs) : null,
      activation: (n.attrs as { activation: Conv2dAddAttrs['activation'] }).activation,
      convFirst: best.main === 0,
      fused: [best.conv, ...(best.shortcut !== undefined ? [best.shortcut] : []), i].sort((a, b) => a - b).map((k) => graph.nodes[k].name),
    };
    const intParams: Conv2dAddIntParams = {
      conv: convDenseIntParams.parse(conv.intParams),
      convOutput: q(conv.outputs[0]),
      shortcut: sc ? convDenseIntParams.parse(sc.intParams) : null,
      shortcutOutput: sc ? q(sc.outputs[0]) : null,
      add: addIntParamsSchema.parse(n.intParams),
    };
    removed.add(best.conv);
    if (best.shortcut !== undefined) removed.add(best.shortcut);
    replaced.set(i, {
      name: n.name,
      op: 'conv2d_add',
      inputs: [conv.inputs[0], sc ? sc.inputs[0] : n.inputs[1 - best.main], ...conv.inputs.slice(1), ...(sc ? sc.inputs.slice(1) : [])],
      outputs: [out],
      attrs,
      intParams,
    });
    fusions.push({ node: n.name, fused: attrs.fused });
  });
  if (!fusions.length) return { graph, fusions };
  const nodes = graph.nodes.flatMap((n, i) => (removed.has(i) ? [] : [replaced.get(i) ?? n]));
  return { graph: { ...graph, nodes }, fusions };
}
