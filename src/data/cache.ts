import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { itemBytes, type ImageData, type LabelledImages } from './types.js';

// Version 2: the header names the image shape, and a dataset may have no train split.
const MAGIC = 'KITIMG2\n';

/** kit's cache folder: $KIT_CACHE_DIR, else $XDG_CACHE_HOME/kit, else ~/.cache/kit. */
export function cacheDir(...parts: string[]): string {
  const base = process.env.KIT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kit');
  const dir = join(base, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function cacheKey(fingerprint: unknown): string {
  return createHash('sha256').update(JSON.stringify(fingerprint)).digest('hex').slice(0, 32);
}

/**
 * Decoded datasets are cached as one file: a magic line, a JSON header, then the raw train and
 * test pixels and labels, so a later run maps them back without decoding a single JPEG.
 */
export function readDatasetCache(key: string): ImageData | undefined {
  const file = join(cacheDir('images'), `${key}.bin`);
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  if (buf.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined;
  const headerLen = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  let header: { classes: string[]; source: string; shape: number[]; train: number | null; test: number };
  try {
    header = JSON.parse(buf.subarray(start, start + headerLen).toString('utf8'));
  } catch {
    return undefined;
  }
  let off = start + headerLen;
  const n = itemBytes(header.shape);
  const take = (count: number): LabelledImages => {
    const images = new Uint8Array(buf.buffer, buf.byteOffset + off, count * n);
    off += count * n;
    const labels = new Uint8Array(buf.buffer, buf.byteOffset + off, count);
    off += count;
    return { images, labels, count, shape: [...header.shape] };
  };
  const expected = off + ((header.train ?? 0) + header.test) * (n + 1);
  if (buf.length !== expected) return undefined;
  const train = header.train === null ? null : take(header.train);
  const test = take(header.test);
  return { train, test, classes: header.classes, source: header.source };
}

export function writeDatasetCache(key: string, ds: ImageData): void {
  const header = Buffer.from(JSON.stringify({ classes: ds.classes, source: ds.source, shape: ds.test.shape, train: ds.train?.count ?? null, test: ds.test.count }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  writeFileAtomic(join(cacheDir('images'), `${key}.bin`), [
    Buffer.from(MAGIC, 'latin1'),
    len,
    header,
    ...(ds.train ? [ds.train.images, ds.train.labels] : []),
    ds.test.images,
    ds.test.labels,
  ]);
}
