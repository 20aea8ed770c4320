import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { knownBoards, loadBoard, ramBudget } from '../../src/device/boards.js';
import { buildCommand, buildFirmware } from '../../src/device/build.js';
import { STANDIN_DIR } from './standin-model.js';
import { kitError, tmpDir } from './helpers.js';

test('boards: every shipped board validates; budgets are what the data sheets say', () => {
  assert.deepEqual(knownBoards(), ['esp32', 'esp32s3', 'esp32s3-n16r8', 'host', 'qemu-cortex-m4']);
  for (const name of knownBoards()) assert.equal(loadBoard(name).name, name);
  const qemu = loadBoard('qemu-cortex-m4');
  assert.equal(qemu.flash.method, 'qemu');
  assert.equal(qemu.clockHz, 25_000_000);
  assert.deepEqual(qemu.memory.regions.map((r) => [r.name, r.bytes, r.address]), [['psram', 16 << 20, 0x21000000]]);
  const esp32 = loadBoard('esp32');
  assert.equal(esp32.clockHz, 240_000_000);
  assert.equal(esp32.memory.flash.bytes, 4 << 20);
  assert.equal(ramBudget(esp32), 128 * 1024, 'ESP-IDF caps static DRAM at 160 KB on ESP32 and uses part of it');
  assert.equal(loadBoard('esp32s3').memory.flash.bytes, 8 << 20);
  assert.equal(ramBudget(loadBoard('esp32s3')), 256 * 1024);
  const n16r8 = loadBoard('esp32s3-n16r8');
  assert.equal(n16r8.memory.flash.bytes, 16 << 20);
  assert.equal(ramBudget(n16r8), 256 * 1024);
  assert.deepEqual(n16r8.memory.regions.map((r) => [r.name, r.bytes, r.section, r.holds]), [['psram', 8 << 20, '.ext_ram.bss', ['arena']]]);
  assert.deepEqual(n16r8.espIdf?.psram, { mode: 'octal', speedMhz: 80 });
});

test('boards: an unknown name lists the known ones; a bad file names the bad field', () => {
  assert.throws(() => loadBoard('arduino-uno'), (e: unknown) => {
    kitError('unknown-board', /unknown board "arduino-uno"/)(e);
    assert.match((e as { hint: string }).hint, /esp32, esp32s3, esp32s3-n16r8, host, qemu-cortex-m4/);
    return true;
  });
  const dir = tmpDir('boards');
  const file = join(dir, 'mine.json');
  const good = JSON.parse(JSON.stringify(loadBoard('esp32')));
  delete good.file;
  writeFileSync(file, JSON.stringify({ ...good, clockHz: -1 }));
  assert.throws(() => loadBoard(file), kitError('bad-board', /mine\.json: clockHz: /));
  writeFileSync(file, JSON.stringify({ ...good, serial: { baud: 115200, parity: 'odd' } }));
  assert.throws(() => loadBoard(file), kitError('bad-board', /serial/));
  writeFileSync(file, '{ nope');
  assert.throws(() => loadBoard(file), kitError('bad-board', /not valid JSON/));
  writeFileSync(file, JSON.stringify(good));
  assert.equal(loadBoard(file).name, 'esp32', 'a board JSON can live anywhere');
});

test('build: the command uses the board JSON toolchain; unbuildable boards and bad model folders are KitErrors', async () => {
  const out = tmpDir('build');
  const { command, file } = buildCommand({ board: 'qemu-cortex-m4', modelDir: STANDIN_DIR, outDir: out });
  assert.equal(command[0], 'arm-none-eabi-gcc');
  for (const flag of ['-mcpu=cortex-m4', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16', '-Werror', '-std=c99', '--specs=nano.specs', '-nostartfiles']) {
    assert.ok(command.includes(flag), flag);
  }
  assert.ok(command.includes('-DKIT_BOARD_NAME="qemu-cortex-m4"'));
  assert.ok(command.some((a) => a.endsWith('link.ld') && a.startsWith('-T')));
  assert.ok(command.some((a) => a.endsWith('standin-model/model.c')));
  assert.equal(file, join(out, 'firmware.elf'));
  await assert.rejects(buildFirmware({ board: 'esp32', modelDir: STANDIN_DIR, outDir: out }), kitError('board-unsupported', /esp32/));
  await assert.rejects(buildFirmware({ board: 'host', modelDir: out, outDir: out }), kitError('model-incomplete', /no model\.h/));
  const broken = tmpDir('broken-model');
  writeFileSync(join(broken, 'model.h'), '#define KIT_MODEL_INPUT_BYTES 4\n');
  writeFileSync(join(broken, 'model.c'), 'int x;\n');
  await assert.rejects(buildFirmware({ board: 'host', modelDir: broken, outDir: out }), kitError('build-failed', /KIT_MODEL_OUTPUT_BYTES/));
  const board = { ...loadBoard('host'), toolchain: { ...loadBoard('host').toolchain, compiler: 'no-such-cc-kit' } };
  await assert.rejects(buildFirmware({ board, modelDir: STANDIN_DIR, outDir: out }), kitError('toolchain-missing', /no-such-cc-kit not found/));
});
