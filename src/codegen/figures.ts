/**
 * The figures `kit codegen` prints, as data: the memory plan, the per-layer flash and RAM table and
 * the totals against the board's budget. One object for `kit codegen --json`, for kit-codegen.json
 * and for the HTML report, so the three never disagree with the text table.
 */
import type { Prepared } from './generate.js';
import type { SizeReport } from './sizes.js';

export interface CodegenFigures {
  model: string;
  scheme: string | null;
  board: string;
  modelHash: string;
  memoryPlan: {
    arenaBytes: number;
    /** The in-place bound: the plan's own, fusion and in-place outputs included. */
    lowerBound: number;
    /** The bound of layer-by-layer execution (the unfused graph, every output in its own buffer). */
    layerwiseBound: number;
    /** Outputs written over an input. */
    inPlace: { node: string; input: string; output: string }[];
    /** Residual blocks run as one fused node: its name and the nodes it replaces. */
    fused: { node: string; fused: string[] }[];
    strategy: string;
    alignment: number;
    scratchBytes: number;
    /** Per layer: arena bytes live while it runs, and the scratch its kernel needs. */
    liveBytes: number[];
    scratchPerLayer: number[];
    /** Arena buffers: bytes [offset, offset + size) from layer `first` to layer `last`. */
    buffers: { id: string; offset: number; size: number; bytes: number; first: number; last: number; aliases: string[] }[];
  };
  layers: {
    index: number;
    name: string;
    op: string;
    output: number[];
    macs: number;
    constBytes: number;
    codeBytes: number;
    kernel: string | null;
    sharedBy: number;
    ramBytes: number;
  }[];
  measured: boolean;
  codeSource: string;
  flash: SizeReport['flash'];
  ram: SizeReport['ram'];
  regions: SizeReport['regions'];
  fits: boolean;
  problems: string[];
}

export function codegenFigures(p: Prepared, sizes: SizeReport): CodegenFigures {
  const { plan } = p;
  return {
    model: p.modelName,
    scheme: p.graph.scheme ?? null,
    board: p.board.name,
    modelHash: p.hash,
    memoryPlan: {
      arenaBytes: plan.arenaBytes,
      lowerBound: plan.lowerBound,
      layerwiseBound: plan.layerwiseBound,
      inPlace: plan.inPlace,
      fused: p.fusions,
      strategy: plan.strategy,
      alignment: plan.alignment,
      scratchBytes: plan.scratchTotal,
      liveBytes: plan.liveBytes,
      scratchPerLayer: plan.scratchBytes,
      buffers: plan.buffers.map((b) => ({ id: b.id, offset: b.offset, size: b.size, bytes: b.bytes, first: b.first, last: b.last, aliases: b.aliases })),
    },
    layers: sizes.layers.map((l) => ({
      index: l.index,
      name: l.name,
      op: l.op,
      output: p.graph.tensors[p.layers[l.index].output].shape,
      macs: l.macs,
      constBytes: l.constBytes,
      codeBytes: l.codeBytes,
      kernel: l.kernel ?? null,
      sharedBy: l.sharedBy,
      ramBytes: l.ramBytes,
    })),
    measured: sizes.measured,
    codeSource: sizes.codeSource,
    flash: sizes.flash,
    ram: sizes.ram,
    regions: sizes.regions,
    fits: sizes.fits,
    problems: sizes.problems,
  };
}
