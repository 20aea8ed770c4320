/**
 * kit import / kit export for TFLite: the flatbuffer round trip (same graph, same C), the bundled
 * ResNet-8 round trip, one-line refusals of bad files, TFLite's own runtime as the oracle of kit's
 * XNNPACK mode, and an imported model bit-exact on the emulated Cortex-M4.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { prepareCodegen, resolveBoard } from '../../src/codegen/generate.js';
import { render } from '../../src/codegen/render.js';
import { Templates } from '../../src/codegen/templates.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { npyInputs } from '../../src/data/npy-inputs.js';
import { modelInputOf } from '../../src/data/model-data.js';
import { randomInputs } from '../../src/device/verify/random-inputs.js';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { graphToTflite } from '../../src/import/tflite/from-graph.js';
import { importTflite } from '../../src/import/tflite/import-model.js';
import type { TflModel } from '../../src/import/tflite/model.js';
import { readTflite } from '../../src/import/tflite/reader.js';
import { BuiltinOperator, TensorType } from '../../src/import/tflite/schema.js';
import { tfliteToGraph } from '../../src/import/tflite/to-graph.js';
import { writeTflite } from '../../src/import/tflite/writer.js';
import type { Graph } from '../../src/ir/graph.js';
import { runBatch } from '../../src/ir/interpreter.js';
import { generateC } from '../../src/codegen/index.js';
import { numElements } from '../../src/ir/graph.js';
import { assertMatchesInterpreter, compileModel, missing, randomPixels, runModel } from '../codegen/helpers.js';
import { meanTargets } from '../../src/ops/mean/index.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../src/quantize/fixed-point.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { tfliteDivergence } from '../../src/quantize/tflite-divergence.js';
import { GraphBuilder } from '../codegen/graphs.js';
import { kitError } from '../kit-error.js';
import { concatHead, meanSameQuant, dsCnnStyle, int8Input, mobilenetStyle, smallCnn } from './models.js';
import { npyBytes } from './npy.js';
import { runTflite } from './tflite-runtime.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kit-tflite-'));
after(() => rmSync(work, { recursive: true, force: true }));

const roundTrip = (g: Graph): Graph => tfliteToGraph(readTflite(writeTflite(graphToTflite(g)), 'm.tflite'), 'm.tflite').graph;
const cFiles = (g: Graph) => render(prepareCodegen(g, resolveBoard('qemu-cortex-m4')), new Templates());

/** Test models, each made canonical by one export/import (float32 scales, TFLite's multipliers). */
function models(): Record<string, Graph> {
  const conv = new GraphBuilder('int8', 5);
  const c1 = conv.conv(int8Input(conv, [9, 7, 5]), { outC: 6, relu: true });
  const c2 = conv.conv(c1, { outC: 4, kernel: [2, 3], strides: [2, 1], padding: 'valid' });
  const one = new GraphBuilder('int8', 8);
  const single = one.build(one.conv(int8Input(one, [8, 9, 6]), { outC: 7, strides: [2, 1] }));
  const pool = new GraphBuilder('int8', 6);
  const p = pool.flatten(pool.pool('max_pool2d', int8Input(pool, [9, 7, 5]), [3, 3], [2, 2], 'same'));
  const dense = new GraphBuilder('int8', 7);
  const d = dense.dense(dense.flatten(int8Input(dense, [4, 4, 3])), { outC: 7, relu: true });
  return {
    conv1: roundTrip(single),
    conv: roundTrip(conv.build(conv.conv(c2, { outC: 5, kernel: [1, 1] }))),
    maxpool: roundTrip(pool.build(p)),
    dense: roundTrip(dense.build(dense.dense(d, { outC: 3 }))),
    cnn: roundTrip(smallCnn(3)),
    mobilenet: roundTrip(mobilenetStyle(4)),
    dscnn: roundTrip(dsCnnStyle(5)),
    head: roundTrip(concatHead(3)),
  };
}

