/**
 * kit flash for the ESP32 boards: write the ESP-IDF project, then build and flash it with idf.py
 * on the given serial port. Without ESP-IDF the project is still written, and the error says what
 * to install and the exact command to run by hand.
 */
import { thousands } from '../../codegen/c-format.js';
import type { CodegenManifest } from '../../codegen/codegen-manifest.js';
import { KitError } from '../../errors.js';
import type { Board } from '../boards.js';
import { findOnPath, IDF_PY, runIdfPy } from './idf.js';
import { type EspIdfProject, writeEspIdfProject } from './project.js';

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
}

/** The idf.py arguments that build and flash the project (the same line the errors print). */
export function idfFlashArgs(dir: string, port: string, baud: number): string[] {
  return ['-C', dir, '-p', port, '-b', String(baud), 'build', 'flash'];
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export async function flashWithEspIdf(opts: EspIdfFlashOptions): Promise<EspIdfProject> {
  const { board } = opts;
  const log = opts.log ?? (() => {});
  const env = opts.env ?? process.env;
  if (board.flash.method !== 'esptool') throw new KitError('board-unsupported', 'device', `${board.name} is not flashed with ESP-IDF`);
  const baud = board.flash.baud;

  const project = writeEspIdfProject({ project: opts.project, board, manifest: opts.manifest });
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
  const idfPy = findOnPath(IDF_PY, env.PATH);
  if (!idfPy) {
    throw new KitError(
      'idf-missing',
      'device',
      'ESP-IDF not found (idf.py not on PATH)',
      `install ESP-IDF v5 and run \`. $IDF_PATH/export.sh\`, then \`${byHand}\`; the project is ready in ${project.dir}`,
    );
  }
  log(`$ ${byHand}`);
  await runIdfPy(idfPy, idfFlashArgs(project.dir, opts.port, baud), env, `building and flashing ${board.name} on ${opts.port}`, `see ESP-IDF's output above; the project is in ${project.dir}`);
  return project;
}
