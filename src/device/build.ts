/**
 * Builds the device harness for a board: firmware/harness + firmware/protocol + the board's port
 * (UART, timer, startup) + a model's C files, in one compiler run with the board JSON's toolchain.
 * The model folder must hold model.h (see firmware/harness/model_api.h for what it defines) and
 * the .c files that implement it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KitError } from '../errors.js';
import { type Board, boardPath, howToGet, loadBoard } from './boards.js';
import { PACKAGE_ROOT } from './paths.js';
import { relocate, replaceFolder } from '../util/atomic-folder.js';

export interface BuildOptions {
  /** A board name or a loaded board. */
  board: string | Board;
  /** Folder with model.h and the model's .c files. */
  modelDir: string;
  /** Where the firmware goes (created if missing). */
  outDir: string;
  /** Extra -D defines, e.g. { KIT_BOARD_BAUD: 921600 }. */
  defines?: Record<string, string | number>;
  /** Extra compiler flags (e.g. -fstack-usage to measure the harness). */
  cflags?: string[];
}

export interface FirmwareBuild {
  board: Board;
  /** The built ELF (or native executable for the host board). */
  file: string;
  /** The compiler command line, for logs. */
  command: string[];
}

export const FIRMWARE = join(PACKAGE_ROOT, 'firmware');
/** The portable harness, relative to FIRMWARE (the ESP-IDF project generator lists the same). */
export const HARNESS_SOURCES = ['harness/main.c', 'harness/replies.c', 'harness/profile.c', 'protocol/crc32.c', 'protocol/frame.c'];
export const INCLUDE_DIRS = ['harness', 'protocol', 'uart', 'timer'];

export function buildCommand(opts: BuildOptions): { board: Board; file: string; command: string[] } {
  const board = typeof opts.board === 'string' ? loadBoard(opts.board) : opts.board;
  const tc = board.toolchain;
  if (board.flash.method === 'esptool') {
    // ESP-IDF owns the build (startup, FreeRTOS, drivers, linker scripts): see src/device/esp-idf/.
    throw new KitError(
      'board-unsupported',
      'device',
      `${board.name} firmware is built by ESP-IDF, not by one compiler run`,
      'run kit flash <project> --port <serial port>: it writes an ESP-IDF project and runs idf.py',
    );
  }
  if (!tc.output) {
    throw new KitError(
      'board-unsupported',
      'device',
      `kit cannot build firmware for ${board.name} yet (no UART/timer port in firmware/boards/${board.name})`,
      'use the qemu-cortex-m4 or host board',
    );
  }
  const modelDir = resolve(opts.modelDir);
  if (!existsSync(join(modelDir, 'model.h'))) {
    throw new KitError('model-incomplete', 'device', `no model.h in ${modelDir}`, 'point at the folder codegen wrote');
  }
  const modelSources = readdirSync(modelDir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => join(modelDir, f));
  if (modelSources.length === 0) throw new KitError('model-incomplete', 'device', `no .c files in ${modelDir}`);

  const defines: Record<string, string | number> = {
    KIT_BOARD_NAME: JSON.stringify(board.name),
    KIT_BOARD_CLOCK_HZ: `${board.clockHz}u`,
    KIT_BOARD_BAUD: `${board.serial.baud}u`,
    ...opts.defines,
  };
  const file = join(resolve(opts.outDir), tc.output);
  const command = [
    tc.compiler,
    ...tc.cflags,
    ...(opts.cflags ?? []),
    ...Object.entries(defines).map(([k, v]) => `-D${k}=${v}`),
    ...INCLUDE_DIRS.map((d) => `-I${join(FIRMWARE, d)}`),
    `-I${modelDir}`,
    ...HARNESS_SOURCES.map((s) => join(FIRMWARE, s)),
    ...tc.sources.map(boardPath),
    ...modelSources,
    ...(tc.linkerScript ? [`-T${boardPath(tc.linkerScript)}`] : []),
    ...tc.ldflags,
    '-o',
    file,
  ];
  return { board, file, command };
}

/** Compiles the harness with a model for a board. Throws KitError when the compiler is missing or fails. */
export async function buildFirmware(opts: BuildOptions): Promise<FirmwareBuild> {
  const outDir = resolve(opts.outDir);
  buildCommand(opts); // refuses a board or model folder it cannot build before anything is touched
  // The compiler writes into a temporary folder that replaces outDir only once the build succeeded:
  // a failed build leaves the previous firmware (src/util/atomic-folder.ts).
  return replaceFolder(outDir, { stage: 'device' }, async (tmp) => {
    const built = buildCommand({ ...opts, outDir: tmp });
    await compile(built.board, built.command);
    return { board: built.board, file: relocate(built.file, tmp, outDir), command: built.command.map((a) => relocate(a, tmp, outDir)) };
  });
}

function compile(board: Board, command: string[]): Promise<void> {
  return new Promise<void>((done, fail) => {
    // No time limit: a model with megabytes of weights takes minutes to compile on a loaded machine,
    // and a compiler does not hang.
    execFile(command[0], command.slice(1), { maxBuffer: 16 << 20 }, (err, _stdout, stderr) => {
      if (!err) return done();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return fail(
          new KitError('toolchain-missing', 'device', `${command[0]} not found (needed for ${board.name})`, howToGet(board, command[0])),
        );
      }
      const first = stderr
        .split('\n')
        .find((l) => /error/i.test(l))
        ?.trim();
      fail(new KitError('build-failed', 'device', `building firmware for ${board.name} failed: ${first ?? (err as Error).message.split('\n')[0]}`));
    });
  });
}
