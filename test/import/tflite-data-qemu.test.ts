/**
 * An imported int8 .tflite (the concat / int8 quantize / mean / dense / softmax test model) on the
 * emulated Cortex-M4, fed an image folder whose images match its 7x6x3 input: labels from the
 * folder names, pixels quantized with the model's input scale under --mean/--std. The board must
 * agree byte for byte with the host, and the accuracy reported must be the one the integer
 * reference gets on the same inputs, computed here independently.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { graphToTflite } from '../../src/import/tflite/from-graph.js';
import { readTflite } from '../../src/import/tflite/reader.js';
import { tfliteToGraph } from '../../src/import/tflite/to-graph.js';
import { writeTflite } from '../../src/import/tflite/writer.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { argmax } from '../../src/quantize/evaluate.js';
import { clamp, roundHalfAwayFromZero } from '../../src/quantize/fixed-point.js';
import { concatHead } from './models.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const haveQemu = await run('qemu-system-arm', ['--version']).then(() => true, () => false);
const haveArmGcc = await run('arm-none-eabi-gcc', ['--version']).then(() => true, () => false);

const CLASSES = ['ant', 'bee', 'cow', 'doe', 'eel', 'fox'];
const [H, W] = [7, 6];
const MEAN = 0.5;
const STD = 0.25;

/** Image k's pixel (y, x, c): one channel bright per image, so the model's answers vary. */
const pixel = (k: number, y: number, x: number, c: number) => (c === k % 3 ? 255 - ((k * 7 + y * 13 + x * 5) % 60) : (k * 31 + y * 11 + x * 19 + c * 5) % 90);
const COUNT = 30;

test('an imported int8 .tflite (concat, quantize, mean, softmax) verified on QEMU from an image folder: bit-exact, accuracy from the folder labels', { skip: haveQemu && haveArmGcc ? false : 'needs qemu-system-arm and arm-none-eabi-gcc' }, async (t) => {
  const kit = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, maxBuffer: 1 << 24 });
  const work = mkdtempSync(join(tmpdir(), 'kit-tflite-folder-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  // Seed 13: a random head whose answers on these images spread over three classes.
  const graph = tfliteToGraph(readTflite(writeTflite(graphToTflite(concatHead(13))), 'head.tflite'), 'head.tflite').graph;
  assert.deepEqual(graph.nodes.map((n) => n.op), ['conv2d', 'conv2d', 'conv2d', 'concat', 'quantize', 'mean', 'dense', 'softmax']);
  writeFileSync(join(work, 'head.tflite'), writeTflite(graphToTflite(graph)));

  // The integer reference's class for each image, on inputs quantized here independently of kit's
  // loader: q = round((p/255 - mean) / std / scale) + zero point.
  const { scale, zeroPoint } = { scale: graph.tensors.image.quant!.scale[0], zeroPoint: graph.tensors.image.quant!.zeroPoint[0] };
  const interp = new Interpreter(graph);
  const predicted = Array.from({ length: COUNT }, (_, i) => {
    const input = new Int8Array(H * W * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) input[(y * W + x) * 3 + c] = clamp(roundHalfAwayFromZero((pixel(i, y, x, c) / 255 - MEAN) / STD / scale) + zeroPoint, -128, 127);
    return argmax(interp.run(new Uint8Array(input.buffer)));
  });
  assert.ok(new Set(predicted).size >= 3, `the images reach ${new Set(predicted).size} classes`);

  // The folder: every class folder exists (some stay empty); image i goes into the folder of its
  // predicted class, except every fourth, which goes into the next class's: the accuracy is known.
  const photos = join(work, 'photos');
  for (const cls of CLASSES) mkdirSync(join(photos, cls), { recursive: true });
  let right = 0;
  predicted.forEach((cls, i) => {
    const label = i % 4 === 0 ? (cls + 1) % CLASSES.length : cls;
    if (label === cls) right++;
    const png = new PNG({ width: W, height: H });
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 4; c++) png.data[(y * W + x) * 4 + c] = c === 3 ? 255 : pixel(i, y, x, c);
    writeFileSync(join(photos, CLASSES[label], `${String(i).padStart(2, '0')}.png`), PNG.sync.write(png));
  });

  await kit('import', join(work, 'head.tflite'), '--out', join(work, 'head'));
  const project = join(work, 'head', 'c-qemu-cortex-m4');
  await kit('codegen', join(work, 'head'), '--board', 'qemu-cortex-m4', '--out', project);
  await kit('flash', project);
  const verified = await kit('verify', project, '--data', photos, '--all', '--mean', String(MEAN), '--std', String(STD));
  const report = JSON.parse(readFileSync(join(project, 'verify-report.json'), 'utf8')) as VerifyReport;
  assert.equal(report.images, COUNT);
  assert.equal(report.agreement.bitExact, 1, verified.stdout);
  assert.equal(report.accuracy.device, right / COUNT);
  assert.equal(report.accuracy.hostInteger, right / COUNT);
  assert.equal(report.accuracy.hostFloat, null);
});
