import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { SourceFile } from './schema.js';

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Size and sha256 of files a graph was built from, recorded by base name. */
export async function describeFiles(paths: string[]): Promise<SourceFile[]> {
  return Promise.all(
    paths.map(async (p) => ({ path: basename(p), bytes: (await stat(p)).size, sha256: sha256(await readFile(p)) })),
  );
}
