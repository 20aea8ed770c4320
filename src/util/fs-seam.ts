import * as fs from 'node:fs';

/**
 * The file-system calls through which every artefact is written. They are gathered in one mutable
 * object so that a test can make any single write fail (disk full, permission denied) and check
 * what is left on disk, while the stage itself runs unchanged.
 */
export const fsSeam = {
  /** Writes a whole file and flushes it to the disk before returning. */
  writeFile(path: string, data: Uint8Array | string | (Uint8Array | string)[]): void {
    const fd = fs.openSync(path, 'w');
    try {
      for (const c of Array.isArray(data) ? data : [data]) {
        const bytes = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
        let off = 0;
        while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  mkdir(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  },
  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  },
};
