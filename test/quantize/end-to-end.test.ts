import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interpreter, runBatch } from '../../src/ir/interpreter.js';
import { argmax, evaluateQuantized } from '../../src/quantize/evaluate.js';
import { quantizeLayersModel } from '../../src/quantize/quantize-model.js';
import { renderReport } from '../../src/quantize/report.js';
import { CIFAR_NORMALIZATION, randomResnet8, syntheticImages } from './fixtures.js';

const model = randomResnet8(21);
const calib = { images: syntheticImages(32, 22), count: 32 };
const evalImages = syntheticImages(48, 23);

for (const scheme of ['uint8', 'int8']) {
  test(`ResNet-8 ${scheme}: the integer model agrees with the float model on most images`, () => {
    // Labels = the float model's own predictions, so "quantized top-1" is top-1 agreement.
    const floatResult = quantizeLayersModel(model, CIFAR_NORMALIZATION, { scheme, calibImages: calib });
    const floatLogits = runBatch(floatResult.floatGraph, evalImages, 48).outputs;
    const labels = Uint8Array.from({ length: 48 }, (_, i) => argmax(floatLogits, i * 10, 10));
    const { graph, report } = quantizeLayersModel(model, CIFAR_NORMALIZATION, {
      scheme,
      calibImages: calib,
      evalSet: { images: evalImages, labels, count: 48 },
    });
    assert.equal(graph.kind, 'quantized');
    assert.equal(graph.tensors.logits.dtype, scheme);
    const e = report.evaluation!;
    assert.equal(e.floatTop1, 1);
    assert.ok(e.agreement >= 0.85, `agreement ${e.agreement}`);
    assert.equal(e.quantTop1, e.agreement);
    assert.equal(evaluateQuantized(graph, evalImages, labels).top1, e.quantTop1);
    // Per-layer SQNR is measured for every node and is sensible for 8 bits.
    for (const l of report.layers) assert.ok(l.sqnrDb === null || l.sqnrDb > 15, `${l.node}: ${l.sqnrDb}`);
    assert.equal(report.totals.macs, 12_505_728);
    assert.ok(report.totals.weightBytes > 77_000 && report.totals.weightBytes < 80_000);
    const text = renderReport(report);
    assert.match(text, /stack3_b_conv\s+conv2d\s+8x8x64\s+2,359,296/);
    assert.match(text, /agreement/);
  });
}

test('every calibration method keeps every layer of ResNet-8 above 25 dB SQNR', () => {
  for (const calibMethod of ['percentile', 'mse', 'entropy'] as const) {
    const { report } = quantizeLayersModel(model, CIFAR_NORMALIZATION, {
      scheme: 'int8',
      calibImages: calib,
      calibMethod,
      evalSet: { images: evalImages, labels: new Uint8Array(8), count: 8 },
    });
    for (const l of report.layers) assert.ok(l.sqnrDb === null || l.sqnrDb > 25, `${calibMethod} ${l.node}: ${l.sqnrDb}`);
  }
});

test('the packed and plain integer accumulations agree bit for bit over a whole network', () => {
  const { graph } = quantizeLayersModel(model, CIFAR_NORMALIZATION, { scheme: 'int8', calibImages: calib });
  const fast = new Interpreter(graph);
  const plain = new Interpreter(graph, { plainAccumulation: true });
  for (let i = 0; i < 3; i++) {
    const img = evalImages.subarray(i * 3072, (i + 1) * 3072);
    fast.run(img);
    plain.run(img);
    for (const id of fast.activations()) assert.deepEqual(fast.value(id), plain.value(id), id);
  }
});