describe('TFLite round trip', () => {
  test('import(export(m)) is the same graph and the same C, for every test model', () => {
    for (const [name, g] of Object.entries(models())) {
      const back = roundTrip(g);
      assert.deepEqual(back, g, name);
      assert.deepEqual(cFiles(back), cFiles(g), name);
    }
  });

  test('SOFTMAX, CONCATENATION, MEAN and QUANTIZE: what export writes and import reads back', () => {
    const g = models().head;
    const tfl = readTflite(writeTflite(graphToTflite(g)), 'm.tflite');
    const ops = tfl.subgraphs[0].operators;
    const names = ops.map((o) => Object.entries(BuiltinOperator).find(([, v]) => v === o.builtin)![0]);
    // The requantized concat input is a QUANTIZE of its own (TFLite's int8 concatenation copies).
    assert.deepEqual(names, ['CONV_2D', 'CONV_2D', 'CONV_2D', 'QUANTIZE', 'CONCATENATION', 'QUANTIZE', 'MEAN', 'FULLY_CONNECTED', 'SOFTMAX']);
    const concat = ops[4];
    const tensors = tfl.subgraphs[0].tensors;
    assert.equal(concat.options.axis, 3);
    assert.deepEqual(concat.inputs.map((i) => tensors[i].quantization!.scale[0]), [tensors[concat.outputs[0]].quantization!.scale[0], tensors[concat.outputs[0]].quantization!.scale[0]]);
    assert.deepEqual([...new Int32Array(tfl.buffers[tensors[ops[6].inputs[1]].buffer].slice().buffer)], [1, 2]);
    assert.equal(ops[6].options.keepDims, false);
    assert.deepEqual((g.nodes.find((n) => n.op === 'concat')!.intParams as { requantize: boolean[] }).requantize, [false, true]);
    assert.deepEqual(g.nodes.filter((n) => n.op === 'mean').map((n) => [n.attrs, (n.intParams as { sameQuant: boolean }).sameQuant]), [[{ axes: [0, 1], keepDims: false }, false]]);
    const same = roundTrip(meanSameQuant(4, [1], true));
    assert.deepEqual(roundTrip(same), same);
    assert.deepEqual(same.nodes.map((n) => [n.op, n.attrs, n.intParams]).at(-1), ['mean', { axes: [1], keepDims: true }, { sameQuant: true, multiplier: 0, shift: 0 }]);
    assert.deepEqual(g.nodes.at(-1)!.attrs, { beta: 1 });
  });

  test('the bundled ResNet-8, quantized int8, round-trips with identical C', { skip: !existsSync(join(ROOT, 'test/fixtures/resnet8/model.json')) }, async () => {
    const sample = loadDataset(join(ROOT, 'test/fixtures/cifar10-sample'));
    const { graph } = await quantizeModel({ modelDir: join(ROOT, 'test/fixtures/resnet8'), scheme: 'int8', calibImages: { images: sample.train.images.subarray(0, 32 * 3072), count: 32, split: 'train' } });
    const back = roundTrip(graph);
    assert.deepEqual(back, graph);
    const [a, b] = [cFiles(graph), cFiles(back)];
    assert.deepEqual([...b.keys()], [...a.keys()]);
    for (const [file, text] of a) assert.equal(b.get(file), text, file);
  });
});

