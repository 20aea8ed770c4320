/**
 * kit flash without ESP-IDF: an ESP-IDF build flashed over serial by esptool-js, through kit's
 * Web Serial adapter, onto a mock of the ESP32-S3's ROM bootloader and flasher stub
 * (esp-rom-mock.ts): reset into the bootloader over DTR/RTS, chip detection, stub upload, baud
 * change, compressed writes verified by MD5, and the reset into the new image. No ESP32 is here:
 * what a real chip does beyond the documented protocol is not tested.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeCodegenManifest, type CodegenManifest } from '../../src/codegen/index.js';
import { loadBoard } from '../../src/device/boards.js';
import { flashWithEspIdf } from '../../src/device/esp-idf/flash.js';
import { espIdfDir } from '../../src/device/esp-idf/project.js';
import { flashOverSerial, readEspIdfBuild } from '../../src/device/esp-idf/serial-flash.js';
import { TransportSerialPort } from '../../src/device/esp-idf/web-serial-port.js';
import { EspRomMock, MOCK_ESP32C3, MOCK_ESP32S3 } from './esp-rom-mock.js';
import { kitError, tmpDir } from './helpers.js';
import { STANDIN_DIR, STANDIN_HASH } from './standin-model.js';
import { rng } from '../quantize/random.js';

const board = loadBoard('esp32s3-n16r8');

function bytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

/** An ESP-IDF build folder as idf.py leaves it: flasher_args.json, bootloader, partition table, and an app holding `hash`. */
function fakeBuild(dir: string, chip: string, hash: string) {
  const app = Buffer.concat([bytes(70_001, 1), Buffer.from(hash), bytes(30_000, 2)]);
  const files: Record<string, Uint8Array> = { 'bootloader/bootloader.bin': bytes(21_000, 3), 'partition_table/partition-table.bin': bytes(3072, 4), 'kit_esp32s3_n16r8.bin': app };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  writeFileSync(
    join(dir, 'flasher_args.json'),
    JSON.stringify({
      write_flash_args: ['--flash_mode', 'qio', '--flash_size', '16MB', '--flash_freq', '80m'],
      flash_settings: { flash_mode: 'qio', flash_size: '16MB', flash_freq: '80m' },
      flash_files: { '0x0': 'bootloader/bootloader.bin', '0x8000': 'partition_table/partition-table.bin', '0x10000': 'kit_esp32s3_n16r8.bin' },
      extra_esptool_args: { after: 'hard_reset', before: 'default_reset', stub: true, chip },
    }),
  );
  return files;
}

const flashed = (mock: EspRomMock, address: number, data: Uint8Array) => Buffer.from(mock.flash.subarray(address, address + data.length)).equals(Buffer.from(data));
const untouched = (mock: EspRomMock) => mock.flash.every((b) => b === 0xff);

