/**
 * Artefacts are replaced as a whole: a stage writes its new folder (or its set of files) under a
 * temporary name beside the old one and swaps it in only once every file is on disk. A failure at
 * any point (disk full, permission denied, a bug, Ctrl-C) leaves the old artefact as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { KitError, type Stage } from '../errors.js';
import { fsUserError } from './fs-errors.js';
import { fsSeam } from './fs-seam.js';

export interface ReplaceFolderOptions {
  /** The stage named in error messages. */
  stage: Stage;
  /**
   * Entries of the old folder that belong to this stage although the new folder does not write
   * them again (stale files); they are dropped. Every other entry of the old folder (another
   * stage's subfolder, such as kit codegen's c-<board> under a quantized folder, or a user's file)
   * is carried over into the new folder untouched.
   */
  owns?: (name: string, path: string) => boolean;
}

const suffix = () => `${process.pid}-${randomBytes(4).toString('hex')}`;
const TEMP = /^\.(.+)\.(tmp|old)-(\d+)-[0-9a-f]{8}$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tidies what a killed run left beside `target`: a half-written new folder is removed, and an old
 * folder that was set aside for the swap (the run died between the two renames) is put back.
 */
function recover(parent: string, base: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || m[1] !== base || alive(Number(m[3]))) continue;
    const path = join(parent, name);
    if (m[2] === 'old' && !existsSync(join(parent, base))) renameSync(path, join(parent, base));
    else rmSync(path, { recursive: true, force: true });
  }
}

/** Creates `dir`'s parent folders, with one clear line when a file is in the way or it is not writable. */
export function ensureParent(path: string, stage: Stage): void {
  const parent = dirname(resolve(path));
  try {
    fsSeam.mkdir(parent);
  } catch (e) {
    const file = fileOnPath(parent);
    if (file) throw new KitError('path-is-file', stage, `cannot write ${path}: ${file} is a file, not a folder`, 'choose another --out, or move that file away');
    throw fsUserError(e, stage, parent);
  }
}

/** The nearest existing ancestor of `path` (or itself) when it is a file. */
function fileOnPath(path: string): string | undefined {
  for (let p = path; ; p = dirname(p)) {
    if (existsSync(p)) return statSync(p).isDirectory() ? undefined : p;
    if (dirname(p) === p) return undefined;
  }
}

/** Refuses a path that exists and is a file where a folder is wanted, or that holds the current folder. */
function assertFolderOrMissing(target: string, shown: string, stage: Stage): void {
  const cwd = process.cwd();
  if (cwd === target || cwd.startsWith(`${target}/`)) {
    // Swapping it would leave this process and the shell in a deleted folder.
    throw new KitError('out-holds-cwd', stage, `${shown} is or holds the current folder, and kit replaces an output folder whole`, 'give the output a folder of its own with --out');
  }
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw new KitError('path-is-file', stage, `${shown} is a file, not a folder`, 'choose another --out, or move that file away');
  }
}

/**
 * Checks before a long computation that `path` could be written, leaving nothing behind: no folder
 * on the path is a file, and the nearest existing folder takes a new folder and file (the
 * temporary ones replaceFolder and replaceFiles make there).
 */
