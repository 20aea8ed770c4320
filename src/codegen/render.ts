/** The files of a generated C project, rendered from templates/ with what prepareCodegen decided. */
import { kitVersion } from '../ir/kit-version.js';
import { dtypeBytes, numElements, type Graph } from '../ir/graph.js';
import { boundLines } from './bounds.js';
import { banner, cArrayBody } from './c-format.js';
import type { Prepared } from './generate.js';
import type { LoweredLayer } from './lower/index.js';
import type { MemoryPlan } from './memory-plan.js';
import { arrayBytes, constSection } from './sizes.js';
import { Templates } from './templates.js';

const FILE_ROLES: Record<string, string> = {
  'model.h': 'the model contract (firmware/README.md)',
  'model.c': 'kit_model_invoke, one call per layer into one static arena; the only translation unit (includes weights.inc and the kernels)',
  'weights.inc': 'the constants: weights, biases, requantization, tables (included by model.c)',
  'kit_runtime.h': 'parameter structs, fixed-point arithmetic, SIMD primitives',
  'kit_layers.h': 'kernel prototypes and layer parameters',
};

/** Every file of the project, name -> text. */
export function render(p: Prepared, templates: Templates): Map<string, string> {
  const version = kitVersion();
  const files = new Map<string, string>();
  const head = (file: string, role: string) => banner(file, version, p.hash, `${role} (${p.modelName}, ${p.graph.scheme ?? 'quantized'}, ${p.board.name})`);
  const kernelLayers = p.layers.filter((l) => l.kernel);
  const kernels = [...new Map(kernelLayers.map((l) => [l.kernel!.key, l])).values()];
  const fn = (l: LoweredLayer) => p.kernelNames.get(l.kernel!.key)!;

  const out = p.graph.tensors[p.graph.outputs[0]];
  const input = p.graph.tensors[p.graph.inputs[0]];
  files.set('model.h', templates.render('model.h.hbs', {
    banner: head('model.h', FILE_ROLES['model.h']),
    inputBytes: numElements(input.shape) * dtypeBytes(input.dtype),
    inputShape: input.shape.join('x'),
    inputType: input.quant && !p.graph.nodes.some((n) => n.op === 'normalize_input') ? `${input.dtype} tensor (scale ${input.quant.scale[0]}, zero point ${input.quant.zeroPoint[0]})` : 'raw uint8 pixels',
    outputBytes: numElements(out.shape),
    outputType: out.dtype,
    arenaBytes: p.plan.arenaBytes,
    scratchBytes: p.plan.scratchTotal,
    outputSigned: out.dtype === 'int8' ? 1 : 0,
    layers: p.layers.length,
  }));

  // The conv-like configurations whose runtime helpers (widen, matmul) the kernels call: conv2d and
  // fully connected layers themselves, and the parts a fused kernel lists as its convParts.
  const convCtx = kernels.flatMap((l) => {
    const ctx = l.kernel!.ctx;
    if (Array.isArray(ctx.convParts)) return ctx.convParts as Record<string, unknown>[];
    return l.kernel!.template === 'conv2d' || l.kernel!.template === 'fully_connected' ? [ctx] : [];
  });
  const widen = [...new Set(convCtx.map((c) => c.inSuffix as string))].sort().map((s) => ({
    suffix: s,
    ctype: s === 's8' ? 'int8_t' : 'uint8_t',
    extendAdd: s === 's8' ? 'kit_sxtab16' : 'kit_uxtab16',
  }));
  const specs = new Map(convCtx.map((c) => [c.matmul as string, c.matmulSpec as { weights: string; output: string; fast: boolean; clampLo: boolean; clampHi: boolean; perTensor: boolean }]));
  const matmul = [...specs.keys()].sort().map((suffix) => {
    const spec = specs.get(suffix)!;
    return {
      suffix,
      wType: spec.weights === 'int8' ? 'int8_t' : 'uint8_t',
      outType: spec.output === 'int8' ? 'int8_t' : 'uint8_t',
      wSuffix: spec.weights === 'int8' ? 's8' : 'u8',
      extend: spec.weights === 'int8' ? 'kit_sxtb16' : 'kit_uxtb16',
      fast: spec.fast,
      sat: spec.output === 'int8' ? 'kit_ssat8' : 'kit_usat8',
      clampLo: spec.clampLo,
      clampHi: spec.clampHi,
      requant: spec.fast ? 'fast' : 'general',
      perTensor: spec.perTensor,
    };
  });
  const dot = [...new Set([...specs.values()].map((spec) => spec.weights))].sort().map((w) => ({
    suffix: w === 'int8' ? 's8' : 'u8',
    wType: w === 'int8' ? 'int8_t' : 'uint8_t',
    extend: w === 'int8' ? 'kit_sxtb16' : 'kit_uxtb16',
  }));
  files.set('kit_runtime.h', templates.render('runtime.h.hbs', {
    banner: head('kit_runtime.h', FILE_ROLES['kit_runtime.h']),
    scratchBytes: Math.max(4, p.plan.scratchTotal),
    widen,
    anyScalarWiden: convCtx.some((c) => !c.simdWiden),
    dot,
    matmul,
  }));

  files.set('kit_layers.h', templates.render('layers.h.hbs', {
    banner: head('kit_layers.h', FILE_ROLES['kit_layers.h']),
    // Parameter structs of ops that declare their own (the older ops' live in kit_runtime.h).
    typedefs: [...new Set(p.layers.map((l) => l.params?.decl).filter((d): d is string => !!d))],
    kernels: kernels.map((l) => ({ fn: fn(l), signature: l.kernel!.signature })),
    params: p.layers.filter((l) => l.params).map((l) => ({ type: l.params!.type, name: l.params!.name })),
  }));

  const region = p.board.memory.regions.find((r) => r.section);
  const section = region ? constSection(region.section!) : '';
  files.set('weights.inc', templates.render('weights.c.hbs', {
    banner: head('weights.inc', FILE_ROLES['weights.inc']),
    totalBytes: p.layers.reduce((s, l) => s + l.arrays.reduce((t, a) => t + arrayBytes(a), 0), 0),
    psramBytes: p.layers.reduce((s, l) => s + l.arrays.reduce((t, a) => t + (a.section ? arrayBytes(a) : 0), 0), 0),
    psramSection: section,
    layers: p.layers
      .filter((l) => l.arrays.length || l.params)
      .map((l) => ({
        index: l.index,
        name: l.node.name,
        summary: l.summary,
        arrays: l.arrays.map((a) => ({
          name: a.name,
          ctype: a.ctype,
          length: a.data.length,
          align: a.align,
          section: a.section ?? '',
          comment: a.comment,
          body: cArrayBody(a.data, a.ctype === 'int32_t' ? 8 : 16),
        })),
        params: l.params ?? false,
      })),
  }));

  const byTemplate = new Map<string, LoweredLayer[]>();
  for (const l of kernels) byTemplate.set(l.kernel!.template, [...(byTemplate.get(l.kernel!.template) ?? []), l]);
  for (const [template, ls] of byTemplate) {
    const name = `kernel_${template}.inc`;
    files.set(name, templates.render(Templates.kernelFile(template), {
      banner: head(name, `${template} kernels (included by model.c)`),
      kernels: ls.map((l) => {
        const users = p.layers.filter((u) => u.kernel?.key === l.kernel!.key).map((u) => u.node.name);
        return { ...l.kernel!.ctx, fn: fn(l), signature: l.kernel!.signature, comment: `${l.kernel!.describe}; used by ${users.join(', ')}` };
      }),
    }));
  }

  files.set('model.c', templates.render('model.c.hbs', {
    banner: head('model.c', FILE_ROLES['model.c']),
    hash: p.hash,
    arenaBytes: p.plan.arenaBytes,
    bounds: boundLines(p),
    kernelFiles: [...byTemplate.keys()].map((t) => `kernel_${t}.inc`),
    scratchBytes: p.plan.scratchTotal,
    buffers: planLines(p.plan),
    arenaSection: p.placement.arenaSection ?? '',
    layers: p.layers.map((l) => ({
      index: l.index,
      name: l.node.name,
      summary: l.summary,
      notes: [...l.notes, placementNote(p, l)],
      call: l.kernel ? callOf(p, l, fn(l)) : '',
      outOffset: p.plan.offsets.get(l.output)!,
      outBytes: tensorBytes(p.graph, l.output),
    })),
    outputOffset: p.plan.offsets.get(p.graph.outputs[0])!,
    inputOffset: p.plan.offsets.get(p.graph.inputs[0]) ?? -1,
    copyInput: p.plan.offsets.has(p.graph.inputs[0]),
  }));
  return files;
}