describe('bad .tflite files: one line each, nothing written', () => {
  const good = () => readTflite(writeTflite(graphToTflite(models().conv)), 'm');
  const write = (name: string, bytes: Uint8Array | string) => {
    const file = join(work, name);
    writeFileSync(file, bytes);
    return file;
  };
  const edit = (f: (m: TflModel) => void) => {
    const m = good();
    f(m);
    return writeTflite(m);
  };

  test('not a flatbuffer, truncated, corrupt', async () => {
    await assert.rejects(importTflite(write('a.tflite', '{"not": "a model"}')), kitError('tflite-not-flatbuffer'));
    await assert.rejects(importTflite(join(work, 'missing.tflite')), kitError('tflite-missing'));
    const bytes = writeTflite(good());
    for (const cut of [12, 64, bytes.length >> 1, bytes.length - 40]) {
      await assert.rejects(importTflite(write('cut.tflite', bytes.subarray(0, cut))), (e: unknown) => kitError('tflite-corrupt')(e) || true);
    }
    const flipped = bytes.slice();
    new DataView(flipped.buffer).setUint32(0, 0xfffffff0, true);
    await assert.rejects(importTflite(write('bad.tflite', flipped)), kitError('tflite-corrupt', /outside the file/));
  });

  test('raw inputs as .npy: dtype, shape and label count are checked', () => {
    const g = models().dscnn;
    const data = new Uint8Array(3 * 490);
    const ok = npyInputs(modelInputOf(g), write('ok.npy', npyBytes('|i1', [3, 49, 10, 1], data)), write('l.npy', npyBytes('|u1', [3], new Uint8Array([1, 2, 3]))));
    assert.equal(ok.set.count, 3);
    assert.deepEqual([...ok.set.labels], [1, 2, 3]);
    assert.throws(() => npyInputs(modelInputOf(g), write('u8.npy', npyBytes('|u1', [3, 49, 10, 1], data))), kitError('npy-dtype', /holds \|u1 values but the model's input is int8/));
    assert.throws(() => npyInputs(modelInputOf(g), write('shape.npy', npyBytes('|i1', [3, 10, 49, 1], data))), kitError('npy-shape'));
    assert.throws(() => npyInputs(modelInputOf(g), write('ok2.npy', npyBytes('|i1', [3, 49, 10, 1], data)), write('l2.npy', npyBytes('|u1', [2], new Uint8Array(2)))), kitError('npy-shape', /2 labels for 3 inputs/));
    assert.throws(() => npyInputs(modelInputOf(g), write('junk.npy', 'not numpy')), kitError('npy-invalid'));
  });

  test('unsupported op: named, with its index and the supported list', async () => {
    const file = write('tanh.tflite', edit((m) => { m.subgraphs[0].operators[1].builtin = BuiltinOperator.TANH; }));
    await assert.rejects(importTflite(file), kitError('tflite-op-unsupported', /operator 1 is TANH, which kit cannot import/));
  });

  test('CONCATENATION along the batch axis, MEAN over it, a fused activation on CONCATENATION: named', async () => {
    const head = () => readTflite(writeTflite(graphToTflite(models().head)), 'm');
    const op = (m: TflModel, builtin: number) => m.subgraphs[0].operators.find((o) => o.builtin === builtin)!;
    const batch = head();
    op(batch, BuiltinOperator.CONCATENATION).options.axis = 0;
    await assert.rejects(importTflite(write('cat0.tflite', writeTflite(batch))), kitError('tflite-op-unsupported', /operator 4 is CONCATENATION \(axis 0 of a rank-4 tensor\)/));
    const relu = head();
    op(relu, BuiltinOperator.CONCATENATION).options.fusedActivation = 1;
    await assert.rejects(importTflite(write('catrelu.tflite', writeTflite(relu))), kitError('tflite-op-unsupported', /CONCATENATION \(fused activation\)/));
    const mean = head();
    const axes = mean.subgraphs[0].tensors[op(mean, BuiltinOperator.MEAN).inputs[1]];
    mean.buffers[axes.buffer] = new Uint8Array(Int32Array.from([0, 1]).buffer);
    await assert.rejects(importTflite(write('mean0.tflite', writeTflite(mean))), kitError('tflite-op-unsupported', /MEAN \(axis 0 of a rank-4 tensor\)/));
  });

  test('float, hybrid, int16 and dynamic-shape models', async () => {
    const float = edit((m) => { for (const t of m.subgraphs[0].tensors) { t.type = TensorType.FLOAT32; delete t.quantization; } });
    await assert.rejects(importTflite(write('float.tflite', float)), kitError('tflite-float', /float model/));
    const hybrid = edit((m) => { for (const t of m.subgraphs[0].tensors) if (t.buffer === 0) { t.type = TensorType.FLOAT32; delete t.quantization; } });
    await assert.rejects(importTflite(write('hybrid.tflite', hybrid)), kitError('tflite-hybrid'));
    const int16 = edit((m) => { for (const t of m.subgraphs[0].tensors) if (t.buffer === 0) t.type = TensorType.INT16; });
    await assert.rejects(importTflite(write('int16.tflite', int16)), kitError('tflite-int16'));
    const dynamic = edit((m) => { const t = m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]]; t.shapeSignature = [-1, -1, 7, 5]; });
    await assert.rejects(importTflite(write('dynamic.tflite', dynamic)), kitError('tflite-dynamic'));
  });

  test('the CLI exits non-zero with one line and writes no folder', async () => {
    const out = join(work, 'out');
    const file = write('tanh2.tflite', edit((m) => { m.subgraphs[0].operators[0].builtin = BuiltinOperator.TANH; }));
    const e = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'import', file, '--out', out], { cwd: ROOT }).then(() => null, (x) => x);
    assert.ok(e && e.code !== 0);
    assert.match(e.stderr, /^kit import: .* operator 0 is TANH, which kit cannot import \(kit supports: CONV_2D, /);
    assert.equal(existsSync(out), false);
  });
});

