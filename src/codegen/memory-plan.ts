/**
 * Static memory plan: every activation tensor of a quantized graph gets an offset in ONE arena, so
 * the generated C needs no allocator. Tensors whose lifetimes (producing node .. last reading node)
 * overlap must not overlap in memory; tensors that are never live at the same time share bytes.
 *
 * Two bounds. The layer-wise bound: at each node, every tensor it reads or writes and every tensor
 * still waiting for a later reader is live, so layer-by-layer execution with separate outputs can
 * use no less than the largest sum of live bytes over the nodes. For ResNet-8 that is three 16 KiB
 * tensors in the first stage (the block input kept for the residual add, the first conv's output
 * and the second conv's output): 48 KiB. Going below it takes fusion (codegen's pass makes a block's
 * second conv, shortcut and add one node, so the second conv's output is never stored) and in-place
 * execution: an op may declare inputs its output can overwrite (OpDef.inPlaceInputs: element-wise
 * ops, and the fused block over its input where conv2d-add/in-place.ts proves it), and the planner
 * stores the output there when that input has no later reader. The in-place bound is the same sum
 * over this plan's buffers, an in-place output sharing its input's buffer: for ResNet-8, 32 KiB.
 */
import { nodeInputs, viewNode } from '../ops/op.js';
import { aliasingOps, getOp } from '../ops/registry.js';
import { KitError } from '../errors.js';
import { dtypeBytes, numElements, type Graph } from '../ir/graph.js';

/** One buffer to place: `size` bytes live from node `first` to node `last` (inclusive). */
export interface Interval {
  id: string;
  size: number;
  first: number;
  last: number;
}

export interface Placement {
  offsets: Map<string, number>;
  /** Bytes the arena needs: the highest end offset. */
  peak: number;
  /** Which ordering produced it (several are tried, the smallest peak wins). */
  strategy: string;
}

export interface PlannedTensor extends Interval {
  offset: number;
  /** Bytes of the tensor itself (size is rounded up to the alignment). */
  bytes: number;
  /** Tensors stored in the same bytes (a flatten's output aliases its input; an in-place output). */
  aliases: string[];
}

/** An output written over one of its node's inputs. */
export interface InPlaceWrite {
  node: string;
  input: string;
  output: string;
}

export interface MemoryPlan {
  /** Bytes of the one static arena. */
  arenaBytes: number;
  /** max over nodes of the bytes live at that node, with this plan's fusion and in-place writes. */
  lowerBound: number;
  /**
   * The bound of layer-by-layer execution: the unfused graph (PlanOptions.unfused), every output in
   * its own buffer. What no plan without fusion and in-place execution can beat.
   */
  layerwiseBound: number;
  /** Outputs stored over an input (in node order). */
  inPlace: InPlaceWrite[];
  /** Arena buffers (alias groups are one buffer), in order of first use. */
  buffers: PlannedTensor[];
  /** Arena offset of every activation tensor, aliases included (not the graph input: the caller's pixels). */
  offsets: Map<string, number>;
  /** Per node: arena bytes live while it runs. */
  liveBytes: number[];
  /** Per node: scratch bytes its kernel needs (one shared static buffer, sized for the largest). */
  scratchBytes: number[];
  /** Size of the shared scratch buffer. */
  scratchTotal: number;
  alignment: number;
  strategy: string;
}

export const ARENA_ALIGNMENT = 4;

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

const overlaps = (a: Interval, b: Interval) => a.first <= b.last && b.first <= a.last;

/** The lower bound of any placement of these intervals: the largest sum of sizes live at one time. */
export function lowerBound(intervals: Interval[]): { bound: number; perStep: number[] } {
  const steps = intervals.reduce((m, b) => Math.max(m, b.last + 1), 0);
  const perStep = new Array<number>(steps).fill(0);
  for (const b of intervals) for (let s = Math.max(0, b.first); s <= b.last; s++) perStep[s] += b.size;
  return { bound: perStep.reduce((m, v) => Math.max(m, v), 0), perStep };
}

