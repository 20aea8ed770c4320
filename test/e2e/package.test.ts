/**
 * The kit a user installs: `npm pack`, the tarball installed into an empty folder without the
 * network (its dependencies come from npm's cache, pinned by this repo's lock file, as after
 * `npm ci`), then `npx kit doctor` and the pipeline with --json on the bundled model and sample,
 * on the host board. Catches files missing from the package, runtime imports of dev dependencies,
 * and paths that only work in a clone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import type { CodegenManifest } from '../../src/codegen/codegen-manifest.js';
import type { VerifyReport } from '../../src/device/verify/verify.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kit-package-'));
after(() => rmSync(work, { recursive: true, force: true }));

const haveCc = await run('cc', ['--version']).then(() => true, () => false);

/** An app whose only dependency is the tarball, locked to the versions of this repo's lock file. */
function writeApp(app: string, tarball: string): void {
  mkdirSync(app);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const dependencies = { kit: `file:${tarball}` };
  const packages: Record<string, unknown> = { '': { name: 'app', dependencies } };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev) packages[path] = entry;
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }, null, 2));
}

test('the packed kit installs offline and runs doctor, quantize, codegen, flash and verify (--json) on the bundled model', { skip: haveCc ? false : 'needs cc for the host board', timeout: 900_000 }, async () => {
  await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const app = join(work, 'app');
  writeApp(app, join(work, tarball));
  // --ignore-scripts: the native training kernels are not built (doctor says so); nothing here trains.
  await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
  const pkg = join(app, 'node_modules', 'kit');
  assert.ok(existsSync(join(pkg, 'dist', 'cli', 'main.js')));
  assert.ok(!existsSync(join(pkg, 'src', 'cli')), 'the TypeScript sources are not shipped');

  const kit = async (...args: string[]) => {
    const r = await run('npx', ['--offline', 'kit', ...args, '--json'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(r.stdout);
  };
  const doctor = await kit('doctor', 'host');
  assert.deepEqual(doctor.boards.map((b: { board: string; usable: boolean }) => [b.board, b.usable]), [['host', true]]);

  const sample = join(pkg, 'test', 'fixtures', 'cifar10-sample');
  cpSync(join(pkg, 'test', 'fixtures', 'resnet8'), join(app, 'resnet8'), { recursive: true });
  const quantized = join(app, 'resnet8', 'int8');
  const q = await kit('quantize', 'resnet8', '--scheme', 'int8', '--data', sample, '--calib', '100', '--eval', '100');
  assert.equal(q.report.scheme, 'int8');
  assert.equal(q.report.evaluation.images, 100);
  assert.deepEqual(q.report, JSON.parse(readFileSync(join(quantized, 'report.json'), 'utf8')));

  const project = join(quantized, 'c-host');
  const c = await kit('codegen', quantized, '--board', 'host');
  // ResNet-8's activations fit the 32 KiB in-place bound exactly (48 KiB layer by layer); 11 layers in the
  // table once its three residual blocks are fused.
  assert.deepEqual([c.memoryPlan.arenaBytes, c.memoryPlan.lowerBound, c.memoryPlan.layerwiseBound, c.layers.length], [32_768, 32_768, 49_152, 11]);
  const manifest = JSON.parse(readFileSync(join(project, 'kit-codegen.json'), 'utf8')) as CodegenManifest;
  const { out, format, ...figures } = c;
  assert.equal(format, 'c');
  assert.equal(out, project);
  assert.deepEqual(manifest.figures, figures);

  const f = await kit('flash', project);
  assert.ok(existsSync(f.firmware), f.firmware);

  const v = (await kit('verify', project, '--data', sample, '--samples', '50')) as VerifyReport;
  assert.equal(v.images, 50);
  assert.equal(v.agreement.bitExact, 1);
  assert.equal(v.accuracy.device, v.accuracy.hostInteger);
  assert.equal(v.confusion.flat().reduce((a, b) => a + b, 0), 50);
  assert.deepEqual(v, JSON.parse(readFileSync(join(project, 'verify-report.json'), 'utf8')));
  assert.match(readFileSync(join(project, 'verify-report.html'), 'utf8'), /<section id="confusion">/);
});
