/**
 * A PyTorch-style ONNX model through the kit command, as a user runs it: import -> quantize ->
 * codegen -> flash -> verify on the emulated Cortex-M4, bit-exact against the host integer reference.
 * (The tiny CNN is untrained: accuracy is not the point here, that the board computes the host's integers is.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { missing } from '../tools.js';
import { tinyCnn } from './tiny-cnn.js';
import { kitSteps, ROOT, SAMPLE } from '../cli/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'kit-onnx-qemu-'));
after(() => rmSync(work, { recursive: true, force: true }));

const kit = kitSteps(join(work, 'cache'));

const skip = missing('qemu-system-arm', 'arm-none-eabi-gcc');

test('int8: kit import -> quantize -> codegen -> flash -> verify is bit-exact on the emulated Cortex-M4', { skip, timeout: 600_000 }, async () => {
  const onnxFile = join(work, 'tiny.onnx');
  writeFileSync(onnxFile, tinyCnn(32));
  const imported = join(work, 'tiny');
  // The model normalizes its input itself (Sub/Div at the input): it reads pixel / 255.
  await assert.rejects(kit('import', onnxFile, '--mean', '0', '--std', '1', '--classes', 'a,b', '--out', imported), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.equal(e.stderr, 'kit import: --classes names 2 classes but the model has 10 outputs (give 10 comma-separated names)\n');
    return true;
  });
  const classes = 'airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck';
  const out = await kit('import', onnxFile, '--mean', '0', '--std', '1', '--classes', classes, '--out', imported);
  assert.match(out.stdout, /imported 9 kit nodes/);
  const quantized = join(imported, 'int8');
  await kit('quantize', imported, '--scheme', 'int8', '--data', SAMPLE, '--calib', '32', '--eval', '16', '--out', quantized);
  const project = join(quantized, 'c-qemu-cortex-m4');
  await kit('codegen', quantized, '--board', 'qemu-cortex-m4', '--out', project);
  await kit('flash', project);
  await kit('verify', project, '--data', SAMPLE, '--samples', '12');
  const report = JSON.parse(readFileSync(join(project, 'verify-report.json'), 'utf8')) as VerifyReport;
  assert.equal(report.images, 12);
  assert.equal(report.agreement.bitExact, 1, `mismatches: ${JSON.stringify(report.mismatches.slice(0, 2))}`);
  assert.equal(report.accuracy.device, report.accuracy.hostInteger);
});
