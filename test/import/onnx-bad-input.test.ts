import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import { graphFromOnnx, importOnnxGraph, readOnnxModel } from '../../src/import/onnx/index.js';
import { kit } from '../cli/helpers.js';
import { kitError } from '../kit-error.js';
import { OnnxBuilder, randomValues } from './onnx-builder.js';

const norm = { mean: [0.5], std: [0.25] };

function tinyModel(opset = 13, weights = randomValues(2 * 3 * 9, 1)): { b: OnnxBuilder; out: string } {
  const b = new OnnxBuilder([1, 3, 6, 6], opset);
  const x = b.node('Conv', ['input', b.init([2, 3, 3, 3], weights)], { kernel_shape: [3, 3] });
  return { b, out: b.node('Flatten', [b.node('GlobalAveragePool', [x])]) };
}

function convert(bytes: Uint8Array) {
  const { model, opset } = readOnnxModel(bytes, 'model.onnx');
  return graphFromOnnx(model, opset, norm);
}

test('a tiny model imports: one normalize_input, the conv, pooling; nothing else', () => {
  const { b, out } = tinyModel();
  const graph = convert(b.encode(out));
  assert.deepEqual(graph.nodes.map((n) => n.op), ['normalize_input', 'conv2d', 'global_avg_pool']);
  assert.deepEqual(graph.tensors[graph.inputs[0]].shape, [6, 6, 3]);
  assert.deepEqual(graph.nodes[0].attrs, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
});

test('an unsupported op: one line naming the node, its index and the op', () => {
  const { b, out } = tinyModel();
  const bytes = b.encode(b.node('Sigmoid', [out], {}, 'head/act'));
  assert.throws(() => convert(bytes), kitError('onnx-unsupported', /^node 'head\/act' \(#3, Sigmoid\) is not supported$/));
});

test('a truncated file, an opset out of range, NaN weights, two inputs, a dynamic size: one clear line each', () => {
  const { b, out } = tinyModel();
  const bytes = b.encode(out);
  assert.throws(() => convert(bytes.subarray(0, bytes.length - 40)), kitError('onnx-invalid', /not a readable ONNX model/));
  for (const opset of [10, 21]) {
    const old = tinyModel(opset);
    assert.throws(() => convert(old.b.encode(old.out)), kitError('onnx-invalid', new RegExp(`opset ${opset}; kit imports opsets 11 to 20`)));
  }
  const nan = tinyModel(13, Float32Array.from(randomValues(54, 1), (v, i) => (i === 7 ? NaN : v)));
  assert.throws(() => convert(nan.b.encode(nan.out)), kitError('onnx-nan', /tensor 'c0' holds NaN/));
  const two = b.encode(out, [{ name: 'mask', type: { tensorType: { elemType: onnxProto.onnx.TensorProto.DataType.FLOAT } } }]);
  assert.throws(() => convert(two), kitError('model-shape', /2 inputs \(input, mask\)/));
  const dyn = new OnnxBuilder([1, 3, -1, 6]);
  assert.throws(() => convert(dyn.encode(dyn.node('Flatten', ['input']))), kitError('onnx-dynamic', /dynamic size 'dynamic' at axis 2/));
});

test('grouped (not depthwise) conv and a Reshape to a computed shape are refused with the node', () => {
  const b = new OnnxBuilder([1, 4, 5, 5]);
  const x = b.node('Conv', ['input', b.init([4, 2, 1, 1], randomValues(8, 2))], { kernel_shape: [1, 1], group: 2 }, 'grouped');
  assert.throws(() => convert(b.encode(x)), kitError('onnx-unsupported', /node 'grouped' \(#0, Conv\) is a grouped convolution \(2 groups/));
  const r = new OnnxBuilder([1, 3, 4, 4]);
  const y = r.node('Reshape', ['input', r.node('Relu', ['input'])], {}, 'dyn_reshape');
  assert.throws(() => convert(r.encode(y)), kitError('onnx-unsupported', /node 'dyn_reshape' \(#1, Reshape\) takes input 1 from the graph at run time/));
});

test('class names that do not match the outputs, and a missing file, are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-onnx-'));
  const { b, out } = tinyModel();
  const file = join(dir, 'tiny.onnx');
  writeFileSync(file, b.encode(out));
  assert.throws(() => importOnnxGraph(file, { normalization: norm, classes: ['a', 'b', 'c'] }), kitError('bad-option', /3 classes but the model has 2 outputs/));
  assert.throws(() => importOnnxGraph(join(dir, 'nope.onnx'), { normalization: norm }), kitError('file-missing'));
  assert.equal(importOnnxGraph(file, { normalization: norm, classes: ['a', 'b'] }).meta.classes?.length, 2);
});

/** The model with its float initializers moved to `dataFile` (as onnx.save(save_as_external_data=True) does). */
function withExternalData(bytes: Uint8Array, dataFile: string): { model: Uint8Array; data: Uint8Array } {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of m.graph!.initializer!) {
    if (!t.rawData?.length) continue;
    chunks.push(t.rawData);
    t.externalData = [{ key: 'location', value: dataFile }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(t.rawData.length) }];
    t.dataLocation = onnxProto.onnx.TensorProto.DataLocation.EXTERNAL;
    offset += t.rawData.length;
    t.rawData = new Uint8Array(0);
  }
  return { model: onnxProto.onnx.ModelProto.encode(m).finish(), data: Buffer.concat(chunks) };
}

test('external-data tensors are read from beside the model; missing or short data files are one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-onnx-ext-'));
  const { b, out } = tinyModel();
  const inline = b.encode(out);
  const { model, data } = withExternalData(inline, 'tiny.onnx.data');
  const file = join(dir, 'tiny.onnx');
  writeFileSync(file, model);
  writeFileSync(join(dir, 'tiny.onnx.data'), data);
  assert.equal(data.length, 2 * 3 * 9 * 4);
  const { graph } = importOnnxGraph(file, { normalization: norm });
  assert.deepEqual(graph.tensors['conv_1/weights'].data, convert(inline).tensors['conv_1/weights'].data);
  writeFileSync(join(dir, 'tiny.onnx.data'), data.subarray(0, 100));
  assert.throws(() => importOnnxGraph(file, { normalization: norm }), kitError('onnx-external-data', /^initializer: tensor 'c0' reads bytes 0\.\.216 of 'tiny\.onnx\.data', which has 100$/));
  rmSync(join(dir, 'tiny.onnx.data'));
  assert.throws(() => importOnnxGraph(file, { normalization: norm }), kitError('onnx-external-data', /^initializer: tensor 'c0' is stored in 'tiny\.onnx\.data', which is missing beside the model$/));
  writeFileSync(file, withExternalData(inline, '../elsewhere.data').model);
  assert.throws(() => importOnnxGraph(file, { normalization: norm }), kitError('onnx-external-data', /outside the model's folder/));
});

test('kit import on bad files: one line on stderr, exit 1, and the existing output folder is left as it was', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-onnx-cli-'));
  const out = join(dir, 'imported');
  mkdirSync(out);
  writeFileSync(join(out, 'graph.json'), 'an earlier import');
  const { b, out: y } = tinyModel();
  const good = b.encode(y);
  // Two CLI runs (each starts Node); the other refusals' messages are checked in-process above.
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated.onnx', good.subarray(0, good.length - 40), /^kit import: \S+\/truncated\.onnx is not a readable ONNX model \(.*\) \(the file may be truncated: export it again\)$/],
    ['external.onnx', withExternalData(good, 'external.onnx.data').model, /^kit import: initializer: tensor 'c0' is stored in 'external\.onnx\.data', which is missing beside the model \(copy external\.onnx\.data next to the \.onnx file, or export the model in one file\)$/],
  ];
  for (const [name, bytes] of cases) writeFileSync(join(dir, name), bytes);
  const runs = await Promise.all(cases.map(([name]) => kit(['import', join(dir, name), '--mean', '0', '--std', '1', '--out', out])));
  runs.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i][0]}: exit code`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${cases[i][0]}: ${r.stderr}`);
    assert.match(lines[0], cases[i][2]);
  });
  assert.deepEqual(readdirSync(out), ['graph.json']);
  assert.equal(readFileSync(join(out, 'graph.json'), 'utf8'), 'an earlier import');
});
