/**
 * The input normalization an int8 .tflite's TFLite metadata gives (NormalizationOptions, as the
 * TFLite Support metadata writer stores it) is what kit import records and kit verify uses to turn
 * pixels into the model's int8 input when no --mean/--std is given. The metadata flatbuffer is
 * written here with the flatbuffers Builder, from the metadata schema's field ids.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Builder } from 'flatbuffers';
import { imagesToInput, modelInputOf } from '../../src/data/model-data.js';
import { graphToTflite } from '../../src/import/tflite/from-graph.js';
import { importTflite } from '../../src/import/tflite/import-model.js';
import type { TflModel } from '../../src/import/tflite/model.js';
import { writeTflite } from '../../src/import/tflite/writer.js';
import { kitError } from '../kit-error.js';
import { smallCnn } from './models.js';

const work = mkdtempSync(join(tmpdir(), 'kit-tflite-meta-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** ModelMetadata { subgraph_metadata: [{ input_tensor_metadata: [{ process_units: [NormalizationOptions] }] }] }. */
function metadataBuffer(mean: number[], std: number[]): Uint8Array {
  const b = new Builder(256);
  const floats = (xs: number[]) => {
    b.startVector(4, xs.length, 4);
    for (let i = xs.length - 1; i >= 0; i--) b.addFloat32(xs[i]);
    return b.endVector();
  };
  const vec = (offsets: number[]) => {
    b.startVector(4, offsets.length, 4);
    for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
    return b.endVector();
  };
  const [m, s] = [floats(mean), floats(std)];
  b.startObject(2); // NormalizationOptions { mean: [float]; std: [float] }
  b.addFieldOffset(0, m, 0);
  b.addFieldOffset(1, s, 0);
  const options = b.endObject();
  b.startObject(2); // ProcessUnit { options_type (union type); options }
  b.addFieldInt8(0, 1, 0);
  b.addFieldOffset(1, options, 0);
  const units = vec([b.endObject()]);
  b.startObject(7); // TensorMetadata: process_units is field 4
  b.addFieldOffset(4, units, 0);
  const inputs = vec([b.endObject()]);
  b.startObject(5); // SubGraphMetadata: input_tensor_metadata is field 2
  b.addFieldOffset(2, inputs, 0);
  const subgraphs = vec([b.endObject()]);
  const name = b.createString('test model');
  b.startObject(8); // ModelMetadata: name 0, subgraph_metadata 3
  b.addFieldOffset(0, name, 0);
  b.addFieldOffset(3, subgraphs, 0);
  b.finish(b.endObject(), 'M001');
  return b.asUint8Array().slice();
}

function withMetadata(bytes: Uint8Array): TflModel {
  const model = graphToTflite(smallCnn(3));
  return { ...model, buffers: [...model.buffers, bytes], metadata: [{ name: 'TFLITE_METADATA', buffer: model.buffers.length }] };
}

test('TFLite metadata NormalizationOptions become the imported model\'s normalization; kit verify quantizes pixels with it', async () => {
  const file = join(work, 'meta.tflite');
  writeFileSync(file, writeTflite(withMetadata(metadataBuffer([127.5], [127.5]))));
  const result = await importTflite(file);
  assert.deepEqual(result.normalization, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  // Pixel p is (p - 127.5) / 127.5, quantized at the input's scale 0.04 and zero point -7.
  const input = modelInputOf(result.graph);
  assert.deepEqual([input.quant?.zeroPoint, input.pixels], [-7, false]);
  const set = { images: Uint8Array.from([0, 128, 255]), labels: new Uint8Array(1), count: 1, shape: [1, 1, 3] };
  const q = new Int8Array(imagesToInput(set, { ...input, shape: [1, 1, 3] }, result.normalization).images.buffer);
  const s = input.quant!.scale;
  assert.deepEqual([...q], [Math.round(-1 / s) - 7, Math.round((0.5 / 127.5) / s) - 7, Math.round(1 / s) - 7]);

  const plain = join(work, 'plain.tflite');
  writeFileSync(plain, writeTflite(graphToTflite(smallCnn(3))));
  assert.equal((await importTflite(plain)).normalization, undefined);
});

test('metadata with a wrong channel count, or corrupt, is one line', async () => {
  const twoMeans = join(work, 'two.tflite');
  writeFileSync(twoMeans, writeTflite(withMetadata(metadataBuffer([1, 2], [1, 1]))));
  await assert.rejects(importTflite(twoMeans), kitError('tflite-metadata', /normalizes the input with 2 means and 2 stds for 3 channels/));
  const good = metadataBuffer([127.5], [127.5]);
  const cut = good.slice();
  new DataView(cut.buffer).setUint32(0, 0xfffff0, true);
  const corrupt = join(work, 'corrupt.tflite');
  writeFileSync(corrupt, writeTflite(withMetadata(cut)));
  await assert.rejects(importTflite(corrupt), kitError('tflite-corrupt', /its TFLite metadata is truncated or corrupt/));
});
