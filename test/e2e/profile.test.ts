/**
 * `kit verify --profile` as a user runs it: the bundled ResNet-8 (int8) through quantize -> codegen
 * -> flash -> verify with a per-layer profile, on the emulated Cortex-M4 (5 images) and on the
 * emulated rv32imc core (1 image). The layers must account for the profiled inference exactly,
 * the profiling build must cost no more than its marks over the normal firmware, a layer that runs
 * no code must cost exactly what a mark costs, and the MACs must be the op's cost.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCodegenManifest } from '../../src/codegen/codegen-manifest.js';
import type { LayerProfile } from '../../src/device/profile/profile.js';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { fuseResidualAdds } from '../../src/ops/conv2d-add/fuse.js';
import { nodeCost } from '../../src/ops/cost.js';
import { loadQuantized } from '../../src/quantize/index.js';
import { missing } from '../tools.js';
import { kitSteps, ROOT, SAMPLE } from '../cli/helpers.js';

const work = mkdtempSync(join(tmpdir(), 'kit-profile-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = join(work, 'resnet8');
const quantized = join(model, 'int8');

const kit = kitSteps(join(work, 'cache'));

const skipArm = missing('qemu-system-arm', 'arm-none-eabi-gcc');
const skipRiscv = missing('qemu-system-riscv32', 'riscv64-unknown-elf-gcc');

before(async () => {
  if (skipArm && skipRiscv) return;
  cpSync(join(ROOT, 'test', 'fixtures', 'resnet8'), model, { recursive: true });
  // Calibration on few images: the profile's arithmetic does not depend on the quantization's quality.
  await kit('quantize', model, '--scheme', 'int8', '--data', SAMPLE, '--calib', '16', '--eval', '8', '--out', quantized);
});

/** codegen -> flash -> verify --profile on a board; the report's profile, checked for what holds on every board. */
async function profileOn(board: string, samples: number): Promise<{ profile: LayerProfile; report: VerifyReport; project: string }> {
  const project = join(quantized, `c-${board}`);
  await kit('codegen', quantized, '--board', board, '--out', project);
  await kit('flash', project);
  const { stdout } = await kit('verify', project, '--data', SAMPLE, '--samples', String(samples), '--profile', '--json');
  const report = JSON.parse(stdout) as VerifyReport;
  assert.deepEqual(JSON.parse(readFileSync(join(project, 'verify-report.json'), 'utf8')).profile, report.profile, 'verify-report.json holds what --json printed');
  assert.equal(report.agreement.bitExact, 1);
  const p = report.profile!;
  assert.equal(p.unit, 'instructions');
  assert.equal(p.images, samples);

  // The layers are the project's, in call order, with the op's MACs (src/ops/cost.ts) of the fused graph codegen lowered.
  const { graph } = await loadQuantized(quantized);
  const fused = fuseResidualAdds(graph).graph;
  assert.deepEqual(p.layers.map((l) => [l.name, l.op, l.macs]), fused.nodes.map((n) => [n.name, n.op, nodeCost(fused, n).macs]));
  assert.deepEqual(p.layers.map((l) => l.name), readCodegenManifest(project).figures!.layers.map((l) => l.name));
  assert.equal(p.macs, graph.nodes.reduce((s, n) => s + nodeCost(graph, n).macs, 0), 'fusion keeps the MACs of the parts');
  assert.equal(p.marks, p.layers.length + 1);

  // The layers and what runs outside them (the call, the output copy) are the profiled total, exactly.
  const inLayers = p.layers.reduce((s, l) => s + l.count, 0);
  assert.equal(inLayers + p.outside, p.total);
  assert.ok(p.outside >= 0 && p.outside < 200, `outside the layers: ${p.outside}`);
  for (const l of p.layers) {
    assert.equal(l.share, l.count / p.total);
    assert.equal(l.perMac, l.macs ? l.count / l.macs : null);
  }
  // The unprofiled firmware on the same image: the marks are all the profiling build adds.
  assert.ok(p.unprofiledTotal !== null && p.hookPerMark !== null);
  assert.equal(p.total - p.unprofiledTotal, p.marks * p.hookPerMark);
  assert.ok(p.hookPerMark > 0 && p.hookPerMark <= 40, `one mark costs ${p.hookPerMark} instructions`);
  // The convolutions are the work: over 95 % of the inference, at 0.5 to 8 instructions per MAC.
  const convs = p.layers.filter((l) => l.op === 'conv2d' || l.op === 'conv2d_add');
  assert.ok(convs.reduce((s, l) => s + l.share, 0) > 0.95);
  for (const l of convs) assert.ok(l.perMac! > 0.5 && l.perMac! < 8, `${l.name}: ${l.perMac} per MAC`);
  return { profile: p, report, project };
}

test('kit verify --profile on qemu-cortex-m4: per-layer instructions add up to the inference, the hook cost is measured, MACs are the cost model\'s', { skip: skipArm, timeout: 600_000 }, async () => {
  const { profile: p, report } = await profileOn('qemu-cortex-m4', 5);
  // The profiled image is one of the five, with its unprofiled count among the verify run's.
  assert.ok(p.image >= 0 && p.image < 5);
  assert.ok(p.totalMin <= p.total && p.total <= p.totalMax);
  assert.ok(p.unprofiledTotal! >= report.latency.medianInstructions! - (p.totalMax - p.totalMin) && p.unprofiledTotal! <= report.latency.p90Instructions!);
  // SysTick under -icount shift 3 counts 5 instructions a tick: a flatten stored in its input runs
  // no code, so its figure is one mark's cost to within a tick.
  const flatten = p.layers.find((l) => l.op === 'flatten')!;
  assert.ok(Math.abs(flatten.count - p.hookPerMark!) <= 5, `flatten ${flatten.count}, a mark ${p.hookPerMark}`);
  assert.equal(flatten.count % 5, 0);
});

test('kit verify --profile on qemu-riscv32 (minstret): exact instruction counts per layer', { skip: skipRiscv, timeout: 600_000 }, async () => {
  const { profile: p } = await profileOn('qemu-riscv32', 1);
  // minstret counts every instruction: the layer that runs no code costs one mark, to within the
  // odd instruction the calls move around in kit_model_invoke (less than one per mark on average).
  const flatten = p.layers.find((l) => l.op === 'flatten')!;
  assert.ok(Math.abs(flatten.count - p.hookPerMark!) < 1, `flatten ${flatten.count}, a mark ${p.hookPerMark}`);
});
