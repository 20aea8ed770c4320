/**
 * What kit needs on this machine, checked: per board, the programs its JSON names (and its
 * compiler), so boards added as JSON need no code here; for training, the native kernels and the
 * OpenBLAS they link, and the optional TensorFlow packages.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { howToGet, knownBoards, loadBoard, type Board, type Requirement } from '../device/boards.js';
import { loadNativeAddon } from '../train/backend/native-addon.js';
import { optionalImport } from '../util/optional-import.js';

export interface ToolCheck {
  command: string;
  for: string;
  optional: boolean;
  /** Where it was found on PATH, or null. */
  path: string | null;
  /** How to get it, when missing. */
  howToGet: string | null;
}

export interface BoardCheck {
  board: string;
  usable: boolean;
  tools: ToolCheck[];
}

export interface TrainingCheck {
  native: { ok: boolean; blas: string | null; detail: string };
  openblas: { ok: boolean; detail: string };
  optional: { package: string; installed: boolean; for: string }[];
}

/** The executable `command` resolves to on PATH (as a shell would find it), or null. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | null {
  if (command.includes('/')) return isExecutable(command) ? command : null;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    if (isExecutable(file)) return file;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The board's requirements, its compiler first if the JSON did not list it. */
export function boardRequirements(board: Board): Requirement[] {
  const listed = board.requires;
  if (listed.some((r) => r.command === board.toolchain.compiler)) return listed;
  return [{ command: board.toolchain.compiler, for: 'compiling for the board', debian: [], optional: false }, ...listed];
}

export function checkBoard(board: Board, path?: string): BoardCheck {
  const tools = boardRequirements(board).map((r) => {
    const found = findOnPath(r.command, path);
    return { command: r.command, for: r.for, optional: r.optional, path: found, howToGet: found ? null : howToGet(board, r.command) };
  });
  return { board: board.name, usable: tools.every((t) => t.optional || t.path !== null), tools };
}

export function checkBoards(names: string[] = knownBoards(), path?: string): BoardCheck[] {
  return names.map((n) => checkBoard(loadBoard(n), path));
}

/** Where Debian and most distributions put libopenblas. */
const OPENBLAS_LIBS = ['/usr/lib/x86_64-linux-gnu/libopenblas.so.0', '/usr/lib/aarch64-linux-gnu/libopenblas.so.0', '/usr/lib64/libopenblas.so.0', '/usr/lib/libopenblas.so.0', '/usr/local/lib/libopenblas.so.0'];

export async function checkTraining(): Promise<TrainingCheck> {
  const native = loadNativeAddon();
  const blas = native.ok ? native.addon.info().blas : null;
  const dnnl = native.ok ? native.addon.info().dnnl : '';
  const convs = dnnl ? `convolutions on ${dnnl}` : 'convolutions on kit\'s own kernels (built without libdnnl-dev)';
  const lib = OPENBLAS_LIBS.find((f) => existsSync(f));
  return {
    native: native.ok
      ? { ok: true, blas, detail: `loaded, ${native.threads} threads, BLAS ${blas || 'none'}, ${convs}` }
      : { ok: false, blas: null, detail: `${native.reason}; training falls back to WebAssembly (slower); with g++ and libopenblas-dev installed (kit setup), build them with npm rebuild kit (in a clone: npm run build:native)` },
    openblas: lib ? { ok: true, detail: lib } : { ok: false, detail: 'not found: apt-get install libopenblas-dev (kit setup installs it), then npm rebuild kit' },
    optional: [
      { package: '@tensorflow/tfjs-node-gpu', installed: await optionalImport('@tensorflow/tfjs-node-gpu'), for: 'training on an NVIDIA GPU' },
      { package: '@tensorflow/tfjs-node', installed: await optionalImport('@tensorflow/tfjs-node'), for: 'training on libtensorflow' },
    ],
  };
}
