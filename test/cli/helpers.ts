import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

export interface KitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the kit CLI from the sources, as `kit ...` would; never throws on a non-zero exit. */
export async function kit(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<KitRun> {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** stdout must be exactly one JSON document. */
export function onlyJson<T = Record<string, unknown>>(r: KitRun): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout.slice(0, 2000)}\nstderr:\n${r.stderr.slice(0, 2000)}`);
  }
}

/** The bundled 400-image CIFAR-10 sample. */
export const SAMPLE = join(ROOT, 'test', 'fixtures', 'cifar10-sample');

/**
 * A `kit` for a test's pipeline steps, each of which must succeed, with downloads cached in `cache`:
 * a failing step throws an error that carries kit's exit code, stdout and stderr.
 */
export function kitSteps(cache: string): (...args: string[]) => Promise<KitRun> {
  return async (...args) => {
    const r = await kit(args, { env: { KIT_CACHE_DIR: cache } });
    if (r.code !== 0) throw Object.assign(new Error(`kit ${args.join(' ')} exited with ${r.code}:\n${r.stderr}`), r);
    return r;
  };
}