/**
 * Place one buffer among those already placed: best fit, i.e. the smallest gap between buffers live
 * at the same time that holds it (leaving big gaps for big buffers), else on top of them.
 */
function bestFit(b: Interval, placed: { iv: Interval; offset: number }[], alignment: number): number {
  const busy = placed
    .filter((p) => overlaps(p.iv, b))
    .map((p) => ({ start: p.offset, end: p.offset + p.iv.size }))
    .sort((x, y) => x.start - y.start || x.end - y.end);
  let best = -1;
  let bestGap = Infinity;
  let cursor = 0;
  for (const r of busy) {
    const start = alignUp(cursor, alignment);
    const gap = r.start - start;
    if (gap >= b.size && gap < bestGap) {
      best = start;
      bestGap = gap;
    }
    cursor = Math.max(cursor, r.end);
  }
  return best >= 0 ? best : alignUp(cursor, alignment);
}

type Order = (a: Interval, b: Interval) => number;

/** Orderings tried with best fit; greedy by size is TFLite's choice, the others win on some graphs. */
const STRATEGIES: [string, Order][] = [
  ['size', (a, b) => b.size - a.size || a.first - b.first || a.id.localeCompare(b.id)],
  ['first-use', (a, b) => a.first - b.first || b.size - a.size || a.id.localeCompare(b.id)],
  ['lifetime x size', (a, b) => b.size * (b.last - b.first + 1) - a.size * (a.last - a.first + 1) || a.first - b.first || a.id.localeCompare(b.id)],
];

function greedy(intervals: Interval[], order: Order, alignment: number): { offsets: Map<string, number>; peak: number } {
  const placed: { iv: Interval; offset: number }[] = [];
  let peak = 0;
  for (const iv of [...intervals].sort(order)) {
    const offset = bestFit(iv, placed, alignment);
    placed.push({ iv, offset });
    peak = Math.max(peak, offset + iv.size);
  }
  return { offsets: new Map(placed.map((p) => [p.iv.id, p.offset])), peak };
}

/**
 * Two-ended placement into an arena of `target` bytes, in order of first use: each buffer goes to
 * the bottom if free there, else against the top, else best fit. Consecutive layers then alternate
 * between the ends, which is optimal on chains (every neighbouring pair fits because their sum is
 * at most the bound), where size-ordered greedy can leave a gap that no later buffer fits.
 */
function twoEnded(intervals: Interval[], target: number, alignment: number): { offsets: Map<string, number>; peak: number } {
  const placed: { iv: Interval; offset: number }[] = [];
  let peak = 0;
  for (const iv of [...intervals].sort(STRATEGIES[1][1])) {
    const busy = placed.filter((p) => overlaps(p.iv, iv));
    const free = (offset: number) => offset >= 0 && busy.every((p) => offset + iv.size <= p.offset || p.offset + p.iv.size <= offset);
    const top = Math.floor((target - iv.size) / alignment) * alignment;
    const offset = free(0) ? 0 : free(top) ? top : bestFit(iv, placed, alignment);
    placed.push({ iv, offset });
    peak = Math.max(peak, offset + iv.size);
  }
  return { offsets: new Map(placed.map((p) => [p.iv.id, p.offset])), peak };
}

/** Offsets for intervals: every strategy is tried and the smallest peak wins (ties: the first). */
export function placeIntervals(intervals: Interval[], alignment = ARENA_ALIGNMENT): Placement {
  const bound = lowerBound(intervals).bound;
  let best: Placement | undefined;
  const candidates: [string, () => { offsets: Map<string, number>; peak: number }][] = [
    ...STRATEGIES.map(([name, order]) => [`best fit by ${name}`, () => greedy(intervals, order, alignment)] as [string, () => { offsets: Map<string, number>; peak: number }]),
    ['two-ended', () => twoEnded(intervals, bound, alignment)],
  ];
  for (const [strategy, place] of candidates) {
    const p = place();
    if (!best || p.peak < best.peak) best = { ...p, strategy };
    if (best.peak === bound) break; // optimal: no need to try more
  }
  return best ?? { offsets: new Map(), peak: 0, strategy: 'empty' };
}

