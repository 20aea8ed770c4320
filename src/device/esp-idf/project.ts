/**
 * Writes `<project>/esp-idf/`, an ESP-IDF v5 app around a kit codegen project: the harness,
 * protocol and board port copied into main/kit/ (so the folder builds without kit installed, and
 * does not change under it when kit is upgraded), the model's C files used in place from the
 * project, and the configuration (CMakeLists.txt, sdkconfig.defaults, partitions.csv).
 *
 * Files are only rewritten when their content changes, so running kit flash again rebuilds only
 * what changed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CodegenManifest } from '../../codegen/codegen-manifest.js';
import { KitError } from '../../errors.js';
import { type Board, boardPath } from '../boards.js';
import { FIRMWARE, HARNESS_SOURCES, INCLUDE_DIRS } from '../build.js';
import { mainCmake, projectCmake } from './cmake.js';
import { type PartitionPlan, partitionsCsv, planPartitions } from './partitions.js';
import { sdkconfigDefaults } from './sdkconfig.js';

export const ESP_IDF_DIR = 'esp-idf';

export interface EspIdfProject {
  /** The ESP-IDF project folder (what idf.py -C takes). */
  dir: string;
  plan: PartitionPlan;
  /** Every C file the main component compiles, absolute. */
  sources: string[];
  /** Files written or left as they were, absolute. */
  files: string[];
}

/** Where kit flash puts the ESP-IDF project of a codegen project. */
export function espIdfDir(project: string): string {
  return join(resolve(project), ESP_IDF_DIR);
}

/** Writes content unless the file already holds exactly it. */
function writeIfChanged(file: string, content: string | Buffer): boolean {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (existsSync(file) && readFileSync(file).equals(bytes)) return false;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return true;
}

/** Files of a folder and below, relative to it. */
function listFiles(dir: string, under = ''): string[] {
  if (!existsSync(join(dir, under))) return [];
  return readdirSync(join(dir, under), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(under, e.name)) : [join(under, e.name)],
  );
}

/** `profile`: compile the per-layer hook in (-DKIT_PROFILE, firmware/harness/profile.h; kit flash --profile). */
export function writeEspIdfProject(opts: { project: string; board: Board; manifest: CodegenManifest; profile?: boolean }): EspIdfProject {
  const { board, manifest } = opts;
  const project = resolve(opts.project);
  if (board.flash.method !== 'esptool' || !board.espIdf) {
    throw new KitError('board-unsupported', 'device', `${board.name} is not built with ESP-IDF`, 'kit flash builds it directly');
  }
  const chip = board.flash.chip;
  const plan = planPartitions(board, manifest.flashBytes);
  if (!existsSync(join(project, 'model.h'))) {
    throw new KitError('model-incomplete', 'device', `no model.h in ${project}`, 'point at the folder kit codegen wrote');
  }
  // The model: every .c file at the top of the codegen project, as the other boards' builds take it.
  const modelSources = readdirSync(project).filter((f) => f.endsWith('.c')).sort();
  if (modelSources.length === 0) throw new KitError('model-incomplete', 'device', `no .c files in ${project}`);

  const dir = espIdfDir(project);
  const kitDir = join(dir, 'main', 'kit');

  // main/kit/<harness|protocol|uart|timer>/ from firmware/, main/kit/board/ from the board JSON's sources.
  const copies = new Map<string, string>();
  for (const d of INCLUDE_DIRS) {
    for (const f of readdirSync(join(FIRMWARE, d)).filter((f) => /\.[ch]$/.test(f))) copies.set(join(kitDir, d, f), join(FIRMWARE, d, f));
  }
  const portSources = board.toolchain.sources.map(boardPath);
  for (const src of portSources) {
    if (!existsSync(src)) throw new KitError('board-unsupported', 'device', `${board.file} lists ${src}, which does not exist`);
    copies.set(join(kitDir, 'board', basename(src)), src);
  }
  const files: string[] = [];
  for (const [to, from] of copies) {
    writeIfChanged(to, readFileSync(from));
    files.push(to);
  }
  // A file kit no longer ships must not linger in the build.
  for (const f of listFiles(kitDir)) if (!copies.has(join(kitDir, f))) rmSync(join(kitDir, f));

  const portable = [...HARNESS_SOURCES.map((s) => `\${KIT_DIR}/${s}`), ...modelSources.map((f) => `\${KIT_MODEL_DIR}/${f}`)];
  const port = portSources.map((s) => `\${KIT_DIR}/board/${basename(s)}`);
  const includeDirs = [...INCLUDE_DIRS.map((d) => `\${KIT_DIR}/${d}`), '${KIT_MODEL_DIR}'];
  const portableFlags = board.toolchain.cflags.filter((f) => /^-(std=|W)/.test(f));
  const defines = {
    KIT_BOARD_NAME: JSON.stringify(board.name),
    KIT_BOARD_CLOCK_HZ: `${board.clockHz}u`,
    KIT_BOARD_BAUD: `${board.serial.baud}u`,
    KIT_BOARD_UART: `${board.espIdf.uart}`,
    KIT_HARNESS_NO_MAIN: '1',
    ...(opts.profile ? { KIT_PROFILE: '1' } : {}),
  };

  const defaultsFile = join(dir, 'sdkconfig.defaults');
  const defaults = sdkconfigDefaults(board);
  if (existsSync(defaultsFile) && readFileSync(defaultsFile, 'utf8') !== defaults) {
    // ESP-IDF only reads the defaults when it creates sdkconfig, and caches the target in the
    // build folder: start both afresh so the new settings (or a new chip) take effect.
    rmSync(join(dir, 'sdkconfig'), { force: true });
    rmSync(join(dir, 'build'), { recursive: true, force: true });
  }
  const generated: [string, string][] = [
    [join(dir, 'CMakeLists.txt'), projectCmake(board, chip)],
    [join(dir, 'main', 'CMakeLists.txt'), mainCmake(board, { portable, port, includeDirs }, portableFlags, defines)],
    [defaultsFile, defaults],
    [join(dir, 'partitions.csv'), partitionsCsv(plan, board.name)],
  ];
  for (const [file, content] of generated) {
    writeIfChanged(file, content);
    files.push(file);
  }
  const sources = [
    ...HARNESS_SOURCES.map((s) => join(kitDir, s)),
    ...modelSources.map((f) => join(project, f)),
    ...portSources.map((s) => join(kitDir, 'board', basename(s))),
  ];
  return { dir, plan, sources, files };
}
