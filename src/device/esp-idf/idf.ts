/**
 * idf.py, ESP-IDF's front end: found on PATH (ESP-IDF's export.sh puts it there, together with the
 * Xtensa toolchain, CMake, Ninja and the Python environment it needs), and run with its output
 * streamed to the user's terminal, since a first build takes minutes and says what it is doing.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KitError } from '../../errors.js';

export const IDF_PY = 'idf.py';

/** The first executable `name` on a PATH string, or undefined. */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs idf.py with these arguments; resolves on exit 0, else a one-line KitError. */
export function runIdfPy(idfPy: string, args: string[], env: NodeJS.ProcessEnv, what: string, hint: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(idfPy, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => fail(new KitError('idf-failed', 'device', `could not start ${idfPy}: ${e.message}`, hint)));
    child.on('exit', (code, signal) => {
      if (code === 0) return done();
      fail(new KitError('idf-failed', 'device', `${what} failed: idf.py ${signal ? `was killed by ${signal}` : `exited with ${code}`}`, hint));
    });
  });
}
