import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKitError } from '../../src/errors.js';
import { graphFromLayersModel } from '../../src/ir/from-layers.js';
import type { Graph } from '../../src/ir/graph.js';
import { kitVersion } from '../../src/ir/kit-version.js';
import { BLOB_FILE, GRAPH_FILE, loadGraph, saveGraph } from '../../src/ir/serialize.js';
import { calibratedTensors } from '../../src/quantize/calibrate.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { INT8 } from '../../src/quantize/schemes.js';
import { CIFAR_NORMALIZATION } from '../quantize/fixtures.js';
import { buildSmallModel } from './small-model.js';

const floatGraph = graphFromLayersModel(buildSmallModel(1), CIFAR_NORMALIZATION);
const quantized = quantizeGraph(floatGraph, new Map(calibratedTensors(floatGraph).map((id) => [id, { min: -2, max: 3 }])), INT8);

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kit-ir-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The one-line KitError a load fails with. */
async function loadError(dir: string): Promise<string> {
  try {
    await loadGraph(dir);
  } catch (e) {
    assert.ok(isKitError(e), String(e));
    assert.ok(!e.format().includes('\n'));
    return `${e.code}: ${e.message}`;
  }
  assert.fail('expected loading to fail');
}

for (const [label, graph] of [['float', floatGraph], ['quantized', quantized]] as [string, Graph][]) {
  test(`a ${label} graph survives save and load unchanged, with a manifest`, async () => {
    await withDir(async (dir) => {
      await saveGraph(dir, graph, { source: [{ path: 'model.json', bytes: 3, sha256: 'a'.repeat(64) }], meta: { stage: 'test' } });
      const { graph: loaded, manifest } = await loadGraph(dir);
      assert.deepEqual(loaded, graph);
      assert.equal(manifest.kitVersion, kitVersion());
      assert.equal(manifest.schemaVersion, 1);
      assert.equal(manifest.source.files[0].path, 'model.json');
      assert.deepEqual(manifest.meta, { stage: 'test' });
    });
  });
}

test('corrupt, truncated, tampered, old and missing files give one-line errors', async () => {
  await withDir(async (dir) => {
    assert.match(await loadError(dir), /^artefact-missing: no kit graph in .* \(graph\.json not found\)$/);
    await saveGraph(dir, quantized);
    const jsonPath = join(dir, GRAPH_FILE);
    const binPath = join(dir, BLOB_FILE);
    const json = await readFile(jsonPath, 'utf8');
    const bin = await readFile(binPath);

    await writeFile(jsonPath, json.slice(0, json.length / 2));
    assert.match(await loadError(dir), /^artefact-corrupt: .*graph\.json is not valid JSON/);

    const old = JSON.parse(json);
    old.manifest.schemaVersion = 0;
    await writeFile(jsonPath, JSON.stringify(old));
    assert.match(await loadError(dir), /^artefact-version: .*graph\.json was written by an older kit \(.*, format v0\); this kit .* reads format v1$/);

    const bad = JSON.parse(json);
    bad.graph.nodes[1].op = 'frobnicate';
    await writeFile(jsonPath, JSON.stringify(bad));
    assert.match(await loadError(dir), /^op-unknown: unknown op 'frobnicate'/);

    const noShape = JSON.parse(json);
    delete noShape.graph.tensors[noShape.graph.inputs[0]].shape;
    await writeFile(jsonPath, JSON.stringify(noShape));
    assert.match(await loadError(dir), /^artefact-corrupt: .*malformed at graph\.tensors\.pixels\.shape/);

    await writeFile(jsonPath, json);
    await truncate(binPath, bin.length - 100);
    assert.match(await loadError(dir), /^artefact-corrupt: .*graph\.bin is \d+ bytes but should be \d+ \(truncated\?\)/);

    const flipped = Buffer.from(bin);
    flipped[10] ^= 0xff;
    await writeFile(binPath, flipped);
    assert.match(await loadError(dir), /^artefact-corrupt: .*does not match its checksum/);

    await writeFile(binPath, bin);
    await loadGraph(dir); // restored: loads again
  });
});
