/**
 * The device harness's own share of a board (firmware/harness, protocol, the board port, and the C
 * library and startup code they pull in), measured from a firmware really built with the model:
 * flash (the sections the image loads, objdump -h) and static RAM (`size`) are the firmware's
 * minus the model's objects, and stack is the sum of the frames (-fstack-usage) of every function
 * outside the model. Nothing in the harness recurses, so no call chain can use more than that sum;
 * interrupt entry frames are not included.
 *
 * Only for boards kit links itself (a linker script); elsewhere (ESP-IDF boards, the host process)
 * sizes.ts keeps its stated allowances.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Board } from '../device/boards.js';
import { buildCommand } from '../device/build.js';
import { binutilFor, commandExists, sizeToolFor, type ObjectSizes } from './toolchain.js';

export interface HarnessSizes {
  flashBytes: number;
  ramBytes: number;
  stackBytes: number;
  /** How they were measured, for the report. */
  source: string;
}

const RAM_SECTION = /^\.(data|bss)/;

/**
 * Bytes of the sections a firmware image loads (objdump's LOAD flag: code, constants, vectors, the
 * reset stub, the initial values of .data), outside the board's extra regions: what the image
 * occupies in flash, whatever the linker script names its sections.
 */
export function loadedBytes(objdumpHeaders: string, regionSections: string[]): number {
  let bytes = 0;
  for (const m of objdumpHeaders.matchAll(/^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\S+\s*\n\s+(.*)$/gm)) {
    const flags = m[3].split(/,\s*/);
    if (!flags.includes('LOAD') || !flags.includes('ALLOC') || regionSections.some((r) => m[1].startsWith(r))) continue;
    bytes += Number.parseInt(m[2], 16);
  }
  return bytes;
}

function run(command: string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(command[0], command.slice(1), { maxBuffer: 16 << 20 }, (err, stdout, stderr) => (err ? fail(new Error(`${command[0]}: ${stderr.trim().split('\n')[0] ?? err.message}`)) : done(stdout))),
  );
}

/**
 * `model` measures the model's objects, which measureObjects left in `objectsDir`: the firmware links
 * them instead of compiling the model again (megabytes of weights take minutes to compile).
 */
export async function measureHarness(board: Board, modelDir: string, model: ObjectSizes, objectsDir: string): Promise<HarnessSizes | undefined> {
  const tc = board.toolchain;
  if (!tc.linkerScript || !tc.output || board.flash.method === 'esptool') return undefined;
  const sizeTool = sizeToolFor(tc.compiler);
  if (!commandExists(tc.compiler) || !commandExists(sizeTool) || !commandExists(binutilFor(tc.compiler, 'objdump'))) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'kit-harness-size-'));
  try {
    // The firmware command kit flash runs, with the model's objects in place of its sources.
    const build = buildCommand({ board, modelDir, outDir: dir, cflags: ['-fstack-usage'] });
    const modelPath = resolve(modelDir);
    const command = build.command.map((a) => (a.endsWith('.c') && dirname(a) === modelPath ? join(objectsDir, basename(a).replace(/\.c$/, '.o')) : a));
    await run(command);
    const listing = await run([sizeTool, '-A', '-d', build.file]);
    const regions = board.memory.regions.flatMap((r) => (r.section ? [r.section] : []));
    const flash = loadedBytes(await run([binutilFor(tc.compiler, 'objdump'), '-h', build.file]), regions);
    let ram = 0;
    for (const line of listing.split('\n')) {
      const m = /^(\.\S+)\s+(\d+)\s+\d+\s*$/.exec(line.trim());
      if (!m || regions.some((r) => m[1].startsWith(r))) continue;
      if (RAM_SECTION.test(m[1])) ram += Number(m[2]);
    }
    // gcc writes <output>-<source>.su next to the firmware, one line per function: file:line:col:name, bytes, kind.
    let stack = 0;
    for (const su of readdirSync(dir).filter((f) => f.endsWith('.su'))) {
      for (const line of readFileSync(join(dir, su), 'utf8').split('\n')) {
        const m = /:([A-Za-z_][A-Za-z0-9_.]*)\t(\d+)\t/.exec(line);
        if (m && !model.stack.has(m[1])) stack += Number(m[2]);
      }
    }
    return {
      flashBytes: flash - (model.text + model.rodata + model.data),
      ramBytes: ram - (model.data + model.bss),
      stackBytes: stack,
      source: `${tc.compiler} firmware measured with ${sizeTool} and -fstack-usage`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
