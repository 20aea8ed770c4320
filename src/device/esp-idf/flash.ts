/**
 * kit flash for the ESP32 boards: write the ESP-IDF project, then build and flash it with idf.py
 * on the given serial port. Without ESP-IDF, an ESP-IDF build of the project made elsewhere (its
 * build folder, --image or the project's own esp-idf/build) is flashed over serial with esptool-js
 * (serial-flash.ts); with neither, the project is still written, and the error says what to install
 * and the exact command to run by hand.
 */
import { thousands } from '../../codegen/c-format.js';
import type { CodegenManifest } from '../../codegen/codegen-manifest.js';
import { KitError } from '../../errors.js';
import type { Board } from '../boards.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Transport } from '../transport/transport.js';
import { findOnPath, IDF_PY, runIdfPy } from './idf.js';
import { type EspIdfProject, writeEspIdfProject } from './project.js';
import { FLASHER_ARGS, flashOverSerial, readEspIdfBuild } from './serial-flash.js';

export interface EspIdfFlashOptions {
  /** The kit codegen project. */
  project: string;
  board: Board;
  manifest: CodegenManifest;
  /** The board's serial port; required. */
  port?: string;
  /** Where idf.py is looked for, and the environment it runs in (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** An ESP-IDF build folder to flash over serial with esptool-js instead of building with idf.py. */
  image?: string;
  /** The line esptool-js talks on (tests); default the serial port. */
  openLine?: (baud: number) => Transport;
  /** Build the profiling firmware (kit flash --profile, for kit verify --profile --port). */
  profile?: boolean;
}

export interface EspIdfFlashResult extends EspIdfProject {
  /** How it was flashed. */
  route: 'idf.py' | 'esptool-js';
}

/** The idf.py arguments that build and flash the project (the same line the errors print). */
export function idfFlashArgs(dir: string, port: string, baud: number): string[] {
  return ['-C', dir, '-p', port, '-b', String(baud), 'build', 'flash'];
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export async function flashWithEspIdf(opts: EspIdfFlashOptions): Promise<EspIdfFlashResult> {
  const { board } = opts;
  const log = opts.log ?? (() => {});
  const env = opts.env ?? process.env;
  if (board.flash.method !== 'esptool') throw new KitError('board-unsupported', 'device', `${board.name} is not flashed with ESP-IDF`);
  const baud = board.flash.baud;

  const project = writeEspIdfProject({ project: opts.project, board, manifest: opts.manifest, profile: opts.profile });
  const { plan } = project;
  log(`ESP-IDF project for ${board.name} in ${project.dir}`);
  log(
    `  app partition ${thousands(plan.appBytes)} B of ${thousands(plan.appMaxBytes)} (model ${thousands(plan.modelBytes)} + ESP-IDF ${thousands(plan.runtimeBytes)} allowance + margin); ` +
      `UART${board.espIdf!.uart} at ${board.serial.baud} baud`,
  );

  const portShown = opts.port ?? '<port>';
  const byHand = `idf.py ${idfFlashArgs(project.dir, portShown, baud).map(shellQuote).join(' ')}`;
  if (!opts.port) {
    throw new KitError(
      'no-port',
      'device',
      `kit flash needs the serial port of the ${board.name} board (--port)`,
      `e.g. --port /dev/ttyUSB0 or /dev/ttyACM0, the board's USB-UART bridge; the ESP-IDF project is ready in ${project.dir}`,
    );
  }
  const idfPy = opts.image ? undefined : findOnPath(IDF_PY, env.PATH);
  if (idfPy) {
    log(`$ ${byHand}`);
    await runIdfPy(idfPy, idfFlashArgs(project.dir, opts.port, baud), env, `building and flashing ${board.name} on ${opts.port}`, `see ESP-IDF's output above; the project is in ${project.dir}`);
    return { ...project, route: 'idf.py' };
  }
  // No ESP-IDF here: flash a build of this project made where ESP-IDF is (checked to hold this model).
  const ownBuild = join(project.dir, 'build');
  const image = opts.image ?? (existsSync(join(ownBuild, FLASHER_ARGS)) ? ownBuild : undefined);
  if (!image) {
    throw new KitError(
      'idf-missing',
      'device',
      'ESP-IDF not found (idf.py not on PATH)',
      `install ESP-IDF v5 and run \`. $IDF_PATH/export.sh\`, then \`${byHand}\`; or build ${project.dir} with \`idf.py build\` on a machine that has ESP-IDF and flash its build folder with kit flash --image DIR`,
    );
  }
  const images = readEspIdfBuild(image);
  log(`flashing the ESP-IDF build in ${images.dir} with esptool-js (no ESP-IDF needed)`);
  await flashOverSerial({ images, board, port: opts.port, modelHash: opts.manifest.modelHash, openLine: opts.openLine, log });
  return { ...project, route: 'esptool-js' };
}
