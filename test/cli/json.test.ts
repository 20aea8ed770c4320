/**
 * The CLI's habits: --json on every command (one JSON document on stdout, the figures of the text),
 * --version, --help with an example, colour only on a terminal and never with NO_COLOR.
 * The pipeline commands (quantize, codegen, flash, verify) are run with --json from the packed
 * package in test/e2e/package.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { colorEnabled, paint } from '../../src/cli/output.js';
import { createProgram } from '../../src/cli/program.js';
import { kit, onlyJson, ROOT } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'kit-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const SAMPLE = join(ROOT, 'test', 'fixtures', 'cifar10-sample');

test('kit --version prints the package version; every command has --json and an example in its --help', () => {
  // In-process: starting the CLI ten times would cost a minute of CI.
  const program = createProgram();
  let text = '';
  program.exitOverride().configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  assert.throws(() => program.parse(['node', 'kit', '--version']), { code: 'commander.version' });
  assert.equal(text.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  const names = program.commands.map((c) => c.name());
  for (const c of ['data', 'models', 'train', 'quantize', 'codegen', 'flash', 'verify', 'report', 'doctor', 'setup']) assert.ok(names.includes(c), `kit has ${c}: ${names}`);
  for (const cmd of program.commands) {
    text = '';
    cmd.outputHelp();
    assert.match(text, /--json/, `kit ${cmd.name()} --help`);
    assert.match(text, /Examples?:\n {2}\$ kit /, `kit ${cmd.name()} --help has an example`);
  }
});

test('kit models --json: the figures of the table (ResNet-8: 78,666 parameters, 12,501,632 MACs)', async () => {
  const r = await kit(['models', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = onlyJson<{ models: { name: string; params: number; macs: number; int8Bytes: number }[] }>(r);
  const resnet8 = doc.models.find((m) => m.name === 'resnet8')!;
  assert.deepEqual([resnet8.params, resnet8.macs], [78_666, 12_501_632]);
  assert.deepEqual(doc.models.map((m) => m.name).sort(), ['resnet-seed', 'resnet8']);
});

test('kit train --json: one document with the manifest, the progress on stderr', async () => {
  const out = join(work, 'train');
  const r = await kit(['train', '--model', 'resnet8', '--data', SAMPLE, '--out', out, '--epochs', '1', '--batch', '16', '--val', '0', '--limit-train', '32', '--limit-test', '16', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = onlyJson<{ completed: boolean; manifest: { model: string; testAccuracy: number; architecture: { params: number } } }>(r);
  assert.equal(doc.completed, true);
  assert.equal(doc.manifest.model, 'resnet8');
  assert.equal(doc.manifest.architecture.params, 78_666);
  assert.deepEqual(doc.manifest, JSON.parse(readFileSync(join(out, 'kit.json'), 'utf8')));
  assert.match(r.stderr, /epoch 1\/1/);
});

test('kit data --json names the extracted folder', async () => {
  const dir = join(work, 'data');
  const bin = join(dir, 'cifar-10-batches-bin');
  mkdirSync(bin, { recursive: true });
  for (const f of ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']) writeFileSync(join(bin, `${f}.bin`), Buffer.alloc(3073));
  const r = await kit(['data', 'cifar10', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(onlyJson(r), { dataset: 'cifar10', folder: bin });
});

test('kit doctor reads a new board\'s needs from its JSON and exits 1 when it cannot be used', async () => {
  const host = JSON.parse(readFileSync(join(ROOT, 'boards', 'host.json'), 'utf8'));
  const board = join(work, 'imaginary.json');
  writeFileSync(
    board,
    JSON.stringify({
      ...host,
      name: 'imaginary',
      toolchain: { ...host.toolchain, compiler: 'imaginary-elf-gcc' },
      requires: [{ command: 'qemu-system-imaginary', for: 'running it on the emulated board', debian: ['qemu-system-imaginary'] }],
    }),
  );
  const r = await kit(['doctor', board, 'host', '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = onlyJson<{ boards: { board: string; usable: boolean; tools: { command: string; path: string | null; howToGet: string | null }[] }[]; training: { native: { ok: boolean } } }>(r);
  const [imaginary, hostCheck] = doc.boards;
  assert.equal(imaginary.usable, false);
  // The compiler the board JSON names is checked although its requires do not list it.
  assert.deepEqual(imaginary.tools.map((t) => [t.command, t.path]), [['imaginary-elf-gcc', null], ['qemu-system-imaginary', null]]);
  assert.match(imaginary.tools[1].howToGet!, /apt-get install qemu-system-imaginary/);
  assert.equal(hostCheck.usable, true, JSON.stringify(hostCheck));
  assert.equal(typeof doc.training.native.ok, 'boolean');

  const text = await kit(['doctor', 'host']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /host +ready/);
  assert.doesNotMatch(text.stdout, /\x1b\[/, 'no colour codes when stdout is not a terminal');
});

test('a failing command under --json prints the error as the JSON document and exits non-zero', async () => {
  const r = await kit(['report', work, '--json']);
  assert.equal(r.code, 1);
  const doc = onlyJson<{ error: { code: string; stage: string; message: string } }>(r);
  assert.equal(doc.error.code, 'report-nothing');
  assert.match(r.stderr, /^kit report: .* holds no kit output/m);
});

test('colour only on a terminal, and never with NO_COLOR', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  const saved = process.env.NO_COLOR;
  try {
    delete process.env.NO_COLOR;
    assert.equal(colorEnabled(tty), true);
    assert.equal(paint('red', 'x', tty), '\x1b[31mx\x1b[39m');
    assert.equal(paint('red', 'x', pipe), 'x');
    process.env.NO_COLOR = '1';
    assert.equal(paint('red', 'x', tty), 'x');
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
});
