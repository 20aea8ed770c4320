/**
 * Speed of the generated C on the MCU: builds the device harness with a generated ResNet-8 for
 * qemu-cortex-m4, runs it under QEMU with -icount (virtual time = instructions executed, so counts
 * are exact and repeat), checks every logit against the integer interpreter, and reports
 * instructions per inference (SysTick ticks -> instructions: src/device/qemu.ts).
 *
 * With --per-layer it also builds the profiling firmware (-DKIT_PROFILE: the counter read before
 * and after every layer, src/device/profile/) and prints the per-layer table `kit verify --profile`
 * prints, for the first image.
 *
 *   node --import tsx scripts/bench-mcu.ts [--model random|DIR] [--scheme int8|uint8] [--images N]
 *                                          [--data DATASET] [--per-layer] [--portable]
 *
 * DIR holds model.json (CIFAR-10 normalization). Images are the first N test images of DATASET
 * (default the 200-image sample; `--data data/cifar10 --images 1000` is the 1,000-image check),
 * calibration uses 64 of its training images.
 *
 * CMSIS-NN is not built or run here: its figures for ResNet-8 on the same emulated core (-O2 DSP
 * build 29.8 M instructions, 2.39 per MAC; pure C 41.8 M) are quoted from the project's codegen goal
 * and printed labelled as such, never used as a measurement.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateC } from '../src/codegen/index.js';
import { CIFAR10_NORMALIZATION } from '../src/data/normalize.js';
import { loadDataset } from '../src/data/load-dataset.js';
import { buildFirmware } from '../src/device/build.js';
import { DeviceClient } from '../src/device/client.js';
import { buildProfile } from '../src/device/profile/profile.js';
import { renderProfile } from '../src/device/profile/render.js';
import { buildProfilingFirmware, runProfilingFirmware } from '../src/device/profile/run.js';
import { loadBoard } from '../src/device/boards.js';
import { startEmulator } from '../src/device/qemu.js';
import { SerialTransport } from '../src/device/transport/serial.js';
import type { Graph } from '../src/ir/graph.js';
import { runBatch } from '../src/ir/interpreter.js';
import { silenceCpuAdvert } from '../src/train/backend/quiet-cpu.js';
import { buildResnet8 } from '../src/models/resnet8.js';
import { quantizeLayersModel } from '../src/quantize/quantize-model.js';
import { loadLayersModel } from '../src/train/model-io.js';

/** Quoted, not measured by kit (see above). */
const CMSIS_NN_QUOTED = { dsp: 29.8e6, pureC: 41.8e6 };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

async function quantized(model: string, scheme: string, calib: { images: Uint8Array; count: number }): Promise<Graph> {
  let layers: tfl.LayersModel;
  if (model === 'random') layers = buildResnet8(1);
  else layers = await loadLayersModel(model);
  const { graph } = quantizeLayersModel(layers, CIFAR10_NORMALIZATION, { scheme, calibImages: calib });
  layers.dispose();
  return graph;
}

interface Run {
  instructions: number[];
  ticks: number[];
  logits: Uint8Array[];
}

/** Build the harness with the model in `modelDir` and run `images` through QEMU. */
async function runOnQemu(modelDir: string, outDir: string, images: Uint8Array[], hash: string, defines: Record<string, string | number> = {}): Promise<Run> {
  const build = await buildFirmware({ board: 'qemu-cortex-m4', modelDir, outDir, defines });
  const emu = await startEmulator({ firmware: build.file });
  try {
    const client = await DeviceClient.connect(new SerialTransport(emu.path, build.board.serial.baud), {
      helloTimeoutMs: 20_000,
      deadAfterMs: 60_000,
      expect: { modelHash: hash },
    });
    try {
      const run: Run = { instructions: [], ticks: [], logits: [] };
      for (const img of images) {
        const r = await client.infer(img);
        run.instructions.push(emu.instructions(r.ticks, client.info.tickHz));
        run.ticks.push(r.ticks);
        run.logits.push(r.logits);
      }
      return run;
    } finally {
      await client.close();
    }
  } finally {
    await emu.stop();
  }
}