describe('TFLite runtime (XNNPACK) as the oracle', () => {
  test('kit XNNPACK mode = TFLite byte for byte; the device mode differs only by a requantization rounding step', async () => {
    const counts: Record<string, number> = {};
    for (const [name, g] of Object.entries(models())) {
      const bytes = writeTflite(graphToTflite(g));
      const set = randomInputs(g, 40, 11);
      const tfl = await runTflite(bytes, set.images, set.count);
      const xnn = new Int8Array(runBatch(g, set.images, set.count, { requantization: 'xnnpack' }).outputs.buffer);
      assert.deepEqual(new Int8Array(tfl.outputs.buffer), xnn, `${name}: TFLite vs kit's XNNPACK mode`);
      const device = new Int8Array(runBatch(g, set.images, set.count).outputs.buffer);
      // The library's account of where TFLite and the board part matches real TFLite's outputs.
      const d = tfliteDivergence(g, set.images, set.count);
      const per = device.length / set.count;
      let parted = 0;
      for (let i = 0; i < set.count; i++) if (device.subarray(i * per, (i + 1) * per).some((v, k) => v !== tfl.outputs[i * per + k] << 24 >> 24)) parted++;
      assert.equal(d.inputs - d.identical, parted, `${name}: inputs where TFLite and the board part`);
      for (const f of d.firstDiffering) assert.ok(['conv2d', 'depthwise_conv2d', 'dense', 'concat', 'quantize', 'mean'].includes(f.op), `${name}: ${f.op} cannot round differently`);
      counts[name] = 0;
      for (let i = 0; i < device.length; i++) {
        if (device[i] === xnn[i]) continue;
        counts[name]++;
        // One layer: same accumulators, two roundings of one real value, so one step apart at most
        // (deeper models carry a difference on and may widen it).
        if (name === 'conv1') assert.equal(Math.abs(device[i] - xnn[i]), 1, `${name} byte ${i}`);
      }
    }
    // Single-layer models show the trap without cascades; max pooling has no requantization at all.
    assert.equal(counts.maxpool, 0);
    assert.ok(counts.conv1 > 0, 'a conv model must show differing roundings');
  });
});

