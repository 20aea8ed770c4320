/**
 * deriveNodeIntParams (what an importer calls on a graph whose tensors are already quantized) gives
 * back exactly the integer parameters kit quantize computed, node by node, in both schemes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveNodeIntParams } from '../../src/ops/derive.js';
import { quantizeLayersModel } from '../../src/quantize/index.js';
import { CIFAR_NORMALIZATION, randomResnet8, syntheticImages } from '../quantize/fixtures.js';

for (const scheme of ['int8', 'uint8'] as const) {
  test(`${scheme} ResNet-8: integer parameters derived from the quantized tensors equal the quantizer's`, () => {
    const model = randomResnet8(5);
    const calib = { images: syntheticImages(8, 3), count: 8, split: 'train' as const };
    const { graph } = quantizeLayersModel(model, CIFAR_NORMALIZATION, { scheme, calibImages: calib });
    model.dispose();
    let checked = 0;
    for (const node of graph.nodes) {
      if (node.op === 'normalize_input') continue;
      assert.deepEqual(deriveNodeIntParams(graph, node), node.intParams, node.name);
      checked++;
    }
    assert.ok(checked >= 10);
  });
}
