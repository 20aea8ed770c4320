import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-device-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { kitError } from '../kit-error.js';

/** The reason to skip when a command is missing (an error under KIT_REQUIRE_TOOLS=1): test/tools.ts. */
export { missing } from '../tools.js';

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
