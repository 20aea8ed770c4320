import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import { KitError } from '../errors.js';
import { cacheDir, cacheKey } from './cache.js';

const ARCHIVE_NAME = /\.(tar\.gz|tgz|tar)$/i;

export function isArchivePath(path: string): boolean {
  return ARCHIVE_NAME.test(path);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp folders that an earlier, interrupted extraction into `dest` left behind. Only those
 * of dead processes: a live one may be extracting the same archive right now.
 */
function removeStaleTemps(dest: string): void {
  const prefix = `${basename(dest)}.tmp-`;
  for (const name of readdirSync(dirname(dest))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) rmSync(join(dirname(dest), name), { recursive: true, force: true });
  }
}

/**
 * Extracts a .tar.gz/.tgz/.tar so that `dest` appears all at once: everything is unpacked into a
 * temp sibling and renamed into place only when tar finished without error, so a crash or Ctrl-C
 * mid-way never leaves a half-filled `dest` that a later run would trust. With `subdir`, only
 * that folder of the archive becomes `dest` (e.g. `cifar-10-batches-bin`). Returns `dest`.
 */
export function extractArchive(file: string, dest: string, opts: { subdir?: string } = {}): string {
  mkdirSync(dirname(dest), { recursive: true });
  removeStaleTemps(dest);
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    try {
      // strict turns node-tar's warnings (bad checksum, unexpected EOF) into thrown errors; node-tar
      // also refuses absolute paths and `..`, so an archive cannot write outside `tmp`.
      // macOS tar adds `._name.jpg` AppleDouble metadata files beside each image; they are not images.
      tar.x({ file, cwd: tmp, sync: true, strict: true, filter: (p) => !basename(p).startsWith('._') });
    } catch (e) {
      throw new KitError('corrupt-archive', 'data', `${file} is not a readable .tar.gz: ${(e as Error).message}`, 're-download it');
    }
    const src = opts.subdir ? join(tmp, opts.subdir) : tmp;
    if (!existsSync(src) || !statSync(src).isDirectory()) {
      throw new KitError('unknown-archive', 'data', `${file} has no ${opts.subdir}/ folder`, 'is it the right archive? re-download it');
    }
    try {
      renameSync(src, dest);
    } catch (e) {
      // Another process finished the same extraction first: theirs is as good as ours.
      if (!existsSync(dest)) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dest;
}

/**
 * Extracts an archive once into kit's cache (keyed by its path, size and mtime, so a replaced
 * archive is extracted afresh) and returns the extracted folder.
 */
export function extractArchiveToCache(file: string): string {
  const abs = resolve(file);
  const st = statSync(abs);
  const dest = join(cacheDir('extracted'), cacheKey(['archive', abs, st.size, st.mtimeMs]));
  return existsSync(dest) ? dest : extractArchive(abs, dest);
}
