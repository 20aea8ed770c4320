/**
 * What codegen refuses, and how: models that do not fit a board (before anything is written),
 * unknown boards, graphs from another kit, ops without a template. And placement of what does not
 * fit the default memories into a board region (PSRAM).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateC, prepareCodegen, readCodegenManifest, renderCodegenReport, resolveBoard, writeCodegenManifest } from '../../src/codegen/index.js';
import { partitionsCsv, planPartitions } from '../../src/device/esp-idf/partitions.js';
import { sdkconfigDefaults } from '../../src/device/esp-idf/sdkconfig.js';
import { loweringOf, opsWithoutLowering } from '../../src/codegen/lower/index.js';
import { TEMPLATES_DIR, Templates } from '../../src/codegen/templates.js';
import { loadBoard } from '../../src/device/boards.js';
import type { Graph } from '../../src/ir/graph.js';
import { saveGraph } from '../../src/ir/serialize.js';
import { getOp, opNames } from '../../src/ops/registry.js';
import { loadQuantized } from '../../src/quantize/index.js';
import { buildResnetSeed } from '../../src/models/resnet-seed.js';
import { quantizeLayersModel } from '../../src/quantize/quantize-model.js';
import { CIFAR_NORMALIZATION, syntheticImages } from '../quantize/fixtures.js';
import { GraphBuilder } from './graphs.js';
import { kitError, tmpDir } from './helpers.js';

/** image -> lut -> flatten -> dense(4096 -> units): `units` * 4 KiB of int8 weights. */
function bigDense(units: number): Graph {
  const b = new GraphBuilder('int8', 3);
  const x = b.flatten(b.lut(b.input([32, 32, 4]), 0));
  return b.build(b.dense(x, { outC: units }));
}

/** A small graph: lut -> conv -> global pool -> dense. */
function small(): Graph {
  const b = new GraphBuilder('int8', 4);
  const x = b.conv(b.lut(b.input([8, 8, 3]), -128), { outC: 8, relu: true });
  return b.build(b.dense(b.globalAvgPool(x), { outC: 10 }));
}

/** The real resnet_seed (10.6 M parameters), quantized on two synthetic images: ~10.7 MB of int8 weights. */
let seed: Graph | undefined;
function resnetSeed(): Graph {
  if (!seed) {
    const model = buildResnetSeed(1);
    seed = quantizeLayersModel(model, CIFAR_NORMALIZATION, { scheme: 'int8', calibImages: { images: syntheticImages(2, 1), count: 2 } }).graph;
    model.dispose();
  }
  return seed;
}

