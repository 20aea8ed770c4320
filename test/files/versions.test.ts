/**
 * Every reader refuses a manifest or report of a schema version it does not know, in one line that
 * says which kit wrote it and what to do, instead of reading it as if it were its own.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateC } from '../../src/codegen/generate.js';
import { readCodegenManifest, writeCodegenManifest } from '../../src/codegen/codegen-manifest.js';
import { loadReport, saveQuantized } from '../../src/quantize/artefact.js';
import { loadReportSources } from '../../src/report/load.js';
import { readModelFacts } from '../../src/train/manifest.js';
import { KIT_VERSION } from '../../src/version.js';
import { kit, ROOT } from '../cli/helpers.js';
import { kitError } from '../kit-error.js';
import { smallQuantized, tmpDir } from './helpers.js';

const edit = (file: string, change: (json: Record<string, unknown>) => void) => {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(json);
  writeFileSync(file, JSON.stringify(json));
};

test('kit.json of schema 99 (or none) is refused, saying which kit wrote it', async () => {
  const model = join(tmpDir('kit-json'), 'm');
  cpSync(join(ROOT, 'test', 'fixtures', 'resnet8'), model, { recursive: true });
  edit(join(model, 'kit.json'), (j) => {
    j.schema = 99;
    j.kitVersion = '7.0.0';
  });
  const file = join(model, 'kit.json');
  assert.throws(() => readModelFacts(model), kitError('schema-version', new RegExp(`^${file} has schema version 99, written by kit 7\\.0\\.0; this kit ${KIT_VERSION} reads version 1$`)));
  const r = await kit(['quantize', model, '--data', join(ROOT, 'test', 'fixtures', 'cifar10-sample'), '--calib', '10', '--eval', '10']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `kit quantize: ${file} has schema version 99, written by kit 7.0.0; this kit ${KIT_VERSION} reads version 1 (upgrade kit to read it, or re-run kit train with this kit)\n`);
  edit(file, (j) => {
    delete j.schema;
    delete j.kitVersion;
  });
  assert.throws(() => readModelFacts(model), kitError('schema-unknown', /kit\.json has no schema version kit knows \(none\), written by a kit that did not record its version/));
});

test('kit-codegen.json, report.json and verify-report.json of an unknown version are refused', async () => {
  const root = tmpDir('versions');
  const { int8 } = await smallQuantized(root);
  const q = join(root, 'q');
  await saveQuantized(q, int8);
  const project = join(q, 'c-host');
  const gen = await generateC({ quantizedDir: q, board: 'host', outDir: project });
  writeCodegenManifest(project, { board: 'host', quantizedDir: q, modelHash: gen.hash, arenaBytes: gen.plan.arenaBytes, flashBytes: gen.sizes.flash.total, ramBytes: gen.sizes.ram.total });
  writeFileSync(join(project, 'verify-report.json'), JSON.stringify({ schema: 1, kitVersion: KIT_VERSION, board: 'host', misclassified: [] }));
  assert.equal(loadReportSources(project).board, 'host');

  // The codegen manifest: kit flash and kit verify read it.
  edit(join(project, 'kit-codegen.json'), (j) => (j.schema = 2));
  assert.throws(() => readCodegenManifest(project), kitError('schema-version', new RegExp(`kit-codegen\\.json has schema version 2, written by kit ${KIT_VERSION}; this kit ${KIT_VERSION} reads version 1$`)));
  const r = await kit(['flash', project]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^kit flash: \S+kit-codegen\.json has schema version 2, written by kit \S+; this kit \S+ reads version 1 \(upgrade kit to read it, or re-run kit codegen with this kit\)\n$/);
  edit(join(project, 'kit-codegen.json'), (j) => delete j.schema); // a project of a kit before the field: read as version 1
  assert.equal(readCodegenManifest(project).board, 'host');

  // The quantization report: kit quantize writes its version, kit report and loadReport check it.
  assert.equal(JSON.parse(readFileSync(join(q, 'report.json'), 'utf8')).schema, 1);
  await loadReport(q);
  edit(join(q, 'report.json'), (j) => (j.schema = 5));
  await assert.rejects(loadReport(q), kitError('schema-version', /report\.json has schema version 5, written by kit/));
  const rq = await kit(['report', q]);
  assert.equal(rq.code, 1);
  assert.match(rq.stderr, /^kit report: \S+report\.json has schema version 5, written by kit \S+; this kit \S+ reads version 1 \(upgrade kit to read it, or re-run kit quantize with this kit\)\n$/);

  // The verify report, read by kit report.
  edit(join(q, 'report.json'), (j) => (j.schema = 1));
  edit(join(project, 'verify-report.json'), (j) => (j.schema = 3));
  assert.throws(() => loadReportSources(project), kitError('schema-version', /verify-report\.json has schema version 3, written by kit \S+; this kit \S+ reads version 1/));
});
