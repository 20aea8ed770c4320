/**
 * generateC: a quantized graph to a self-contained C project for a board. Everything is decided
 * before a file is written (lowering, memory plan, sizes against the board's budget), so a model
 * that cannot fit is refused with its numbers and nothing on disk changes; the folder is then
 * written under a temporary name and swapped in whole.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KitError } from '../errors.js';
import { type Board, loadBoard } from '../device/boards.js';
import { dtypeBytes, GRAPH_VERSION, numElements, type Graph } from '../ir/graph.js';
import { kitVersion } from '../ir/kit-version.js';
import { validateGraph } from '../ir/validate.js';
import { fuseResidualAdds, type Fusion } from '../ops/conv2d-add/fuse.js';
import { aliasingOps, getOp } from '../ops/registry.js';
import { loadQuantized } from '../quantize/artefact.js';
import { modelSubdir, type ProjectFormat, renderFormat } from './formats.js';
import { lowerGraph, type LoweredLayer } from './lower/index.js';
import { inputInArena, type MemoryPlan, planMemory } from './memory-plan.js';
import { modelHash } from './model-hash.js';
import { render } from './render.js';
import type { HarnessSizes } from './harness-size.js';
import { type CodeSizes, codeSizes, computeSizes, type Placement, type SizeReport, boardsThatFit, tooLarge } from './sizes.js';
import { Templates } from './templates.js';
import { relocate, replaceFolder } from '../util/atomic-folder.js';
import { fsSeam } from '../util/fs-seam.js';

export interface GenerateOptions {
  /** A folder written by kit quantize (graph.json + graph.bin)... */
  quantizedDir?: string;
  /** ...or a quantized graph in memory. */
  graph?: Graph;
  /** A board name (boards/<name>.json), a path to a board JSON, or a loaded board. */
  board: string | Board;
  outDir: string;
  /** For banners and messages; default: the artefact's model name, else "model". */
  modelName?: string;
  /** Default: kit's templates/. */
  templatesDir?: string;
  /** false: flatten copies its input instead of sharing its bytes (tests both). */
  aliasReshape?: boolean;
  /** Code sizes to budget with (codegen passes measured ones); default: estimates. */
  code?: CodeSizes;
  /** The harness's measured sizes (codegen passes them); default: the allowances. */
  harness?: HarnessSizes;
  /** Project layout around the C (formats.ts); default 'c', the flat folder kit flash builds. */
  format?: ProjectFormat;
  /** false: no fusion pass and no in-place outputs, the layer-by-layer plan (default true). */
  fuse?: boolean;
}

export interface Prepared {
  /** The graph the C computes: the quantized graph after the fusion pass. */
  graph: Graph;
  /** The quantized graph as given (the model hash and the reference are computed from it). */
  source: Graph;
  /** The residual blocks the fusion pass made one node. */
  fusions: Fusion[];
  board: Board;
  modelName: string;
  hash: string;
  layers: LoweredLayer[];
  /** Kernel key -> C function name. */
  kernelNames: Map<string, string>;
  plan: MemoryPlan;
  sizes: SizeReport;
  placement: Placement;
}

export interface Generated extends Prepared {
  /** The folder holding the model's C (the project folder, or its src/ for Arduino and PlatformIO). */
  outDir: string;
  /** The output folder as given, absolute. */
  projectDir: string;
  format: ProjectFormat;
  /** Absolute paths of the files written. */
  files: string[];
}

/** Files codegen owns in an output folder: older ones a new model does not write again are dropped (older kits wrote weights.c and kernel_*.c). */
const OWNED = /^(model\.[ch]|weights\.(c|inc)|kit_runtime\.h|kit_layers\.h|kernel_[a-z0-9_]+\.(c|inc)|kit-codegen\.json)$/;

/**
 * Whether an entry of an existing output folder is codegen's own (and goes when the folder is
 * replaced): a generated file by its name and banner. Anything else there (kit flash's build/,
 * kit verify's reports, a user's files) is kept.
 */
export function ownedByCodegen(name: string, path: string): boolean {
  if (!OWNED.test(name)) return false;
  try {
    return name.endsWith('.json') || readFileSync(path, 'utf8').includes('(kit codegen)');
  } catch {
    return false;
  }
}

/** Everything generateC decides before writing: a model that cannot fit is refused here. */
export async function prepareGenerate(options: GenerateOptions): Promise<{ prepared: Prepared; templates: Templates; format: ProjectFormat }> {
  const { graph, modelName } = await resolveGraph(options);
  const board = resolveBoard(options.board);
  const templates = new Templates(options.templatesDir);
  const prepared = prepareCodegen(graph, board, { ...options, modelName, templates });
  return { prepared, templates, format: options.format ?? 'c' };
}

export async function generateC(options: GenerateOptions): Promise<Generated> {
  const { prepared, templates, format } = await prepareGenerate(options);
  const projectDir = resolve(options.outDir);
  // The whole folder is replaced at once (src/util/atomic-folder.ts): a failure leaves the old project.
  return replaceFolder(projectDir, { stage: 'codegen', owns: ownedByCodegen }, (tmp) => {
    const gen = writeProject(prepared, templates, tmp, format);
    return { ...gen, outDir: relocate(gen.outDir, tmp, projectDir), projectDir, files: gen.files.map((f) => relocate(f, tmp, projectDir)) };
  });
}