export interface PlanOptions {
  /** Ops whose output shares its input's bytes (default: the ops marked aliasesInput: flatten, reshape). */
  aliasOps?: Set<string>;
  /** Scratch bytes each node's kernel needs (default none). */
  scratch?: (nodeIndex: number) => number;
  alignment?: number;
  /**
   * Plan the graph input as an arena buffer too (the model copies it in first): for models whose
   * first layers read the input tensor itself rather than through the pixel lookup table, so that
   * kernels read it aligned, never from the caller's receive buffer.
   */
  planInput?: boolean;
  /** Store outputs over inputs where the op allows it and the input dies there (default true). */
  inPlace?: boolean;
  /** The graph before codegen's fusion pass, for the layer-wise bound (default: this graph). */
  unfused?: Graph;
}

/** True when a node other than normalize_input reads the graph input (imported models). */
export function inputInArena(graph: Graph): boolean {
  return graph.nodes.some((n) => n.op !== 'normalize_input' && n.inputs.some((id) => graph.inputs.includes(id)));
}

interface Group extends Interval {
  bytes: number;
  aliases: string[];
}

/**
 * Buffers of a graph: lifetimes from the node order, alias groups merged (views, and in-place
 * outputs when allowed). The graph input (raw pixels) is the caller's buffer and is not planned.
 */
function buffersOf(graph: Graph, options: PlanOptions): { groups: Group[]; rootOf: (id: string) => string; inPlace: InPlaceWrite[] } {
  const alignment = options.alignment ?? ARENA_ALIGNMENT;
  const aliasOps = options.aliasOps ?? aliasingOps();
  const external = new Set(options.planInput ? [] : graph.inputs);
  const lastNode = graph.nodes.length - 1;
  // The last node reading each tensor (graph outputs: read after the last node).
  const lastRead = new Map<string, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((id) => lastRead.set(id, i)));
  for (const id of graph.outputs) lastRead.set(id, lastNode + 1);
  // Alias groups: a tensor stored in its root's bytes.
  const root = new Map<string, string>();
  const rootOf = (id: string): string => {
    let r = id;
    while (root.has(r)) r = root.get(r)!;
    return r;
  };
  const groups = new Map<string, Group>();
  const bytesOf = (id: string) => numElements(graph.tensors[id].shape) * dtypeBytes(graph.tensors[id].dtype);
  if (options.planInput) {
    for (const id of graph.inputs) groups.set(id, { id, bytes: bytesOf(id), size: alignUp(bytesOf(id), alignment), first: 0, last: 0, aliases: [] });
  }
  const join = (out: string, src: string) => {
    const g = groups.get(rootOf(src))!;
    root.set(out, g.id);
    g.aliases.push(out);
    g.bytes = Math.max(g.bytes, bytesOf(out));
    g.size = Math.max(g.size, alignUp(bytesOf(out), alignment));
  };
  /** No node after `i` reads any tensor of `src`'s group. */
  const diesAt = (src: string, i: number) => {
    const g = groups.get(rootOf(src))!;
    return [g.id, ...g.aliases].every((id) => (lastRead.get(id) ?? -1) <= i);
  };
  const inPlace: InPlaceWrite[] = [];
  graph.nodes.forEach((node, i) => {
    const out = node.outputs[0];
    const src = node.inputs[0];
    if (aliasOps.has(node.op) && src !== undefined && !external.has(src)) {
      join(out, src);
    } else {
      const target = options.inPlace === false ? undefined : inPlaceTarget(graph, node, i, (id) => !external.has(id) && groups.has(rootOf(id)) && diesAt(id, i), rootOf);
      if (target !== undefined) {
        join(out, target);
        inPlace.push({ node: node.name, input: target, output: out });
      } else {
        groups.set(out, { id: out, bytes: bytesOf(out), size: alignUp(bytesOf(out), alignment), first: i, last: i, aliases: [] });
      }
    }
    for (const id of node.inputs) {
      const g = groups.get(rootOf(id));
      if (g) g.last = Math.max(g.last, i);
    }
  });
  for (const id of graph.outputs) {
    const g = groups.get(rootOf(id));
    if (!g) throw new KitError('graph-unsupported', 'codegen', `the graph output '${id}' is the graph input`, 'a model must compute something');
    g.last = lastNode; // copied to the caller's logits after the last node
  }
  return { groups: [...groups.values()], rootOf, inPlace };
}

