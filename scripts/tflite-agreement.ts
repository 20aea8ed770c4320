/**
 * How desktop TFLite, kit's XNNPACK mode and the board (kit's default integer reference, which the
 * board matches bit for bit) agree on a quantized int8 model: exports it as .tflite in memory, runs
 * TFLite's own WASM runtime (@tensorflow/tfjs-tflite) on the bundled CIFAR-10 sample test images,
 * and prints the differing output bytes and where the two requantizations first part.
 *
 *   node --import tsx scripts/tflite-agreement.ts QUANTIZED_DIR [DATA]
 */
import { join } from 'node:path';
import { loadDataset } from '../src/data/load-dataset.js';
import { graphToTflite } from '../src/import/tflite/from-graph.js';
import { writeTflite } from '../src/import/tflite/writer.js';
import { Interpreter } from '../src/ir/interpreter.js';
import { loadQuantized } from '../src/quantize/artefact.js';
import { renderDivergence, tfliteDivergence } from '../src/quantize/tflite-divergence.js';
import { runTflite } from '../test/import/tflite-runtime.js';

const [dir, data = join(import.meta.dirname, '..', 'test/fixtures/cifar10-sample')] = process.argv.slice(2);
if (!dir) throw new Error('usage: scripts/tflite-agreement.ts QUANTIZED_DIR [DATA]');
const { graph } = await loadQuantized(dir);
const test = loadDataset(data).test;
const device = new Interpreter(graph);
const xnnpack = new Interpreter(graph, { requantization: 'xnnpack' });
// The exported model starts after kit's pixel table (TFLite has no such op): feed it the table's output.
const first = graph.nodes[0].op === 'normalize_input' ? graph.nodes[0].outputs[0] : graph.inputs[0];
const inBytes = device.value(first).length;
const tfliteInputs = new Uint8Array(test.count * inBytes);
const dev: number[] = [];
const xnn: number[] = [];
for (let i = 0; i < test.count; i++) {
  const px = test.images.subarray(i * device.inputLength, (i + 1) * device.inputLength);
  dev.push(...device.run(px));
  const v = device.value(first);
  tfliteInputs.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), i * inBytes);
  xnn.push(...xnnpack.run(px));
}
const t = await runTflite(writeTflite(graphToTflite(graph)), tfliteInputs, test.count);
const tfl = new Int8Array(t.outputs.buffer);
const differ = (a: ArrayLike<number>) => Array.from(tfl).filter((v, i) => v !== a[i]).length;
console.log(`${test.count} images, ${tfl.length} output bytes`);
console.log(`TFLite vs kit XNNPACK mode: ${differ(xnn)} bytes differ`);
console.log(`TFLite vs the board (kit's default reference): ${differ(dev)} bytes differ`);
console.log(renderDivergence(tfliteDivergence(graph, test.images, test.count)));
