/**
 * import -> quantize -> codegen on a tiny PyTorch-style CNN written as ONNX: the imported folder
 * quantizes with both schemes through kit quantize's own entry point, the integer model agrees with
 * the float one, and its generated C equals the integer interpreter byte for byte.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateC } from '../../src/codegen/index.js';
import { importOnnx } from '../../src/import/onnx/index.js';
import { Interpreter } from '../../src/ir/interpreter.js';
import { argmax } from '../../src/quantize/evaluate.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { assertMatchesInterpreter, compileModel, missing, runModel, tmpDir } from '../codegen/helpers.js';
import { kitError } from '../kit-error.js';
import { syntheticImages } from '../quantize/fixtures.js';
import { tinyCnn } from './tiny-cnn.js';

const SIZE = 16;
const CLASSES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

test('an imported ONNX model without class names: kit quantize asks for them', async () => {
  const dir = tmpDir('onnx-no-classes');
  writeFileSync(join(dir, 'tiny.onnx'), tinyCnn(SIZE));
  await importOnnx(join(dir, 'tiny.onnx'), join(dir, 'tiny'), { normalization: { mean: [0], std: [1] } });
  const calibImages = { images: syntheticImages(4, 11, SIZE), count: 4 };
  await assert.rejects(quantizeModel({ modelDir: join(dir, 'tiny'), calibImages }), kitError('missing-classes', /names no classes/));
  const wrongSize = { images: syntheticImages(4, 11, 32), count: 4 };
  await assert.rejects(quantizeModel({ modelDir: join(dir, 'tiny'), calibImages: wrongSize, classes: CLASSES }), kitError('data-shape', /reads 16x16x3 images/));
});

for (const scheme of ['int8', 'uint8'] as const) {
  test(`${scheme}: import -> quantize -> C equals the interpreter`, { skip: missing('gcc') }, async () => {
    const dir = tmpDir(`onnx-quantize-${scheme}`);
    writeFileSync(join(dir, 'tiny.onnx'), tinyCnn(SIZE));
    await importOnnx(join(dir, 'tiny.onnx'), join(dir, 'tiny'), { normalization: { mean: [0], std: [1] }, classes: CLASSES });
    const result = await quantizeModel({ modelDir: join(dir, 'tiny'), scheme, calibImages: { images: syntheticImages(32, 11, SIZE), count: 32 } });
    assert.deepEqual(result.graph.nodes.map((n) => n.op), ['normalize_input', 'pad', 'conv2d', 'depthwise_conv2d', 'conv2d', 'max_pool2d', 'flatten', 'dense', 'softmax']);
    assert.deepEqual(result.kit.classes, CLASSES);
    const count = 40;
    const pixels = SIZE * SIZE * 3;
    const images = syntheticImages(count, 12, SIZE);
    const fi = new Interpreter(result.floatGraph);
    const qi = new Interpreter(result.graph);
    let agree = 0;
    for (let i = 0; i < count; i++) {
      const img = images.subarray(i * pixels, (i + 1) * pixels);
      agree += argmax(fi.run(img) as Float32Array) === argmax(qi.run(img)) ? 1 : 0;
    }
    assert.ok(agree >= 0.8 * count, `top-1 agreement ${agree} / ${count}`);
    const gen = await generateC({ graph: result.graph, board: 'host', outDir: join(dir, 'model') });
    const bin = compileModel(gen.outDir, join(dir, 'model-bin'), { taps: true });
    const n = 6;
    assertMatchesInterpreter(result.graph, images.subarray(0, n * pixels), n, runModel(bin, images.subarray(0, n * pixels)), true);
  });
}