/**
 * The input a node's output may be stored over: the first the op allows (OpDef.inPlaceInputs, for
 * these shapes) that dies at this node and shares no bytes with the node's other inputs.
 */
function inPlaceTarget(graph: Graph, node: Graph['nodes'][number], i: number, dies: (id: string) => boolean, rootOf: (id: string) => string): string | undefined {
  const op = getOp(node.op);
  if (!op.inPlaceInputs) return undefined;
  const { acts } = nodeInputs(op, node.inputs);
  for (const k of op.inPlaceInputs(viewNode(graph, op, node))) {
    const id = acts[k];
    if (id !== undefined && dies(id) && acts.every((other, j) => j === k || rootOf(other) !== rootOf(id))) return id;
  }
  return undefined;
}

/** The layer-wise bound of a graph: no in-place writes (views still share their input's bytes). */
export function layerwiseBound(graph: Graph, options: PlanOptions = {}): number {
  return lowerBound(buffersOf(graph, { ...options, inPlace: false }).groups).bound;
}

/** The memory plan of a graph: buffers (buffersOf), offsets by placeIntervals, both bounds. */
export function planMemory(graph: Graph, options: PlanOptions = {}): MemoryPlan {
  const alignment = options.alignment ?? ARENA_ALIGNMENT;
  const { groups: intervals, inPlace } = buffersOf(graph, options);
  const placement = placeIntervals(intervals, alignment);
  const { bound, perStep } = lowerBound(intervals);
  const offsets = new Map<string, number>();
  const buffers: PlannedTensor[] = intervals
    .map((g) => ({ ...g, offset: placement.offsets.get(g.id)! }))
    .sort((a, b) => a.first - b.first);
  for (const b of buffers) {
    offsets.set(b.id, b.offset);
    for (const a of b.aliases) offsets.set(a, b.offset);
  }
  const scratchBytes = graph.nodes.map((_, i) => alignUp(options.scratch?.(i) ?? 0, alignment));
  const liveBytes = graph.nodes.map((_, i) => perStep[i] ?? 0);
  checkPlan(buffers);
  return {
    arenaBytes: placement.peak,
    lowerBound: bound,
    layerwiseBound: layerwiseBound(options.unfused ?? graph, { ...options, scratch: undefined }),
    inPlace,
    buffers,
    offsets,
    liveBytes,
    scratchBytes,
    scratchTotal: scratchBytes.reduce((m, v) => Math.max(m, v), 0),
    alignment,
    strategy: placement.strategy,
  };
}

/** The plan's invariant, re-checked on every plan: buffers live at the same time never share a byte. */
export function checkPlan(buffers: (Interval & { offset: number })[]): void {
  for (let i = 0; i < buffers.length; i++) {
    for (let j = i + 1; j < buffers.length; j++) {
      const a = buffers[i];
      const b = buffers[j];
      if (overlaps(a, b) && a.offset < b.offset + b.size && b.offset < a.offset + a.size) {
        throw new Error(`memory plan: '${a.id}' and '${b.id}' are live together but overlap`);
      }
    }
  }
}
