/**
 * What lowering makes of one graph node: the constant arrays it needs in weights.inc, its parameter
 * struct, the kernel configuration to render from its op's template, and notes for the comments.
 * Everything numeric comes from the quantized graph; lowering only lays it out.
 */
import type { DType, Graph, GraphNode, TensorSpec } from '../../ir/graph.js';
import type { NodeView, OpDef } from '../../ops/op.js';

export type CType = 'int8_t' | 'uint8_t' | 'int16_t' | 'int32_t';

export interface CArray {
  name: string;
  ctype: CType;
  data: ArrayLike<number>;
  comment: string;
  kind: 'weights' | 'bias' | 'requant' | 'table';
  /** Byte alignment (all arrays are read a word at a time). */
  align: number;
  /** Linker section when placed outside the default flash region (e.g. ".psram"). */
  section?: string;
}

export interface KernelSpec {
  /** The op's template (templates/kernels/<template>.c.hbs). */
  template: string;
  /** Kernels with equal keys are one C function shared by their layers. */
  key: string;
  /** Descriptive function name; made unique if two configurations would collide. */
  baseName: string;
  /** The C parameter list (the prototype in kit_layers.h and the definition use the same string). */
  signature: string;
  /** Values the template loops with. */
  ctx: Record<string, unknown>;
  /** One line for the comment above the function. */
  describe: string;
}

export interface ParamsStruct {
  type: string;
  /** The C typedef of `type`, for ops that declare their struct themselves (kit_layers.h holds it). */
  decl?: string;
  name: string;
  fields: { name: string; value: string }[];
  /** Bytes of the struct when not one word per field (nested structs); default 4 per field. */
  bytes?: number;
}

/** What an op's lowering returns: the layer's C, before lowerGraph adds the op's cost. */
export interface LayerLowering {
  index: number;
  node: GraphNode;
  /** C identifier stem of the layer (kit_<node name>). */
  id: string;
  /** Absent when no code runs (a flatten stored in its input's bytes). */
  kernel?: KernelSpec;
  params?: ParamsStruct;
  arrays: CArray[];
  /** Activation inputs in argument order; the graph input is the caller's `pixels`. */
  inputs: string[];
  output: string;
  /** Bytes of the shared scratch buffer the kernel uses. */
  scratchBytes: number;
  /** One line: what the layer computes. */
  summary: string;
  /** Lines for the comment at the call: sizes, MACs, the overflow invariant. */
  notes: string[];
}

export interface LoweredLayer extends LayerLowering {
  /** The op's MACs (src/ops/cost.ts, nodeCost): one source for the codegen table, kit-codegen.json and the profile. */
  macs: number;
}

export interface LowerContext<A = any, P = any> extends NodeView<A> {
  graph: Graph;
  index: number;
  op: OpDef<A, P>;
  intParams: P;
  id: string;
  /** false: flatten copies instead of aliasing its input (tests). */
  aliasReshape: boolean;
}

export type Lowering = (ctx: LowerContext) => LayerLowering;

/** C element type of a tensor dtype. */
export function ctypeOf(dtype: DType): CType {
  switch (dtype) {
    case 'int8': return 'int8_t';
    case 'uint8': return 'uint8_t';
    case 'int32': return 'int32_t';
    default: throw new Error(`no C type for ${dtype} in an integer graph`);
  }
}

/** "s8" / "u8": the suffix of the helpers specialised per 8-bit type. */
export function suffixOf(dtype: DType): 's8' | 'u8' {
  return dtype === 'int8' ? 's8' : 'u8';
}
