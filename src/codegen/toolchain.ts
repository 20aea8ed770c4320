/**
 * Exact code sizes: the generated files compiled with the board's own compiler and flags (plus
 * -ffunction-sections/-fdata-sections, so every function and array is its own section) and measured
 * with the matching `size` (arm-none-eabi-size for arm-none-eabi-gcc). -fstack-usage gives each
 * function's stack frame. Used when the board's toolchain is installed; otherwise sizes.ts estimates.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Board } from '../device/boards.js';

export interface ObjectSizes {
  /** The compiler and size tool used. */
  compiler: string;
  sizeTool: string;
  /** Bytes of each function (.text.<name>), inlined helpers included in their callers; gcc's clones
   * (<name>.constprop.0, <name>.isra.0, <name>.part.0) under their own names: see functionBytes. */
  functions: Map<string, number>;
  /** Bytes of each constant (.rodata.<name> and friends). */
  constants: Map<string, number>;
  /** Totals over all objects. */
  text: number;
  rodata: number;
  data: number;
  bss: number;
  /** Bytes in sections named like the board's extra regions (e.g. .psram), constants included. */
  regions: Map<string, number>;
  /** Of those, constants (sections named <region>.rodata...). */
  regionConstants: number;
  /** Stack frame of each function (-fstack-usage). */
  stack: Map<string, number>;
}

/** The binutil that goes with a compiler: arm-none-eabi-gcc -> arm-none-eabi-<tool>, cc/gcc/clang -> <tool>. */
export function binutilFor(compiler: string, tool: 'size' | 'objdump'): string {
  const m = /^(.*-)?(gcc|cc|clang)(-[0-9.]+)?$/.exec(basename(compiler));
  const prefix = m?.[1] ?? '';
  const dir = dirname(compiler);
  return dir === '.' ? `${prefix}${tool}` : join(dir, `${prefix}${tool}`);
}

/** The `size` that goes with a compiler: arm-none-eabi-gcc -> arm-none-eabi-size, cc/gcc/clang -> size. */
export const sizeToolFor = (compiler: string) => binutilFor(compiler, 'size');

export function commandExists(command: string): boolean {
  const r = spawnSync(command, ['--version'], { stdio: 'ignore' });
  return !r.error;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim().split('\n').slice(0, 5).join(' | ') || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Compile every .c of `dir` for the board and measure the objects; undefined without the toolchain.
 * With `keepIn`, the objects (<name>.o) are left in that folder, e.g. to link a firmware from them.
 */
export async function measureObjects(board: Board, dir: string, extraFlags: string[] = [], keepIn?: string): Promise<ObjectSizes | undefined> {
  const compiler = board.toolchain.compiler;
  const sizeTool = sizeToolFor(compiler);
  if (!commandExists(compiler) || !commandExists(sizeTool)) return undefined;
  const objDir = keepIn ?? mkdtempSync(join(tmpdir(), 'kit-codegen-size-'));
  const result: ObjectSizes = {
    compiler,
    sizeTool,
    functions: new Map(),
    constants: new Map(),
    text: 0,
    rodata: 0,
    data: 0,
    bss: 0,
    regions: new Map(),
    regionConstants: 0,
    stack: new Map(),
  };
  const regionSections = board.memory.regions.flatMap((r) => (r.section ? [r.section] : []));
  try {
    const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort();
    for (const src of sources) {
      const obj = join(objDir, src.replace(/\.c$/, '.o'));
      await run(compiler, [...board.toolchain.cflags, ...extraFlags, '-ffunction-sections', '-fdata-sections', '-fstack-usage', `-I${dir}`, '-c', join(dir, src), '-o', obj]);
      parseSizeOutput(await run(sizeTool, ['-A', '-d', obj]), regionSections, result);
      const su = obj.replace(/\.o$/, '.su');
      for (const line of readFileSync(su, 'utf8').split('\n')) {
        // gcc's clones of a function carry a suffix (kit_conv2d_x.constprop.0): a name with dots.
        const m = /:([A-Za-z_][A-Za-z0-9_.]*)\t(\d+)\t/.exec(line);
        if (m) result.stack.set(m[1], Number(m[2]));
      }
    }
  } finally {
    if (!keepIn) rmSync(objDir, { recursive: true, force: true });
  }
  return result;
}

/** A function's clone names: the name itself and gcc's specialised copies, <name>.<suffix>. */
export const isCloneOf = (section: string, fn: string) => section === fn || section.startsWith(`${fn}.`);

/** Bytes of a function with all its clones. */
export function functionBytes(objects: ObjectSizes, fn: string): number {
  let bytes = 0;
  for (const [name, size] of objects.functions) if (isCloneOf(name, fn)) bytes += size;
  return bytes;
}

/** The deepest stack frame of a function or any of its clones. */
export function functionStack(objects: ObjectSizes, fn: string): number {
  let bytes = 0;
  for (const [name, size] of objects.stack) if (isCloneOf(name, fn)) bytes = Math.max(bytes, size);
  return bytes;
}

/** Adds one object's `size -A -d` listing (section, size, address) to the totals. */
export function parseSizeOutput(text: string, regionSections: string[], into: ObjectSizes): void {
  for (const line of text.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+\s*$/.exec(line.trim());
    if (!m) continue;
    const [, section, sizeText] = m;
    const bytes = Number(sizeText);
    if (bytes === 0) continue;
    const region = regionSections.find((r) => section === r || section.startsWith(`${r}.`));
    if (region) {
      into.regions.set(region, (into.regions.get(region) ?? 0) + bytes);
      if (section.startsWith(`${region}.rodata`)) into.regionConstants += bytes;
    } else if (section.startsWith('.text')) {
      into.text += bytes;
      const fn = section.slice('.text.'.length);
      if (fn) into.functions.set(fn, (into.functions.get(fn) ?? 0) + bytes);
    } else if (section.startsWith('.rodata') || section.startsWith('.data.rel.ro')) {
      into.rodata += bytes;
      const name = section.replace(/^\.(rodata|data\.rel\.ro)(\.local)?\.?/, '');
      if (name) into.constants.set(name, (into.constants.get(name) ?? 0) + bytes);
    } else if (section.startsWith('.data')) {
      into.data += bytes;
    } else if (section.startsWith('.bss') || section === 'COMMON') {
      into.bss += bytes;
    }
  }
}
