import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { isKitError } from '../../src/errors.js';
import { loadQuantized, loadReport, saveQuantized } from '../../src/quantize/artefact.js';
import { evaluateQuantized } from '../../src/quantize/evaluate.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { buildSmallModel } from '../ir/small-model.js';
import { CIFAR_NORMALIZATION } from './fixtures.js';
import { syntheticImages } from './random.js';
import { saveTrainedModel } from './save-model.js';

const CLASSES = ['a', 'b', 'c', 'd', 'e'];

test('quantizeModel reads a trained model folder; the artefact folder round-trips', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kit-q-'));
  try {
    const modelDir = join(root, 'model');
    await saveTrainedModel(modelDir, buildSmallModel(4), { model: 'small', normalization: CIFAR_NORMALIZATION, classes: CLASSES });
    const images = syntheticImages(20, 5, 8);
    const labels = Uint8Array.from({ length: 20 }, (_, i) => i % 5);
    const phases = new Set<string>();
    const result = await quantizeModel({
      modelDir,
      scheme: 'int8',
      calibImages: { images, count: 12 },
      calibMethod: 'percentile',
      evalSet: { images, labels, count: 20 },
      onProgress: (p) => phases.add(p.phase),
    });
    assert.deepEqual([...phases], ['calibrate', 'evaluate']);
    assert.deepEqual(result.source.map((f) => f.path), ['model.json', 'weights.bin', 'kit.json']);
    const sha = createHash('sha256').update(await readFile(join(modelDir, 'weights.bin'))).digest('hex');
    assert.equal(result.source[1].sha256, sha);
    assert.deepEqual(result.report.calibration, { method: 'percentile', images: 12, percentile: 99.99 });

    const out = join(root, 'quantized');
    await saveQuantized(out, result);
    const loaded = await loadQuantized(out);
    assert.deepEqual(loaded.graph, result.graph);
    assert.deepEqual(loaded.meta.classes, CLASSES);
    assert.equal(loaded.meta.scheme, 'int8');
    assert.deepEqual((await loadReport(out))?.layers.length, result.report.layers.length);
    const before = evaluateQuantized(result.graph, images, labels);
    const after = evaluateQuantized(loaded.graph, images, labels);
    assert.deepEqual(after.predictions, before.predictions);
    assert.equal(after.top1, result.report.evaluation!.quantTop1);

    // A model folder without kit.json is refused with a hint.
    await unlink(join(modelDir, 'kit.json'));
    await assert.rejects(quantizeModel({ modelDir, calibImages: { images, count: 4 } }), (e) => isKitError(e) && e.code === 'missing-manifest' && /kit\.json/.test(e.message));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
