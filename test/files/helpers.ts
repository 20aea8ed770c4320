import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { quantizeModel, type QuantizeModelResult } from '../../src/quantize/quantize-model.js';
import { fsSeam } from '../../src/util/fs-seam.js';
import { buildSmallModel } from '../ir/small-model.js';
import { CIFAR_NORMALIZATION } from '../quantize/fixtures.js';
import { syntheticImages } from '../quantize/random.js';
import { saveTrainedModel } from '../quantize/save-model.js';

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-files-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` (relative path -> bytes as hex), folders as entries of their own. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(dir, r)).isDirectory()) {
        out.set(`${r}/`, '');
        walk(r);
      } else out.set(r, readFileSync(join(dir, r)).toString('hex'));
    }
  };
  walk('');
  return out;
}

/** A Node file-system error as the system raises it. */
export function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, '${path}'`), { code, path, errno: -1, syscall: 'write' });
}

type SeamCall = keyof typeof fsSeam;

/**
 * Runs `fn` with the `n`-th call through the file-system seam (0-based, any of writeFile, mkdir,
 * rename) failing with `code`; returns how many calls `fn` made and whether the fault fired.
 */
export async function withFaultAt<T>(n: number, code: string, fn: () => Promise<T>): Promise<{ calls: number; fired: boolean; result?: T; error?: unknown }> {
  const saved = { ...fsSeam };
  let calls = 0;
  let fired = false;
  for (const key of Object.keys(saved) as SeamCall[]) {
    const real = saved[key] as (...a: unknown[]) => void;
    (fsSeam as Record<SeamCall, unknown>)[key] = (...args: unknown[]) => {
      if (calls++ === n) {
        fired = true;
        throw errno(code, String(args[0]));
      }
      return real(...args);
    };
  }
  try {
    const result = await fn();
    return { calls, fired, result };
  } catch (error) {
    return { calls, fired, error };
  } finally {
    Object.assign(fsSeam, saved);
  }
}

/** A small trained model quantized both ways (a few seconds), for writing artefact folders. */
export async function smallQuantized(root: string): Promise<{ int8: QuantizeModelResult; uint8: QuantizeModelResult }> {
  const modelDir = join(root, 'model');
  await saveTrainedModel(modelDir, buildSmallModel(4), { model: 'small', normalization: CIFAR_NORMALIZATION, classes: ['a', 'b', 'c', 'd', 'e'] });
  const images = syntheticImages(12, 5, 8);
  const labels = Uint8Array.from({ length: 12 }, (_, i) => i % 5);
  const run = (scheme: string) => quantizeModel({ modelDir, scheme, calibImages: { images, count: 12 }, evalSet: { images, labels, count: 12 } });
  return { int8: await run('int8'), uint8: await run('uint8') };
}
