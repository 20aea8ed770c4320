import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { Board } from '../../src/device/boards.js';
import { missing, unavailable } from '../tools.js';

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-device-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { kitError } from '../kit-error.js';

/** The reason to skip when a command is missing (an error under KIT_REQUIRE_TOOLS=1): test/tools.ts. */
export { missing } from '../tools.js';

/**
 * The reason to skip a board's emulated tests when its emulator, its compiler or the C library
 * headers for it are missing, else false (an error under KIT_REQUIRE_TOOLS=1, as for missing()).
 */
export function missingForBoard(board: Board): string | false {
  const commands = [board.toolchain.compiler, ...(board.flash.method === 'qemu' ? [board.flash.system] : [])];
  const gone = missing(...commands);
  if (gone) return gone;
  const r = spawnSync(board.toolchain.compiler, [...board.toolchain.cflags, '-fsyntax-only', '-x', 'c', '-'], { input: '#include <string.h>\n#include <stdint.h>\n', encoding: 'utf8' });
  return unavailable(r.status === 0 ? false : `needs the C library headers for ${board.toolchain.compiler} (bash .ci/setup installs them)`);
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
