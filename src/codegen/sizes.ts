/**
 * Flash and RAM of a generated model, per layer and in total, against a board's budget, and where
 * things go when they do not fit the default memories (weights to a board region such as PSRAM).
 *
 * Weight bytes are exact (the arrays of weights.inc as the compiled model holds them). Code is measured from the objects
 * the board's cross compiler makes (toolchain.ts) when it is installed, and otherwise estimated per
 * kernel and labelled so. The harness's share is measured from a built firmware where kit links one
 * and the compiler is installed (harness-size.ts), else the stated allowances of HARNESS.
 */
import { KitError } from '../errors.js';
import { type Board, knownBoards, loadBoard, ramBudget } from '../device/boards.js';
import { kib, thousands } from './c-format.js';
import type { CArray, LoweredLayer } from './lower/index.js';
import type { MemoryPlan } from './memory-plan.js';
import type { HarnessSizes } from './harness-size.js';
import { functionBytes, functionStack, type ObjectSizes } from './toolchain.js';

/**
 * Allowances for the device harness (firmware/harness + protocol + board port) where it cannot be
 * measured (harness-size.ts measures it). Flash: the qemu-cortex-m4 harness measured 3,140 bytes of
 * code with the stand-in model, rounded up. RAM (firmware/harness/main.c): the image buffer, the
 * frame receive buffer for one PIECE (12 bytes of header + at most 4 KiB or the image rounded up to
 * 32-byte blocks + 11 bytes of frame overhead), the bitmap of received blocks, the logits and
 * parser state. Stack: an allowance for main, the frame parser and the replies.
 */
export const HARNESS = {
  flashBytes: 4096,
  ramBytes: (inputBytes: number, outputBytes: number) => {
    const blocks = Math.ceil(inputBytes / 32);
    return inputBytes + 12 + Math.min(4096, blocks * 32) + 11 + Math.ceil(blocks / 8) + outputBytes + 64;
  },
  stackBytes: 512,
};

/**
 * Per-kernel code estimates: bytes of Thumb-2 at -O2 as arm-none-eabi-gcc 12 builds kit's kernels
 * (measured on ResNet-8: conv2d 660-1,050 by geometry, dense 330-400, add 120-150, conv2d_add
 * 1,280 with the identity shortcut and 1,940-1,960 with a 1x1 conv shortcut, ...).
 */
const CODE_ESTIMATE: Record<string, number> = {
  conv2d: 950,
  conv2d_add: 1700,
  fully_connected: 400,
  add: 150,
  avg_pool2d: 110,
  max_pool2d: 120,
  global_avg_pool: 90,
  relu: 60,
  input_lut: 52,
  reshape: 20,
};
/** kit_model_invoke: a call per layer (268 bytes measured for ResNet-8's 16 layers). */
const INVOKE_ESTIMATE = (layers: number) => 12 + 16 * layers;
/** Stack of the deepest kernel plus kit_model_invoke when not measured (ResNet-8 measures 136 + 24). */
const KERNEL_STACK_ESTIMATE = 192;

export interface LayerSize {
  index: number;
  name: string;
  op: string;
  macs: number;
  /** Bytes of the layer's constants: arrays + its parameter struct (32-bit pointers); measured: what the objects hold (heldBytes). */
  constBytes: number;
  /** Bytes of its kernel function; a kernel shared by n layers counts 1/n at each. */
  codeBytes: number;
  /** The kernel function, and how many layers share it. */
  kernel?: string;
  sharedBy: number;
  /** Arena bytes live while it runs plus its scratch. */
  ramBytes: number;
}

export interface SizeReport {
  board: string;
  /** Code figures from the compiled objects (else estimates). */
  measured: boolean;
  /** e.g. "arm-none-eabi-size" or "estimate". */
  codeSource: string;
  flash: {
    /** Constants in flash (exact: the arrays of weights.inc and parameter structs the objects hold, the hash). */
    weights: number;
    code: number;
    harness: number;
    total: number;
    budget: number;
    /** All constants as the compiled objects hold them (flash and regions), when measured: equals the computed total. */
    measuredConstants?: number;
  };
  ram: { arena: number; scratch: number; harness: number; stack: number; total: number; budget: number };
  /** Where the harness figures (flash, RAM, its part of the stack) come from: a measurement, or HARNESS's allowances. */
  harness: { measured: boolean; source: string };
  /** Board regions used for what did not fit (weights and/or the arena), with what that costs when the board says. */
  regions: { name: string; section: string; bytes: number; budget: number; holds: string[]; cost?: string }[];
  layers: LayerSize[];
  fits: boolean;
  /** What does not fit, one line each. */
  problems: string[];
}