const m = (n: number) => `${(n / 1e6).toFixed(2)} M`;

async function main() {
  await tf.setBackend('cpu');
  silenceCpuAdvert(tf.backend());
  const scheme = arg('scheme', 'int8');
  const count = Number(arg('images', '10'));
  const model = arg('model', 'random');
  const sample = loadDataset(arg('data', join(process.cwd(), 'test/fixtures/cifar10-sample')));
  if (count > sample.test.count) throw new Error(`--images ${count}: the data set has ${sample.test.count} test images`);
  const calib = { images: sample.train.images.subarray(0, 64 * 3072), count: 64 };
  const graph = await quantized(model, scheme, calib);
  const images = Array.from({ length: count }, (_, i) => sample.test.images.slice(i * 3072, (i + 1) * 3072));

  const work = mkdtempSync(join(tmpdir(), 'kit-bench-mcu-'));
  try {
    const gen = await generateC({ graph, board: 'qemu-cortex-m4', outDir: join(work, 'model'), modelName: model === 'random' ? 'resnet8 (random init)' : model });
    const macs = gen.layers.reduce((s, l) => s + l.macs, 0);
    const defines: Record<string, number> = flag('portable') ? { KIT_PORTABLE: 1 } : {};
    const run = await runOnQemu(gen.outDir, join(work, 'fw'), images, gen.hash, defines);

    const want = runBatch(graph, Uint8Array.from(images.flatMap((x) => [...x])), count).outputs;
    const wantBytes = new Uint8Array(want.buffer, want.byteOffset, want.byteLength);
    const out = wantBytes.length / count;
    let mismatches = 0;
    run.logits.forEach((l, i) => l.forEach((v, j) => (mismatches += v === wantBytes[i * out + j] ? 0 : 1)));

    // Instruction counts vary a little with the data (clamps, rounding branches): report the mean.
    const perInference = run.instructions.reduce((a, b) => a + b, 0) / run.instructions.length;
    const spread = Math.max(...run.instructions) - Math.min(...run.instructions);
    console.log(`ResNet-8 ${scheme}, ${model}, ${defines.KIT_PORTABLE ? 'portable C (-DKIT_PORTABLE)' : 'DSP (SMLAD) build'}, qemu-cortex-m4 (-icount shift ${gen.board.flash.method === 'qemu' ? gen.board.flash.icountShift : '?'})`);
    console.log(`  logits vs interpreter on ${count} CIFAR-10 test images (${sample.source}): ${mismatches === 0 ? 'identical' : `${mismatches} bytes differ`}`);
    console.log(`  instructions per inference: ${m(perInference)} (mean; min to max ${Math.round(spread)}), ${(perInference / macs).toFixed(2)} per MAC (${m(macs)} MACs)`);
    console.log(`  for reference, quoted (not measured here): CMSIS-NN DSP build ${m(CMSIS_NN_QUOTED.dsp)}, pure C ${m(CMSIS_NN_QUOTED.pureC)}`);

    if (flag('per-layer')) {
      const board = loadBoard('qemu-cortex-m4');
      const build = await buildProfilingFirmware({ board, project: gen.outDir, outDir: join(work, 'fw-profile'), defines });
      const profiled = await runProfilingFirmware({ board, firmware: build.file, images: images.slice(0, 1), client: { helloTimeoutMs: 20_000, deadAfterMs: 60_000, expect: { modelHash: gen.hash } } });
      const r = profiled.results[0];
      if (!r.logits.every((v, j) => v === run.logits[0][j])) throw new Error('the profiling firmware computed other logits than the normal one');
      const profile = buildProfile({
        board: board.name,
        layers: gen.layers.map((l) => ({ name: l.node.name, op: l.node.op, macs: l.macs })),
        runs: [{ index: 0, ticks: r.ticks, marks: r.marks, unprofiledTicks: run.ticks[0] }],
        info: profiled.info,
        instructions: profiled.instructions,
      });
      console.log(`\n${renderProfile(profile)}`);
    }
    if (mismatches) process.exitCode = 1;
  } finally {
    if (!flag('keep')) rmSync(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
