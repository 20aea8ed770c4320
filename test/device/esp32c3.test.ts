/**
 * The esp32c3 board: an ESP-IDF board like esp32, on the RISC-V core the qemu-riscv32 board runs.
 * What can be checked without ESP-IDF: the project kit flash writes for it, and that the generated
 * ResNet-8 compiles to the same machine code under esp32c3's compiler flags (ESP-IDF's, for the
 * chip) as under qemu-riscv32's, so that what is verified in QEMU is what the chip would run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { type CodegenManifest, generateC, writeCodegenManifest } from '../../src/codegen/index.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { loadBoard, ramBudget } from '../../src/device/boards.js';
import { espIdfDir, writeEspIdfProject } from '../../src/device/esp-idf/project.js';
import { quantizeModel } from '../../src/quantize/index.js';
import { missingForBoard, tmpDir } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const board = loadBoard('esp32c3');
const qemu = loadBoard('qemu-riscv32');

describe('esp32c3', () => {
  const project = tmpDir('esp32c3');
  let manifest: CodegenManifest;
  before(async () => {
    const sample = loadDataset(join(ROOT, 'test/fixtures/cifar10-sample'));
    const q = await quantizeModel({ modelDir: join(ROOT, 'test/fixtures/resnet8'), scheme: 'int8', calibImages: { images: sample.train.images.subarray(0, 8 * 3072), count: 8, split: 'train' } });
    const gen = await generateC({ graph: q.graph, board: 'esp32c3', outDir: project, modelName: 'resnet8' });
    manifest = writeCodegenManifest(project, { board: 'esp32c3', quantizedDir: project, modelHash: gen.hash, arenaBytes: gen.plan.arenaBytes, flashBytes: gen.sizes.flash.total, ramBytes: gen.sizes.ram.total });
    assert.ok(gen.sizes.fits);
  });

  test('board: the data sheet budgets, a conservative static-RAM allowance, ESP-IDF flags for the rv32imc core', () => {
    assert.equal(board.memory.flash.bytes, 4 << 20);
    assert.equal(board.memory.ram.bytes, 400 * 1024);
    assert.equal(ramBudget(board), 160 * 1024);
    assert.equal(board.core, qemu.core);
    assert.equal(board.clockHz, qemu.clockHz);
    assert.deepEqual(board.toolchain.cflags.filter((f) => /^-m/.test(f)), ['-march=rv32imc_zicsr_zifencei', '-mabi=ilp32']);
    assert.deepEqual(board.flash.method === 'esptool' && board.flash.chip, 'esp32c3');
  });

  test('the ESP-IDF project targets the chip: IDF_TARGET, 160 MHz, 4 MB flash, the shared ESP-IDF port', () => {
    const written = writeEspIdfProject({ project, board, manifest });
    assert.equal(written.dir, espIdfDir(project));
    assert.match(readFileSync(join(written.dir, 'CMakeLists.txt'), 'utf8'), /^set\(IDF_TARGET esp32c3\)$/m);
    const defaults = readFileSync(join(written.dir, 'sdkconfig.defaults'), 'utf8');
    for (const line of ['CONFIG_IDF_TARGET="esp32c3"', 'CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ_160=y', 'CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y']) assert.ok(defaults.split('\n').includes(line), line);
    const main = readFileSync(join(written.dir, 'main', 'CMakeLists.txt'), 'utf8');
    for (const f of ['uart_esp_idf.c', 'timer_ccount.c', 'app_main.c']) assert.ok(main.includes(`\${KIT_DIR}/board/${f}`), f);
    assert.ok(main.includes('"KIT_BOARD_CLOCK_HZ=160000000u"'));
  });

  const compiler = qemu.toolchain.compiler;
  test('the generated ResNet-8 compiles to identical machine code with esp32c3\'s and qemu-riscv32\'s flags', { skip: missingForBoard(qemu) }, () => {
    // Only the instruction-set flags differ between the two boards; the rest is held equal, and
    // picolibc's headers stand in for ESP-IDF's newlib (the kernels only use <stdint.h> and <string.h>).
    const isa = (flags: string[]) => flags.filter((f) => /^-m(arch|abi)=|^-misa-spec=/.test(f));
    const common = ['--specs=picolibc.specs', '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections', `-I${project}`];
    const out = join(project, 'objects');
    const sources = readdirSync(project).filter((f) => f.endsWith('.c'));
    assert.deepEqual(sources, ['model.c']);
    assert.match(readFileSync(join(project, 'model.c'), 'utf8'), /#include "kernel_conv2d\.inc"/);
    let compared = 0;
    for (const src of sources) {
      const listings = [board, qemu].map((b) => {
        const obj = join(out, b.name, src.replace(/\.c$/, '.o'));
        mkdirSync(join(out, b.name), { recursive: true });
        const cc = spawnSync(compiler, [...isa(b.toolchain.cflags), ...common, '-c', join(project, src), '-o', obj], { encoding: 'utf8' });
        assert.equal(cc.status, 0, `${b.name}: ${cc.stderr}`);
        const dump = spawnSync(compiler.replace(/gcc$/, 'objdump'), ['-d', obj], { encoding: 'utf8' });
        assert.equal(dump.status, 0, dump.stderr);
        return dump.stdout.split('\n').slice(3).join('\n'); // past the line naming the file
      });
      assert.equal(listings[0], listings[1], `${src}: different code`);
      compared += (listings[0].match(/^\s+[0-9a-f]+:\t/gm) ?? []).length;
    }
    assert.ok(compared > 1000, `${compared} instructions compared`);
  });
});