function tensorBytes(graph: Graph, id: string): number {
  const t = graph.tensors[id];
  return numElements(t.shape) * dtypeBytes(t.dtype);
}

function ctype(graph: Graph, id: string): string {
  return graph.tensors[id].dtype === 'int8' ? 'int8_t' : 'uint8_t';
}

/** The C call of a layer: its kernel, its parameters, its tensors at their arena offsets. */
function callOf(p: Prepared, l: LoweredLayer, fn: string): string {
  const args: string[] = [];
  if (l.params) args.push(`&${l.params.name}`);
  for (const id of l.inputs) {
    args.push(!p.plan.offsets.has(id) ? 'pixels' : `(const ${ctype(p.graph, id)} *)(arena + ${p.plan.offsets.get(id)})`);
  }
  args.push(`(${ctype(p.graph, l.output)} *)(arena + ${p.plan.offsets.get(l.output)})`);
  return `${fn}(${args.join(', ')});`;
}

function placementNote(p: Prepared, l: LoweredLayer): string {
  const range = (id: string) => {
    const off = p.plan.offsets.get(id)!;
    return `[${off}, ${off + tensorBytes(p.graph, id)})`;
  };
  const ins = l.inputs.map((id) => (!p.plan.offsets.has(id) ? 'pixels' : `${id} ${range(id)}`));
  const over = p.plan.inPlace.find((w) => w.output === l.output);
  return `arena: ${ins.join(' + ')} -> ${l.output} ${range(l.output)}${over ? ` (in place, over ${over.input})` : ''}${l.scratchBytes ? `; scratch ${l.scratchBytes} B` : ''}`;
}

/** The plan as comment lines: offset range, tensor, size, lifetime. */
function planLines(plan: MemoryPlan): string[] {
  const width = Math.max(...plan.buffers.map((b) => [b.id, ...b.aliases].join(' = ').length));
  return plan.buffers.map((b) => {
    const range = `[${String(b.offset).padStart(7)}, ${String(b.offset + b.size).padStart(7)})`;
    return `${range} ${[b.id, ...b.aliases].join(' = ').padEnd(width)} ${String(b.bytes).padStart(7)} B  layers ${b.first}..${b.last}`;
  });
}