describe('kit flash over serial with esptool-js (mock ESP32-S3 ROM)', () => {
  test('writes every image of the build where flasher_args.json says, MD5-verified, after resetting into the bootloader, then resets into the app', async () => {
    const dir = tmpDir('esptool-build');
    const files = fakeBuild(dir, 'esp32s3', STANDIN_HASH);
    const mock = new EspRomMock(MOCK_ESP32S3);
    const lines: string[] = [];
    const result = await flashOverSerial({ images: readEspIdfBuild(dir), board, port: '/dev/ttyUSB7', modelHash: STANDIN_HASH, openLine: () => mock, log: (l) => lines.push(l) });
    assert.deepEqual(result, { chip: 'ESP32-S3', bytes: 21_000 + 3072 + 100_065 });
    assert.ok(flashed(mock, 0x0, files['bootloader/bootloader.bin']));
    assert.ok(flashed(mock, 0x8000, files['partition_table/partition-table.bin']));
    assert.ok(flashed(mock, 0x10000, files['kit_esp32s3_n16r8.bin']));
    assert.equal(mock.flash[0x10000 + 100_065], 0xff, 'nothing written past the app');
    assert.deepEqual(mock.log.resets, ['download', 'app'], 'DTR/RTS: into the ROM bootloader, then into the new image');
    assert.ok(mock.log.stubUploaded);
    assert.deepEqual(mock.log.bauds, [460800], "the board JSON's flash baud, set in place");
    assert.ok(lines.includes('found an ESP32-S3 on /dev/ttyUSB7'));
    assert.equal(lines.filter((l) => l === '  Hash of data verified.').length, 3);
  });

  test('refuses before writing: a build for another chip, a build without this model, a board that is another chip', async () => {
    const dir = tmpDir('esptool-refuse');
    fakeBuild(dir, 'esp32s3', STANDIN_HASH);
    const mock = new EspRomMock(MOCK_ESP32S3);
    const images = readEspIdfBuild(dir);
    await assert.rejects(flashOverSerial({ images, board: loadBoard('esp32'), port: '/dev/ttyUSB7', openLine: () => mock }), kitError('image-mismatch', /is for esp32s3; esp32 needs one for esp32$/));
    await assert.rejects(flashOverSerial({ images, board, port: '/dev/ttyUSB7', modelHash: 'ab'.repeat(32), openLine: () => mock }), kitError('image-stale', /does not hold this model/));
    assert.deepEqual(mock.log.commands, [], 'nothing sent');
    const c3 = new EspRomMock(MOCK_ESP32C3);
    await assert.rejects(flashOverSerial({ images, board, port: '/dev/ttyUSB7', openLine: () => c3 }), kitError('wrong-chip', /the board on \/dev\/ttyUSB7 is an ESP32-C3, but the project is for esp32s3-n16r8 \(esp32s3\)/));
    assert.ok(untouched(c3));
  });

  test('a line without DTR/RTS (no auto-reset) and a chip not in its bootloader: one clear error', async () => {
    const dir = tmpDir('esptool-silent');
    fakeBuild(dir, 'esp32s3', STANDIN_HASH);
    const mock = new EspRomMock(MOCK_ESP32S3);
    const noSignals = Object.assign(Object.create(mock) as EspRomMock, { setSignals: undefined });
    await assert.rejects(flashOverSerial({ images: readEspIdfBuild(dir), board, port: '/dev/ttyUSB7', openLine: () => noSignals, attempts: 1 }), (e: unknown) => {
      kitError('no-bootloader', /^no ESP32 ROM bootloader answered on \/dev\/ttyUSB7: /)(e);
      assert.match((e as { hint: string }).hint, /hold BOOT, press and release EN/);
      return true;
    });
    assert.ok(untouched(mock));
  });

  test('kit flash without idf.py flashes the project\'s own ESP-IDF build with esptool-js; without one, says both ways', async () => {
    const project = tmpDir('esptool-project');
    cpSync(STANDIN_DIR, project, { recursive: true });
    const manifest: CodegenManifest = writeCodegenManifest(project, { board: board.name, quantizedDir: project, modelHash: STANDIN_HASH, arenaBytes: 40, flashBytes: 60_000, ramBytes: 4000 });
    await assert.rejects(flashWithEspIdf({ project, board, manifest, port: '/dev/ttyUSB7', env: { PATH: '' } }), kitError('idf-missing', /idf\.py not on PATH/));
    const files = fakeBuild(join(espIdfDir(project), 'build'), 'esp32s3', STANDIN_HASH);
    const mock = new EspRomMock(MOCK_ESP32S3);
    const lines: string[] = [];
    const result = await flashWithEspIdf({ project, board, manifest, port: '/dev/ttyUSB7', env: { PATH: '' }, openLine: () => mock, log: (l) => lines.push(l) });
    assert.equal(result.route, 'esptool-js');
    assert.ok(flashed(mock, 0x10000, files['kit_esp32s3_n16r8.bin']));
    assert.match(lines.join('\n'), /flashing the ESP-IDF build in .*esp-idf\/build with esptool-js/);
  });
});

describe('TransportSerialPort (Web Serial over a kit Transport)', () => {
  test('streams in order across readers, writes through, maps DTR/RTS, reports USB ids, changes baud in place', async () => {
    const events: string[] = [];
    let emit: (b: Uint8Array) => void = () => {};
    const line = {
      path: '/dev/x',
      open: async () => void events.push('open'),
      write: (b: Uint8Array) => void events.push(`write ${[...b]}`),
      onData: (l: (b: Uint8Array) => void) => ((emit = l), () => {}),
      onClose: () => () => {},
      close: async () => void events.push('close'),
      setSignals: async (s: object) => void events.push(`signals ${JSON.stringify(s)}`),
      setBaudRate: async (b: number) => void events.push(`baud ${b}`),
      usbIds: async () => ({ vendorId: 0x303a, productId: 0x1001 }),
    };
    const port = new TransportSerialPort((baud) => (events.push(`at ${baud}`), line));
    await port.open({ baudRate: 115200 });
    emit(Uint8Array.of(1, 2));
    emit(Uint8Array.of(3));
    const r1 = port.readable!.getReader();
    assert.deepEqual([...(await r1.read()).value!], [1, 2]);
    r1.releaseLock();
    const r2 = port.readable!.getReader();
    assert.deepEqual([...(await r2.read()).value!], [3]);
    const w = port.writable!.getWriter();
    await w.write(Uint8Array.of(9, 8));
    w.releaseLock();
    await port.setSignals({ dataTerminalReady: true });
    await port.setSignals({ requestToSend: false });
    await port.setBaudRate(460800);
    assert.deepEqual(port.getInfo(), { usbVendorId: 0x303a, usbProductId: 0x1001 });
    const pending = r2.read();
    await port.close();
    assert.equal((await pending).done, true, 'a pending read ends when the port closes');
    assert.equal(port.readable, null);
    assert.deepEqual(events, ['at 115200', 'open', 'write 9,8', 'signals {"dtr":true}', 'signals {"rts":false}', 'baud 460800', 'close']);
  });
});
