import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { PNG } from 'pngjs';
import { CIFAR10_CLASSES } from '../../src/data/types.js';
import { Rng } from '../../src/util/rng.js';

export function tmpDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kit-${tag}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A learnable toy CIFAR: each class is a distinct colour with seeded noise and a random bright
 * square, written as an ImageFolder of PNGs. A ResNet separates it within a few steps.
 */
export function writeToyDataset(root: string, perClassTrain: number, perClassTest: number): string {
  const rng = new Rng(42);
  let n = 0;
  for (const [split, count] of [['train', perClassTrain], ['test', perClassTest]] as const) {
    CIFAR10_CLASSES.forEach((cls, label) => {
      const dir = join(root, split, cls);
      mkdirSync(dir, { recursive: true });
      const base = [(label * 53) % 256, (label * 101 + 40) % 256, (label * 197 + 90) % 256];
      for (let i = 0; i < count; i++) {
        const png = new PNG({ width: 32, height: 32 });
        const sy = rng.int(24);
        const sx = rng.int(24);
        for (let p = 0; p < 1024; p++) {
          const inSquare = Math.floor(p / 32) - sy < 8 && Math.floor(p / 32) >= sy && (p % 32) - sx < 8 && p % 32 >= sx;
          for (let c = 0; c < 3; c++) png.data[p * 4 + c] = inSquare ? 255 : Math.max(0, Math.min(255, base[c] + rng.int(61) - 30));
          png.data[p * 4 + 3] = 255;
        }
        writeFileSync(join(dir, `${String(n++).padStart(4, '0')}.png`), PNG.sync.write(png));
      }
    });
  }
  return root;
}