/** Renders and writes a prepared model's project into `projectDir` (a fresh folder). */
export function writeProject(prepared: Prepared, templates: Templates, projectDir: string, format: ProjectFormat): Generated {
  const outDir = join(projectDir, modelSubdir(format));
  const rendered = render(prepared, templates);
  const extra = renderFormat(format, prepared, templates, [...rendered.keys()]);
  fsSeam.mkdir(outDir);
  const files: string[] = [];
  for (const [name, text] of rendered) {
    const path = join(outDir, name);
    fsSeam.writeFile(path, text);
    files.push(path);
  }
  for (const [name, text] of extra) {
    const path = join(projectDir, name);
    fsSeam.mkdir(dirname(path));
    fsSeam.writeFile(path, text);
    files.push(path);
  }
  return { ...prepared, outDir, projectDir, format, files };
}

async function resolveGraph(options: GenerateOptions): Promise<{ graph: Graph; modelName: string }> {
  if (options.graph) return { graph: options.graph, modelName: options.modelName ?? 'model' };
  if (!options.quantizedDir) throw new KitError('usage', 'codegen', 'generateC needs a quantized folder or a graph');
  const { graph, meta } = await loadQuantized(options.quantizedDir);
  return { graph, modelName: options.modelName ?? meta.model ?? 'model' };
}

/** A board by name or path, with unknown boards reported as a codegen problem. */
export function resolveBoard(board: string | Board): Board {
  if (typeof board !== 'string') return board;
  try {
    return loadBoard(board);
  } catch (e) {
    if (e instanceof KitError) throw new KitError(e.code, 'codegen', e.message, e.hint);
    throw e;
  }
}

/** Checks, lowering, memory plan and sizes, without touching the disk. Throws when the model cannot fit. */
export function prepareCodegen(
  source: Graph,
  board: Board,
  options: { modelName?: string; templates?: Templates; aliasReshape?: boolean; code?: CodeSizes; harness?: HarnessSizes; fuse?: boolean } = {},
): Prepared {
  checkGraph(source);
  const fuse = options.fuse !== false;
  const { graph, fusions } = fuse ? fuseResidualAdds(source) : { graph: source, fusions: [] };
  const templates = options.templates ?? new Templates();
  for (const node of graph.nodes) {
    const file = Templates.kernelFile(getOp(node.op).template);
    if (!templates.has(file)) {
      throw new KitError('template-missing', 'codegen', `node '${node.name}': op '${node.op}' has no template (${join(templates.dir, file)})`, 'reinstall kit, or add the template for this op');
    }
  }
  const layers = lowerGraph(graph, { aliasReshape: options.aliasReshape });
  const kernelNames = nameKernels(layers);
  const plan = planMemory(graph, {
    aliasOps: options.aliasReshape === false ? new Set() : aliasingOps(),
    scratch: (i) => layers[i].scratchBytes,
    planInput: inputInArena(graph),
    inPlace: fuse,
    unfused: source,
  });
  const io = ioBytes(graph);
  const code = options.code ?? codeSizes(layers, kernelNames);
  const modelName = options.modelName ?? 'model';
  const { report, placement } = computeSizes(board, layers, plan, code, kernelNames, io, options.harness);
  if (!report.fits) {
    const fitsOn = boardsThatFit(board.name, (b) => computeSizes(b, layers, plan, code, kernelNames, io).report);
    throw tooLarge(modelName, report, fitsOn);
  }
  for (const l of layers) for (const a of l.arrays) a.section = placement.arraySections.get(a.name);
  return { graph, source, fusions, board, modelName, hash: modelHash(source), layers, kernelNames, plan, sizes: report, placement };
}

function checkGraph(graph: Graph): void {
  if (graph.version !== GRAPH_VERSION) {
    const age = graph.version < GRAPH_VERSION ? 'older' : 'newer';
    throw new KitError('ir-version', 'codegen', `the graph is IR version ${graph.version}, from an ${age} kit; this kit ${kitVersion()} generates C for version ${GRAPH_VERSION}`, graph.version < GRAPH_VERSION ? 're-run kit quantize with this kit' : 'upgrade kit');
  }
  if (graph.kind !== 'quantized') throw new KitError('graph-kind', 'codegen', `kit codegen needs a quantized graph, got a ${graph.kind} one`, 'run kit quantize first');
  validateGraph(graph);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) throw new KitError('graph-unsupported', 'codegen', 'a model has one input and one output');
  const out = graph.tensors[graph.outputs[0]];
  if (out.dtype !== 'int8' && out.dtype !== 'uint8') throw new KitError('graph-unsupported', 'codegen', `the output is ${out.dtype}; the device protocol carries 8-bit logits`);
}

export function ioBytes(graph: Graph): { inputBytes: number; outputBytes: number } {
  const t = (id: string) => numElements(graph.tensors[id].shape) * dtypeBytes(graph.tensors[id].dtype);
  return { inputBytes: t(graph.inputs[0]), outputBytes: t(graph.outputs[0]) };
}

/** One C function per distinct kernel key; names made unique (and distinct from layer names). */
function nameKernels(layers: LoweredLayer[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set(layers.map((l) => l.id));
  for (const l of layers) {
    if (!l.kernel || names.has(l.kernel.key)) continue;
    let name = l.kernel.baseName;
    for (let i = 2; taken.has(name); i++) name = `${l.kernel.baseName}_${i}`;
    taken.add(name);
    names.set(l.kernel.key, name);
  }
  return names;
}