describe('SOFTMAX, CONCATENATION, MEAN, QUANTIZE: TFLite vs kit', () => {
  /** The graph up to node `name` (whose output becomes the model's): TFLite then shows that tensor. */
  const upTo = (g: Graph, name: string): Graph => {
    const k = g.nodes.findIndex((n) => n.name === name);
    return { ...g, nodes: g.nodes.slice(0, k + 1), outputs: [g.nodes[k].outputs[0]] };
  };
  const head = roundTrip(concatHead(3));
  const sameW = roundTrip(meanSameQuant(4, [1], true));
  const sameHW = roundTrip(meanSameQuant(5, [0, 1], false));
  const COUNT = 60;
  const outputs = async (g: Graph) => {
    const set = randomInputs(g, COUNT, 11);
    return {
      set,
      tfl: new Int8Array((await runTflite(writeTflite(graphToTflite(g)), set.images, set.count)).outputs.buffer),
      xnn: new Int8Array(runBatch(g, set.images, set.count, { requantization: 'xnnpack' }).outputs.buffer),
      device: new Int8Array(runBatch(g, set.images, set.count).outputs.buffer),
    };
  };
  const at = (g: Graph, op: string) => g.nodes.find((n) => n.op === op)!;
  const q = (g: Graph, id: string) => ({ scale: g.tensors[id].quant!.scale[0], zeroPoint: g.tensors[id].quant!.zeroPoint[0] });

  test('kit XNNPACK mode = TFLite byte for byte after every op (concat, quantize, mean over H and W, dense, softmax)', async () => {
    // Cut after each op whose output feeds the rest (an unused branch would make TFLite fall back
    // from XNNPACK for the whole model).
    const cuts: [Graph, string][] = [...['concat', 'quantize', 'mean', 'dense', 'softmax'].map((op): [Graph, string] => [upTo(head, at(head, op).name), op])];
    for (const [g, what] of cuts) {
      const { tfl, xnn, device } = await outputs(g);
      assert.deepEqual(tfl, xnn, what);
      if (what !== 'concat') assert.notDeepEqual(device, xnn, `${what}: the device arithmetic differs somewhere`);
    }
  });

  test('each byte where TFLite and the board differ in quantize and mean is explained', async () => {
    // quantize: both round the same real value r = (x - zx) * s_x / s_y; TFLite through an 8-bit
    // multiplier m / 256, ties up. A differing byte is one step apart, with a rounding boundary
    // between r and (x - zx) * m / 256.
    const node = at(head, 'quantize');
    const input = await outputs(upTo(head, head.nodes[head.nodes.indexOf(node) - 1].name));
    const output = await outputs(upTo(head, node.name));
    const [qx, qy] = [q(head, node.inputs[0]), q(head, node.outputs[0])];
    const ratio = Math.fround(Math.fround(qx.scale) / Math.fround(qy.scale));
    const m = Math.round(256 * ratio);
    let differing = 0;
    for (let i = 0; i < input.tfl.length; i++) {
      const d = input.tfl[i] - qx.zeroPoint;
      const [tfl, board] = [output.tfl[i], Math.max(-128, Math.min(127, multiplyByQuantizedMultiplier(d, ...mbqm(qx.scale / qy.scale)) + qy.zeroPoint))];
      if (tfl === board) continue;
      differing++;
      assert.equal(Math.abs(tfl - board), 1, `quantize byte ${i}`);
      const [r, r8] = [d * ratio, (d * m) / 256];
      const boundary = Math.min(tfl, board) - qy.zeroPoint + 0.5;
      assert.ok(Math.min(r, r8) <= boundary && boundary <= Math.max(r, r8), `quantize byte ${i}: ${r} and ${r8} straddle ${boundary}`);
    }
    assert.ok(differing > 0);

    // mean at one quantization (TFLite's own kernel): the board truncates sum / n; TFLite gives a
    // nearest integer to sum / n (ties either way: not modelled, see integer-arithmetic.md). The
    // conv before it is XNNPACK's in TFLite, so its outputs are the XNNPACK mode's.
    for (const g of [sameW, sameHW]) {
      const mean = at(g, 'mean');
      const x = await outputs(upTo(g, g.nodes[0].name));
      assert.deepEqual(x.tfl, x.xnn);
      const y = await outputs(g);
      const shape = g.tensors[mean.inputs[0]].shape;
      const axes = (mean.attrs as { axes: number[] }).axes;
      const n = axes.reduce((k, a) => k * shape[a], 1);
      const per = y.tfl.length / COUNT;
      const [sums, boardSums] = [new Float64Array(y.tfl.length), new Float64Array(y.tfl.length)];
      const targets = meanTargets(shape, axes);
      for (let img = 0; img < COUNT; img++) {
        for (let k = 0; k < targets.length; k++) {
          sums[img * per + targets[k]] += x.tfl[img * targets.length + k];
          boardSums[img * per + targets[k]] += x.device[img * targets.length + k];
        }
      }
      let count = 0;
      for (let i = 0; i < y.tfl.length; i++) {
        assert.equal(y.device[i], Math.trunc(boardSums[i] / n) + 0, `board byte ${i}`);
        assert.ok(Math.abs(y.tfl[i] - sums[i] / n) <= 0.5, `TFLite byte ${i}: ${y.tfl[i]} is not a nearest integer to ${sums[i] / n}`);
        if (y.tfl[i] !== Math.trunc(sums[i] / n)) count++;
      }
      assert.ok(count > y.tfl.length / 5, `${count} of ${y.tfl.length} bytes differ from truncation`);
    }
  });
});

