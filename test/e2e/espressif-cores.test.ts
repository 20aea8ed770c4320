/**
 * The bundled ResNet-8 on the two emulated Espressif-class cores, through the library calls the
 * kit command makes (quantize -> codegen -> flash -> verify): `qemu-xtensa` (lx106, which traps on
 * unaligned word access as an ESP32 does) and `qemu-riscv32` (rv32imc, the ESP32-C3's instruction
 * set). Every image's logits must equal the host integer reference byte for byte.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { codegen } from '../../src/codegen/index.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { sampleImages } from '../../src/data/sample.js';
import { loadBoard } from '../../src/device/boards.js';
import { buildFirmware } from '../../src/device/build.js';
import { verifyOnDevice } from '../../src/device/verify/verify.js';
import { loadFloatGraph, loadQuantized, quantizeModel, saveQuantized } from '../../src/quantize/index.js';
import { missingForBoard, tmpDir } from '../device/helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SAMPLE = join(ROOT, 'test', 'fixtures', 'cifar10-sample');
const work = tmpDir('espressif-cores');
const data = loadDataset(SAMPLE);

/** Quantized like `kit quantize --calib 200` (seed 1), written where `kit codegen` reads it; once for both boards. */
const made = new Map<string, Promise<string>>();
function quantized(scheme: 'int8' | 'uint8'): Promise<string> {
  if (!made.has(scheme)) made.set(scheme, quantize(scheme));
  return made.get(scheme)!;
}

async function quantize(scheme: 'int8' | 'uint8'): Promise<string> {
  const calib = sampleImages(data.train, 200, 1);
  const result = await quantizeModel({ modelDir: join(ROOT, 'test', 'fixtures', 'resnet8'), scheme, calibImages: { images: calib.images, count: calib.count, split: 'train' } });
  const dir = join(work, scheme);
  await saveQuantized(dir, result);
  return dir;
}

/** kit codegen + kit flash + kit verify, as the commands call them. */
async function verifyOn(boardName: string, quantizedDir: string, samples: number) {
  const board = loadBoard(boardName);
  const project = join(quantizedDir, `c-${boardName}`);
  const gen = await codegen({ quantizedDir, board: boardName, outDir: project });
  const build = await buildFirmware({ board, modelDir: project, outDir: join(project, 'build') });
  const { graph } = await loadQuantized(quantizedDir);
  const report = await verifyOnDevice({
    graph,
    floatGraph: await loadFloatGraph(quantizedDir),
    modelHash: gen.hash,
    board,
    set: sampleImages(data.test, samples, 1),
    firmware: build.file,
    jobs: 2,
  });
  return { gen, report };
}

/** Exact instructions per ResNet-8 inference (median) lie in these bounds: the counters count every instruction, nothing else. */
const INSTRUCTIONS: Record<string, [number, number]> = {
  // ~12.5 M MACs in portable C: at least 2 instructions per MAC, and not over 12.
  'qemu-xtensa': [25e6, 150e6],
  'qemu-riscv32': [25e6, 150e6],
};

for (const boardName of ['qemu-xtensa', 'qemu-riscv32']) {
  const skip = missingForBoard(loadBoard(boardName));
  describe(`ResNet-8 on ${boardName}`, { skip }, () => {
    let int8: string;
    let uint8: string;
    before(async () => {
      int8 = await quantized('int8');
      uint8 = await quantized('uint8');
    });

    test('int8: 200 CIFAR-10 test images, every logit bit-exact with the host', { timeout: 900_000 }, async () => {
      const { gen, report } = await verifyOn(boardName, int8, 200);
      // The 32 KiB in-place bound, as on every board: the plan does not depend on the core.
      assert.equal(gen.plan.arenaBytes, 32_768);
      assert.equal(report.images, 200);
      assert.equal(report.agreement.bitExact, 1, `mismatches: ${JSON.stringify(report.mismatches.slice(0, 2))}`);
      assert.equal(report.accuracy.device, report.accuracy.hostInteger);
      assert.ok((report.accuracy.device ?? 0) >= 0.8, `on-device accuracy ${report.accuracy.device}`);
      const [lo, hi] = INSTRUCTIONS[boardName];
      assert.ok(report.latency.medianInstructions! > lo && report.latency.medianInstructions! < hi, `instructions ${report.latency.medianInstructions}`);
      assert.equal(report.latency.medianInstructions, report.latency.medianTicks, 'one tick per instruction');
    });

    test('uint8: 20 images, bit-exact', { timeout: 600_000 }, async () => {
      const { report } = await verifyOn(boardName, uint8, 20);
      assert.equal(report.images, 20);
      assert.equal(report.agreement.bitExact, 1, `mismatches: ${JSON.stringify(report.mismatches.slice(0, 2))}`);
    });
  });
}