function probe(path: string, shown: string, stage: Stage): void {
  const target = resolve(path);
  const file = fileOnPath(dirname(target));
  if (file) throw new KitError('path-is-file', stage, `cannot write ${shown}: ${file} is a file, not a folder`, 'choose another --out, or move that file away');
  let near = dirname(target);
  while (!existsSync(near)) near = dirname(near);
  const tmp = join(near, `.kit-probe.tmp-${suffix()}`);
  try {
    fsSeam.mkdir(tmp);
    fsSeam.writeFile(join(tmp, 'probe'), 'kit');
  } catch (e) {
    throw fsUserError(e, stage, shown);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Checks before a long computation that folder `dir` can be written (see probe). */
export function probeFolder(dir: string, stage: Stage): void {
  assertFolderOrMissing(resolve(dir), dir, stage);
  probe(dir, dir, stage);
}

/** Checks before a long computation that `file` can be written (see probe). */
export function probeFile(file: string, stage: Stage): void {
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new KitError('path-is-folder', stage, `${file} is a folder, not a file`, 'give a file name');
  }
  probe(file, file, stage);
}

/**
 * Writes folder `dir` as a whole: `write` fills a fresh temporary folder beside it, then the old
 * folder's entries that the stage does not own are moved into the new one and the two are swapped
 * by renames. Returns what `write` returned. Paths `write` records point into the temporary
 * folder; `relocate` maps them to their final place.
 */
export async function replaceFolder<T>(dir: string, opts: ReplaceFolderOptions, write: (tmp: string) => Promise<T> | T): Promise<T> {
  const { target, tmp } = startReplace(dir, opts);
  try {
    const result = await write(tmp);
    swapIn(target, tmp, opts.owns);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw fsUserError(e, opts.stage, dir);
  }
}

/** replaceFolder for a `write` that does all its work synchronously. */
export function replaceFolderSync<T>(dir: string, opts: ReplaceFolderOptions, write: (tmp: string) => T): T {
  const { target, tmp } = startReplace(dir, opts);
  try {
    const result = write(tmp);
    swapIn(target, tmp, opts.owns);
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw fsUserError(e, opts.stage, dir);
  }
}

/** Checks `dir` can be replaced, tidies what a killed run left, and makes the temporary folder. */
function startReplace(dir: string, opts: ReplaceFolderOptions): { target: string; tmp: string } {
  const target = resolve(dir);
  const parent = dirname(target);
  const base = basename(target);
  ensureParent(target, opts.stage);
  recover(parent, base);
  assertFolderOrMissing(target, dir, opts.stage);
  const tmp = join(parent, `.${base}.tmp-${suffix()}`);
  try {
    fsSeam.mkdir(tmp);
  } catch (e) {
    throw fsUserError(e, opts.stage, dir);
  }
  return { target, tmp };
}

function swapIn(target: string, tmp: string, owns: ReplaceFolderOptions['owns']): void {
  if (!existsSync(target)) {
    fsSeam.rename(tmp, target);
    return;
  }
  const fresh = new Set(readdirSync(tmp));
  const carried: string[] = [];
  const old = join(dirname(target), `.${basename(target)}.old-${suffix()}`);
  let setAside = false;
  try {
    for (const name of readdirSync(target)) {
      if (fresh.has(name) || owns?.(name, join(target, name))) continue;
      fsSeam.rename(join(target, name), join(tmp, name));
      carried.push(name);
    }
    fsSeam.rename(target, old);
    setAside = true;
    fsSeam.rename(tmp, target);
  } catch (e) {
    // Undo with the plain calls: put the old folder and everything taken from it back.
    if (setAside) renameSync(old, target);
    for (const name of carried) renameSync(join(tmp, name), join(target, name));
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}

/** A path inside the temporary folder `tmp`, moved to the same place under `target`. */
export function relocate(path: string, tmp: string, target: string): string {
  const t = resolve(tmp);
  return path === t || path.startsWith(`${t}/`) ? resolve(target) + path.slice(t.length) : path;
}

/**
 * Replaces a set of files together: every new file is written under a temporary name first (a
 * failure there leaves all old files untouched), then each is renamed over its old version, and
 * if a rename fails the ones already swapped are put back.
 */
export function replaceFiles(files: { path: string; data: Uint8Array | string }[], stage: Stage): void {
  const staged: { path: string; tmp: string }[] = [];
  let current = '';
  try {
    for (const f of files) {
      current = f.path;
      ensureParent(f.path, stage);
      if (existsSync(f.path) && statSync(f.path).isDirectory()) throw new KitError('path-is-folder', stage, `${f.path} is a folder, not a file`, 'give a file name');
      const tmp = `${f.path}.tmp-${suffix()}`;
      staged.push({ path: f.path, tmp });
      fsSeam.writeFile(tmp, f.data);
    }
  } catch (e) {
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw fsUserError(e, stage, current);
  }
  const swapped: { path: string; backup?: string }[] = [];
  try {
    for (const s of staged) {
      current = s.path;
      const backup = existsSync(s.path) ? `${s.path}.old-${suffix()}` : undefined;
      if (backup) fsSeam.rename(s.path, backup);
      swapped.push({ path: s.path, backup });
      fsSeam.rename(s.tmp, s.path);
    }
  } catch (e) {
    for (const w of swapped.reverse()) {
      rmSync(w.path, { force: true });
      if (w.backup && existsSync(w.backup)) renameSync(w.backup, w.path);
    }
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw fsUserError(e, stage, current);
  }
  for (const w of swapped) if (w.backup) rmSync(w.backup, { force: true });
}
