/**
 * kit quantize on a float Keras-style model with the layers TFLite models use (DepthwiseConv2D with
 * a depth multiplier and folded BatchNorm + ReLU6, ZeroPadding2D, Concatenate, Dense + softmax): the
 * integer graph agrees with the float one, and its generated C equals the interpreter byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { generateC } from '../../src/codegen/index.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { quantizeLayersModel } from '../../src/quantize/quantize-model.js';
import { argmax } from '../../src/quantize/evaluate.js';
import { assertMatchesInterpreter, compileModel, missing, runModel, tmpDir } from '../codegen/helpers.js';
import { CIFAR_NORMALIZATION, randomizeBatchNorm, syntheticImages } from './fixtures.js';

function mobileStyle(): tfl.LayersModel {
  const input = tfl.input({ shape: [16, 16, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'stem', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ maxValue: 6, name: 'stem_relu6' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'pad' }).apply(x) as tfl.SymbolicTensor; // 9x9x8
  let d = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', name: 'dw', depthwiseInitializer: tfl.initializers.heNormal({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor; // 7x7x16
  d = tfl.layers.batchNormalization({ name: 'dw_bn' }).apply(d) as tfl.SymbolicTensor;
  d = tfl.layers.reLU({ maxValue: 6, name: 'dw_relu6' }).apply(d) as tfl.SymbolicTensor;
  const p = tfl.layers.conv2d({ filters: 8, kernelSize: 1, name: 'pw', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }).apply(d) as tfl.SymbolicTensor;
  const side = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', dilationRate: 2, name: 'dw_dilated', activation: 'relu', depthwiseInitializer: tfl.initializers.heNormal({ seed: 4 }) }).apply(p) as tfl.SymbolicTensor;
  const c = tfl.layers.concatenate({ axis: -1, name: 'cat' }).apply([p, side]) as tfl.SymbolicTensor; // 7x7x16
  const g = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 10, activation: 'softmax', name: 'head', kernelInitializer: tfl.initializers.glorotNormal({ seed: 5 }) }).apply(g) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out });
  randomizeBatchNorm(model, 6);
  return model;
}

for (const scheme of ['int8', 'uint8'] as const) {
  test(`${scheme}: depthwise, pad, concat, relu6 and softmax through kit quantize and codegen`, { skip: missing('gcc') }, async () => {
    const model = mobileStyle();
    const calib = { images: syntheticImages(24, 11, 16), count: 24 };
    const { graph, floatGraph } = quantizeLayersModel(model, CIFAR_NORMALIZATION, { scheme, calibImages: calib });
    model.dispose();
    assert.deepEqual(graph.nodes.map((n) => n.op), ['normalize_input', 'conv2d', 'pad', 'depthwise_conv2d', 'conv2d', 'depthwise_conv2d', 'concat', 'global_avg_pool', 'dense', 'softmax']);
    assert.equal(graph.nodes[1].attrs.activation, 'relu6');
    assert.equal(graph.nodes[3].attrs.activation, 'relu6');
    // The integer model agrees with the float one on most images and its softmax sums to ~1.
    const count = 40;
    const images = syntheticImages(count, 12, 16);
    const fi = new Interpreter(floatGraph);
    const qi = new Interpreter(graph);
    let agree = 0;
    for (let i = 0; i < count; i++) {
      const img = images.subarray(i * 768, (i + 1) * 768);
      const f = argmax(fi.run(img) as Float32Array);
      const q = qi.run(img);
      agree += argmax(q) === f ? 1 : 0;
      const zp = scheme === 'int8' ? -128 : 0;
      const total = [...q].reduce((s, v) => s + v - zp, 0);
      assert.ok(Math.abs(total - 256) <= 10, `image ${i}: softmax sums to ${total} / 256`);
    }
    assert.ok(agree >= 0.8 * count, `top-1 agreement ${agree} / ${count}`);
    const dir = tmpDir(`tflite-layers-${scheme}`);
    const gen = await generateC({ graph, board: 'host', outDir: join(dir, 'model') });
    const bin = compileModel(gen.outDir, join(dir, 'model-bin'), { taps: true });
    assertMatchesInterpreter(graph, images.subarray(0, 6 * 768), 6, runModel(bin, images.subarray(0, 6 * 768)), true);
  });
}