/**
 * The section for constants moved to a region: the region's section plus ".rodata", so that a
 * linker script can load constants (their values must be in the image) while leaving buffers in the
 * region's NOLOAD section (qemu-cortex-m4's link.ld loads *(.psram.rodata*) and keeps *(.psram*) NOLOAD).
 */
export function constSection(section: string): string {
  return `${section}.rodata`;
}

export interface Placement {
  /** Arrays moved to a region's section (array name -> section). */
  arraySections: Map<string, string>;
  /** Section of the arena when it lives outside the default RAM. */
  arenaSection?: string;
}

export interface CodeSizes {
  /** Bytes per kernel function name (with its clones). */
  kernels: Map<string, number>;
  invoke: number;
  /** Deepest stack of a kernel + invoke. */
  stack: number;
  measured: boolean;
  source: string;
  /** Measured: bytes of each constant the objects hold in flash (heldBytes). */
  constants?: Map<string, number>;
}

export const arrayBytes = (a: CArray) => a.data.length * (a.ctype === 'int32_t' ? 4 : a.ctype === 'int16_t' ? 2 : 1);

/**
 * A constant's bytes in flash: as the objects hold it when measured (none when the compiler folded
 * every read of it into a kernel's clone: a parameter struct, a per-tensor multiplier), else as
 * declared. Constants placed in a board region are counted as declared (the region's total is measured).
 */
function heldBytes(name: string, declared: number, code: CodeSizes, section?: string): number {
  return code.constants && !section ? (code.constants.get(name) ?? 0) : declared;
}

/** Code sizes from the objects when measured, else estimates per kernel template. */
export function codeSizes(layers: LoweredLayer[], kernelNames: Map<string, string>, objects?: ObjectSizes): CodeSizes {
  const kernels = new Map<string, number>();
  for (const l of layers) {
    if (!l.kernel) continue;
    const fn = kernelNames.get(l.kernel.key)!;
    kernels.set(fn, objects ? functionBytes(objects, fn) : (CODE_ESTIMATE[l.kernel.template] ?? 300));
  }
  if (!objects) {
    return { kernels, invoke: INVOKE_ESTIMATE(layers.length), stack: KERNEL_STACK_ESTIMATE, measured: false, source: 'estimate' };
  }
  // The rest of the model's code: kit_model_invoke, and any helper the compiler kept out of line.
  const invoke = objects.text - [...kernels.values()].reduce((sum, bytes) => sum + bytes, 0);
  const deepestKernel = Math.max(0, ...[...kernels.keys()].map((fn) => functionStack(objects, fn)));
  return { kernels, invoke, stack: deepestKernel + functionStack(objects, 'kit_model_invoke'), measured: true, source: objects.sizeTool, constants: objects.constants };
}

/**
 * Sizes against the board, deciding placement: when weights overflow flash and the board has a
 * region with a linker section (qemu-cortex-m4's 16 MiB PSRAM), the largest arrays move there until
 * flash fits; when the arena overflows RAM, it moves there too. `fits` is false if that is not enough.
 */