test('generated C on the host = kit\'s integer reference, layer by layer, for the imported concat/quantize/mean/softmax models', { skip: missing('gcc') }, async () => {
  const models = { head: roundTrip(concatHead(3)), sameW: roundTrip(meanSameQuant(4, [1], true)), sameHW: roundTrip(meanSameQuant(5, [0, 1], false)) };
  for (const [name, graph] of Object.entries(models)) {
    const dir = join(work, `host-${name}`);
    const gen = await generateC({ graph, board: 'host', outDir: join(dir, 'model') });
    const images = randomPixels(8, numElements(graph.tensors.image.shape), 5);
    const bin = compileModel(gen.outDir, join(dir, 'model-bin'), { flags: ['-O2'], taps: true });
    assertMatchesInterpreter(graph, images, 8, runModel(bin, images), true);
  }
});

const mbqm = (real: number): [number, number] => {
  const r = quantizeMultiplier(real);
  return [r.multiplier, r.shift];
};

const haveQemu = await run('qemu-system-arm', ['--version']).then(() => true, () => false);
const haveArmGcc = await run('arm-none-eabi-gcc', ['--version']).then(() => true, () => false);

for (const name of ['cnn', 'dscnn'] as const) {
  test(`${name}: kit import -> codegen -> flash -> verify (${name === 'cnn' ? '200 .npy inputs with labels' : '--random 200'}), bit-exact on the emulated Cortex-M4`, { skip: haveQemu && haveArmGcc ? false : 'needs qemu-system-arm and arm-none-eabi-gcc' }, async (t) => {
    const kit = (...args: string[]) => run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, maxBuffer: 1 << 24 });
    const work = mkdtempSync(join(tmpdir(), `kit-tflite-${name}-`));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const file = join(work, `${name}.tflite`);
    writeFileSync(file, writeTflite(graphToTflite(models()[name])));
    const imported = await kit('import', file, '--out', join(work, name));
    assert.match(imported.stdout, name === 'cnn' ? /input  \[1, 12, 10, 3\] int8: scale 0\.03999999910593033, zero point -7/ : /input  \[1, 49, 10, 1\] int8: scale 0\.5, zero point 83/);
    const project = join(work, name, 'c-qemu-cortex-m4');
    await kit('codegen', join(work, name), '--board', 'qemu-cortex-m4', '--out', project);
    await kit('flash', project);
    // cnn: the same 200 seeded inputs as raw tensors in a .npy, with labels; dscnn: --random.
    const inputs = randomInputs(models()[name], 200, 3);
    writeFileSync(join(work, 'inputs.npy'), npyBytes('|i1', [200, 1, ...models()[name].tensors.image.shape], inputs.images));
    writeFileSync(join(work, 'labels.npy'), npyBytes('<i8', [200], new Uint8Array(BigInt64Array.from({ length: 200 }, (_, i) => BigInt(i % 5)).buffer)));
    const verified = name === 'cnn'
      ? await kit('verify', project, '--inputs', join(work, 'inputs.npy'), '--labels', join(work, 'labels.npy'))
      : await kit('verify', project, '--random', '200', '--seed', '3');
    assert.match(verified.stdout, /vs desktop TFLite +desktop TFLite \(XNNPACK\) would/);
    const report = JSON.parse(readFileSync(join(project, 'verify-report.json'), 'utf8')) as VerifyReport;
    assert.equal(report.images, 200);
    assert.equal(report.agreement.bitExact, 1);
    if (name === 'cnn') {
      // Labels given: accuracy is reported, and the board's equals the host's (bit-exact logits).
      assert.equal(typeof report.accuracy.device, 'number');
      assert.equal(report.accuracy.device, report.accuracy.hostInteger);
    } else {
      assert.equal(report.accuracy.device, null);
    }
    assert.equal(report.tflite?.inputs, 200);
  });
}
