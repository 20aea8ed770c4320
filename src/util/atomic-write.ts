import { rmSync } from 'node:fs';
import { fsSeam } from './fs-seam.js';

/**
 * Writes a file so that a reader (or a crash, or Ctrl-C) sees either the old content or the new,
 * never a half-written file: write a temporary sibling, fsync it, then rename over the target.
 */
export function writeFileAtomic(path: string, chunks: Uint8Array | string | (Uint8Array | string)[]): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    fsSeam.writeFile(tmp, chunks);
    fsSeam.rename(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