describe('budgets', () => {
  test('resnet_seed (~10.7 MB of weights) is refused for esp32 before any file is written, with the numbers and where it fits', async () => {
    const outDir = join(tmpDir('too-large'), 'out');
    await assert.rejects(
      generateC({ graph: resnetSeed(), board: 'esp32', outDir, modelName: 'resnet_seed' }),
      kitError('model-too-large', /resnet_seed does not fit esp32: flash: 10,[\d,]+ bytes needed \(weights 10,[\d,]+ \+ code [\d,]+ \(estimate\) \+ harness [\d,]+ \(allowance\)\) but esp32 has 4,194,304/),
    );
    assert.ok(!existsSync(outDir), 'nothing written');
    assert.throws(
      () => prepareCodegen(resnetSeed(), loadBoard('esp32'), { modelName: 'resnet_seed' }),
      (e: Error & { hint: string }) => /use a smaller model \(e\.g\. resnet8\), or a board where it fits, e\.g\. esp32s3-n16r8, qemu-cortex-m4 \(with its 16\.00 MiB psram\), qemu-riscv32, qemu-xtensa$/.test(e.hint),
    );
  });

  test('esp32s3-n16r8 takes resnet_seed: weights in its 16 MiB memory-mapped flash, the arena in internal RAM; esp32 refuses it', () => {
    const board = loadBoard('esp32s3-n16r8');
    const p = prepareCodegen(resnetSeed(), board, { modelName: 'resnet_seed' });
    // Weights: every array of weights.inc (10,644,527 B with the parameter structs; the stem's 3 input channels padded to 4; shifts int8, biases int16 where every value fits; a layer with per-tensor requantization stores its multiplier, shift and weight zero point once) + the 65-byte hash;
    // code: the per-kernel estimates (no xtensa-esp32s3-elf-gcc here); harness: kit's 4 KiB allowance.
    assert.deepEqual(p.sizes.flash, { weights: 10_644_592, code: 9768, harness: 4096, total: 10_658_456, budget: 16 << 20 });
    // RAM: the 131 KiB arena (= the in-place bound: each block's second conv, shortcut and add fused, so
    // block 1 holds its input, the first conv's output and its own: 3 + 64 + 64 KiB; layer by layer it
    // would be 192 KiB) + 18 KiB of scratch (row buffers of the 256-channel convolutions) + the image, one piece's frame buffer, the block bitmap and logits + stack.
    assert.deepEqual(p.sizes.ram, { arena: 134_144, scratch: 18_432, harness: 3072 + 12 + 3072 + 11 + 12 + 10 + 64, stack: 192 + 512, total: 159_533, budget: 256 << 10 });
    assert.deepEqual([p.plan.lowerBound, p.plan.layerwiseBound], [134_144, 196_608]);
    assert.deepEqual(p.sizes.regions, [], 'nothing in PSRAM: it all fits internal RAM');
    assert.equal(p.placement.arenaSection, undefined);
    assert.ok(p.layers.every((l) => l.arrays.every((a) => a.section === undefined)), 'weights stay in flash (.rodata, memory-mapped by ESP-IDF)');
    const report = renderCodegenReport(p, p.sizes, 'out');
    assert.match(report, /^flash: weights 10,644,592 \(exact\) \+ code 9,768 \(estimate: no toolchain\) \+ harness 4,096 \(allowance\) = 10,658,456 B of 16,777,216 \(63\.5%\)$/m);
    assert.match(report, /^ {2}\(weights stay in flash, memory-mapped through the MMU and read through the data cache/m);
    assert.match(report, /^RAM: arena 134,144 \+ scratch 18,432 \+ harness 6,253 \(allowance\) \+ stack 704 \(model estimate, harness allowance\) = 159,533 B of 262,144 \(60\.9%\)$/m);
    assert.match(report, /^memory plan: arena 134,144 B \(131\.0 KiB\), in-place bound 134,144 B: optimal .*\n {2}layer-wise bound 196,608 B \(every output in its own buffer\): 62,464 B \(31\.8 %\) below it\n {2}fused: block1_b_conv \+ block1_shortcut \+ block1_add; block2_b_conv \+ block2_shortcut \+ block2_add; block3_b_conv \+ block3_shortcut \+ block3_add$/m);
    assert.doesNotMatch(report, /psram|DOES NOT FIT/);
    const refused = (() => {
      try {
        prepareCodegen(resnetSeed(), loadBoard('esp32'), { modelName: 'resnet_seed' });
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    })();
    assert.equal(
      refused,
      'resnet_seed does not fit esp32: flash: 10,658,456 bytes needed (weights 10,644,592 + code 9,768 (estimate) + harness 4,096 (allowance)) but esp32 has 4,194,304; ' +
        'RAM: 159,533 bytes needed (arena 134,144 + scratch 18,432 + harness 6,253 (allowance) + stack 704) but esp32 leaves 131,072 for a model',
    );

    // The ESP-IDF project kit flash writes for it: 16 MB flash, octal 8 MB PSRAM, an app partition that holds the model.
    const config = sdkconfigDefaults(board).split('\n');
    for (const line of ['CONFIG_IDF_TARGET="esp32s3"', 'CONFIG_ESPTOOLPY_FLASHSIZE_16MB=y', 'CONFIG_ESPTOOLPY_FLASHMODE_QIO=y', 'CONFIG_SPIRAM=y', 'CONFIG_SPIRAM_MODE_OCT=y', 'CONFIG_SPIRAM_TYPE_ESPPSRAM64=y', 'CONFIG_SPIRAM_SPEED_80M=y', 'CONFIG_SPIRAM_ALLOW_BSS_SEG_EXTERNAL_MEMORY=y', 'CONFIG_PARTITION_TABLE_CUSTOM=y']) {
      assert.ok(config.includes(line), line);
    }
    assert.ok(!sdkconfigDefaults(loadBoard('esp32s3')).includes('CONFIG_SPIRAM'), 'no PSRAM settings for a board without one');
    const plan = planPartitions(board, p.sizes.flash.total);
    // 10,696,449 + 262,144 (ESP-IDF allowance) = 10,958,593; + a tenth as margin, to 64 KiB = 12,058,624 (0xb80000).
    assert.equal(plan.appBytes, 0xb8_0000);
    assert.equal(partitionsCsv(plan, board.name).split('\n').at(-2), 'factory, app, factory, 0x10000, 0xb80000,');
    assert.throws(() => planPartitions(loadBoard('esp32s3'), p.sizes.flash.total), kitError('app-too-large', /esp32s3's 8,388,608-byte flash/));
  });

  test('esp32s3-n16r8: an arena too big for internal RAM goes to PSRAM (.ext_ram.bss) with its cost said; weights never do', async () => {
    const file = join(tmpDir('n16r8'), 'small-ram.json');
    const json = JSON.parse(readFileSync(loadBoard('esp32s3-n16r8').file, 'utf8'));
    json.name = 'small-ram';
    json.memory.ram.usableBytes = 64 * 1024;
    writeFileSync(file, JSON.stringify(json));
    const graph = bigDense(40); // 160 KiB of weights, a 4 KiB arena
    const big = (() => {
      const b = new GraphBuilder('int8', 5);
      const x = b.conv(b.lut(b.input([64, 64, 3]), -128), { outC: 16, relu: true });
      return b.build(b.dense(b.globalAvgPool(x), { outC: 10 }));
    })();
    const gen = await generateC({ graph: big, board: file, outDir: join(tmpDir('n16r8-out'), 'c') });
    assert.equal(gen.placement.arenaSection, '.ext_ram.bss');
    assert.deepEqual(gen.sizes.regions.map((r) => [r.name, r.bytes, r.holds]), [['psram', gen.plan.arenaBytes, ['the arena']]]);
    assert.match(readFileSync(join(gen.outDir, 'model.c'), 'utf8'), /kit_arena KIT_SECTION\("\.ext_ram\.bss"\);/);
    assert.match(renderCodegenReport(gen, gen.sizes, gen.outDir), /\n  cost: the arena is read and written through the data cache over the 80 MHz octal PSRAM bus/);
    json.memory.flash.bytes = 64 * 1024;
    writeFileSync(file, JSON.stringify(json));
    assert.throws(() => prepareCodegen(graph, resolveBoard(file)), kitError('model-too-large', /flash: [\d,]+ bytes needed .* but small-ram has 65,536/), 'PSRAM is not loaded from the image: weights do not move there');
  });

  test('on qemu-cortex-m4 the weights that overflow its 4 MiB code memory go to PSRAM; the arena is the 131 KiB in-place bound', () => {
    const p = prepareCodegen(resnetSeed(), loadBoard('qemu-cortex-m4'));
    assert.ok(p.sizes.fits);
    assert.ok(p.sizes.flash.total <= 4 * 1024 * 1024);
    assert.equal(p.sizes.regions[0].name, 'psram');
    const moved = p.layers.flatMap((l) => l.arrays).filter((a) => a.section === '.psram.rodata');
    assert.deepEqual(moved.map((a) => a.name), ['kit_fc1_weights'], 'the largest array (fc1, 8 MiB) moves, nothing else');
    assert.equal(p.sizes.regions[0].bytes, 4096 * 2048);
    assert.equal(p.plan.arenaBytes, 3072 + 2 * 64 * 1024);
    assert.equal(p.plan.arenaBytes, p.plan.lowerBound);
    assert.equal(p.plan.layerwiseBound, 3 * 64 * 1024);
    assert.equal(prepareCodegen(resnetSeed(), loadBoard('qemu-cortex-m4'), { fuse: false }).plan.arenaBytes, 3 * 64 * 1024, 'layer by layer (kit codegen --no-fuse)');
  });

  test('a board with a small flash and a PSRAM region: weights.inc places the moved arrays with KIT_SECTION', async () => {
    const dir = tmpDir('psram');
    const board = JSON.parse(readFileSync(join(TEMPLATES_DIR, '..', 'boards', 'qemu-cortex-m4.json'), 'utf8'));
    board.name = 'tiny-psram';
    board.memory.flash.bytes = 16 * 1024;
    const file = join(dir, 'tiny-psram.json');
    writeFileSync(file, JSON.stringify(board));
    const graph = bigDense(4); // 16 KiB of weights: over the flash once code and harness are counted
    const gen = await generateC({ graph, board: file, outDir: join(dir, 'out') });
    assert.equal(gen.sizes.regions.length, 1);
    const weights = readFileSync(join(gen.outDir, 'weights.inc'), 'utf8');
    assert.match(weights, /static const int8_t kit_dense2_weights\[16384\] KIT_ALIGNED\(4\) KIT_SECTION\("\.psram\.rodata"\) = \{/);
    assert.match(weights, /of which 16384 in \.psram\.rodata/);
  });

  test('RAM that does not fit and no region to spill to: refused with the RAM numbers', () => {
    const board = { ...loadBoard('esp32'), name: 'tiny-ram', memory: { flash: { bytes: 1 << 20 }, ram: { bytes: 1024 }, regions: [] } };
    assert.throws(() => prepareCodegen(small(), board), kitError('model-too-large', /RAM: [\d,]+ bytes needed \(arena [\d,]+ \+ scratch [\d,]+ \+ harness [\d,]+ \(allowance\) \+ stack [\d,]+\) but tiny-ram leaves 1,024/));
  });
});

describe('errors', () => {
  test('unknown board: a codegen error listing the known boards', async () => {
    await assert.rejects(generateC({ graph: small(), board: 'no-such-board', outDir: tmpDir('board') }), kitError('unknown-board', /unknown board "no-such-board"/));
    assert.throws(() => resolveBoard('no-such-board'), (e: Error & { stage: string; hint: string }) => e.stage === 'codegen' && /qemu-cortex-m4/.test(e.hint));
  });

  test('a graph of an older IR version, in memory or saved by an older kit', async () => {
    assert.throws(() => prepareCodegen({ ...small(), version: 0 }, loadBoard('host')), kitError('ir-version', /IR version 0, from an older kit/));
    const dir = tmpDir('old-ir');
    await saveGraph(dir, small(), { meta: { stage: 'quantize', model: 'm' } });
    const file = join(dir, 'graph.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 0'));
    await assert.rejects(generateC({ quantizedDir: dir, board: 'host', outDir: join(dir, 'out') }), kitError('artefact-version', /older kit/));
  });

  test('a float graph is refused', () => {
    assert.throws(() => prepareCodegen({ ...small(), kind: 'float' }, loadBoard('host')), kitError('graph-kind', /needs a quantized graph/));
  });

  test('an op whose template is missing is named', async () => {
    const dir = tmpDir('templates');
    cpSync(TEMPLATES_DIR, join(dir, 'templates'), { recursive: true });
    rmSync(join(dir, 'templates', 'kernels', 'global_avg_pool.c.hbs'));
    await assert.rejects(
      generateC({ graph: small(), board: 'host', outDir: join(dir, 'out'), templatesDir: join(dir, 'templates') }),
      kitError('template-missing', /node 'global_avg_pool\d+': op 'global_avg_pool' has no template/),
    );
  });

  test('every op in src/ops/registry.ts has a kernel template and a lowering', () => {
    const templates = new Templates();
    for (const name of opNames()) {
      assert.ok(templates.has(Templates.kernelFile(getOp(name).template)), `templates/kernels/${getOp(name).template}.c.hbs for ${name}`);
      assert.ok(loweringOf(name), `a lowering for ${name}`);
    }
    assert.deepEqual(opsWithoutLowering(), []);
  });

  test('the quantized artefact round trip keeps the model hash', async () => {
    const dir = tmpDir('roundtrip');
    const graph = small();
    await saveGraph(dir, graph, { meta: { stage: 'quantize', model: 'small' } });
    const { graph: loaded } = await loadQuantized(dir);
    const a = prepareCodegen(graph, loadBoard('host'));
    const b = prepareCodegen(loaded, loadBoard('host'));
    assert.equal(a.hash, b.hash);
    const changed = small();
    (changed.tensors[Object.keys(changed.tensors).find((id) => id.endsWith('/weights'))!].data as Int8Array)[0] ^= 1;
    assert.notEqual(prepareCodegen(changed, loadBoard('host')).hash, a.hash, 'one weight bit changes the hash');
  });

  test('kit-codegen.json: written and read back; a folder without one is not a project', () => {
    const dir = tmpDir('manifest');
    const hash = 'ab'.repeat(32);
    writeCodegenManifest(dir, { board: 'qemu-cortex-m4', quantizedDir: 'q', modelHash: hash, arenaBytes: 49152, flashBytes: 100_000, ramBytes: 55_000 });
    const m = readCodegenManifest(dir);
    assert.equal(m.board, 'qemu-cortex-m4');
    assert.equal(m.modelHash, hash);
    assert.equal(m.quantizedDir, join(process.cwd(), 'q'), 'stored absolute');
    assert.throws(() => readCodegenManifest(join(dir, 'nothing')), kitError('project-missing', /is not a kit codegen project/));
    writeFileSync(join(dir, 'kit-codegen.json'), '{"format":"kit-codegen"}');
    assert.throws(() => readCodegenManifest(dir), kitError('project-corrupt'));
  });
});