export function computeSizes(
  board: Board,
  layers: LoweredLayer[],
  plan: MemoryPlan,
  code: CodeSizes,
  kernelNames: Map<string, string>,
  io: { inputBytes: number; outputBytes: number },
  harness?: HarnessSizes,
): { report: SizeReport; placement: Placement } {
  const users = new Map<string, number>();
  for (const l of layers) if (l.kernel) users.set(l.kernel.key, (users.get(l.kernel.key) ?? 0) + 1);
  const layerSizes: LayerSize[] = layers.map((l) => {
    const fn = l.kernel ? kernelNames.get(l.kernel.key) : undefined;
    const shared = l.kernel ? users.get(l.kernel.key)! : 0;
    return {
      index: l.index,
      name: l.node.name,
      op: l.node.op,
      macs: l.macs,
      constBytes: l.arrays.reduce((s, a) => s + heldBytes(a.name, arrayBytes(a), code, a.section), 0) + (l.params ? heldBytes(l.params.name, l.params.bytes ?? 4 * l.params.fields.length, code) : 0),
      codeBytes: fn ? Math.round((code.kernels.get(fn) ?? 0) / shared) : 0,
      kernel: fn,
      sharedBy: shared,
      ramBytes: plan.liveBytes[l.index] + plan.scratchBytes[l.index],
    };
  });
  const weights = layerSizes.reduce((s, l) => s + l.constBytes, 0) + 65; // + kit_model_hash
  const kernelCode = [...code.kernels.values()].reduce((s, v) => s + v, 0);
  const codeBytes = kernelCode + code.invoke;
  const harnessFlash = harness?.flashBytes ?? HARNESS.flashBytes;
  const harnessRam = harness?.ramBytes ?? HARNESS.ramBytes(io.inputBytes, io.outputBytes);
  const stack = code.stack + (harness?.stackBytes ?? HARNESS.stackBytes);
  const flashBudget = board.memory.flash.bytes;
  const ramLimit = ramBudget(board);
  const region = board.memory.regions.find((r) => r.section);
  const placement: Placement = { arraySections: new Map() };
  const regionUse = { bytes: 0, holds: [] as string[] };

  let flashWeights = weights;
  const flashTotal = () => flashWeights + codeBytes + harnessFlash;
  if (flashTotal() > flashBudget && region?.holds.includes('weights')) {
    const arrays = layers.flatMap((l) => l.arrays).sort((a, b) => arrayBytes(b) - arrayBytes(a));
    for (const a of arrays) {
      if (flashTotal() <= flashBudget) break;
      placement.arraySections.set(a.name, constSection(region.section!));
      flashWeights -= arrayBytes(a);
      regionUse.bytes += arrayBytes(a);
    }
    regionUse.holds.push(`${placement.arraySections.size} weight arrays`);
  }
  let ramArena = plan.arenaBytes;
  const ramTotal = () => ramArena + plan.scratchTotal + harnessRam + stack;
  if (ramTotal() > ramLimit && region?.holds.includes('arena')) {
    placement.arenaSection = region.section;
    regionUse.bytes += plan.arenaBytes;
    regionUse.holds.push('the arena');
    ramArena = 0;
  }
  const problems: string[] = [];
  if (flashTotal() > flashBudget) {
    problems.push(`flash: ${thousands(flashTotal())} bytes needed (weights ${thousands(flashWeights)} + code ${thousands(codeBytes)}${code.measured ? '' : ' (estimate)'} + harness ${thousands(harnessFlash)}${harness ? '' : ' (allowance)'}) but ${board.name} has ${thousands(flashBudget)}`);
  }
  if (ramTotal() > ramLimit) {
    problems.push(`RAM: ${thousands(ramTotal())} bytes needed (arena ${thousands(ramArena)} + scratch ${thousands(plan.scratchTotal)} + harness ${thousands(harnessRam)}${harness ? '' : ' (allowance)'} + stack ${thousands(stack)}) but ${board.name} leaves ${thousands(ramLimit)} for a model`);
  }
  if (region && regionUse.bytes > region.bytes) {
    problems.push(`${region.name}: ${thousands(regionUse.bytes)} bytes needed for ${regionUse.holds.join(' and ')} but it has ${thousands(region.bytes)}`);
  }
  const report: SizeReport = {
    board: board.name,
    measured: code.measured,
    codeSource: code.source,
    flash: { weights: flashWeights, code: codeBytes, harness: harnessFlash, total: flashTotal(), budget: flashBudget },
    ram: { arena: ramArena, scratch: plan.scratchTotal, harness: harnessRam, stack, total: ramTotal(), budget: ramLimit },
    harness: harness ? { measured: true, source: harness.source } : { measured: false, source: 'allowance' },
    regions: region && regionUse.bytes > 0 ? [{ name: region.name, section: region.section!, bytes: regionUse.bytes, budget: region.bytes, holds: regionUse.holds, cost: region.cost }] : [],
    layers: layerSizes,
    fits: problems.length === 0,
    problems,
  };
  return { report, placement };
}

/** The KitError for a model that does not fit, naming the numbers and boards where it would. */
export function tooLarge(modelName: string, report: SizeReport, fitsOn: string[]): KitError {
  const where = fitsOn.length ? `, or a board where it fits, e.g. ${fitsOn.join(', ')}` : ', or a board with more memory';
  return new KitError(
    'model-too-large',
    'codegen',
    `${modelName} does not fit ${report.board}: ${report.problems.join('; ')}`,
    `use a smaller model (e.g. resnet8)${where}`,
  );
}

/** Other shipped boards on which these layers would fit (with the same code estimates), naming a region they would need. */
export function boardsThatFit(exclude: string, fit: (b: Board) => SizeReport): string[] {
  const out: string[] = [];
  for (const name of knownBoards()) {
    if (name === exclude || name === 'host') continue;
    const b = loadBoard(name);
    const report = fit(b);
    if (!report.fits) continue;
    const region = report.regions[0];
    out.push(region ? `${name} (with its ${kib(region.budget)} ${region.name})` : name);
  }
  return out;
}
