/**
 * End to end: the real harness, built with the stand-in model, on the `host` board (a native
 * process), on `qemu-cortex-m4` (QEMU mps2-an386), and on the Espressif-class cores `qemu-xtensa`
 * (lx106 in QEMU lx60) and `qemu-riscv32` (rv32imc in QEMU virt), reached over a pseudo-terminal through the
 * serialport transport exactly as a USB serial port would be. Every RESULT is checked bit for bit
 * against the stand-in model computed in TypeScript.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Board, loadBoard } from '../../src/device/boards.js';
import { buildFirmware } from '../../src/device/build.js';
import { DeviceClient } from '../../src/device/client.js';
import { startHost } from '../../src/device/host.js';
import { encodeFrame } from '../../src/device/protocol/frame.js';
import { MsgType, PROTOCOL_VERSION } from '../../src/device/protocol/messages.js';
import { type EmulatedDevice, startEmulator } from '../../src/device/qemu.js';
import type { PtyProcess } from '../../src/device/spawn-pty.js';
import { SerialTransport } from '../../src/device/transport/serial.js';
import { kitError, missing, missingForBoard, tmpDir } from './helpers.js';
import { STANDIN_ARENA_BYTES, STANDIN_DIR, STANDIN_HASH, standinClass, standinImages, standinLogits } from './standin-model.js';

interface Rig {
  board: Board;
  device: PtyProcess;
  transport: SerialTransport;
  client: DeviceClient;
}

/** Builds, starts and connects; torn down after the suite. */
function rig(boardName: string, start: (file: string) => Promise<PtyProcess>): () => Rig {
  let r: Rig | undefined;
  const outDir = tmpDir(boardName);
  before(async () => {
    const build = await buildFirmware({ board: boardName, modelDir: STANDIN_DIR, outDir });
    const device = await start(build.file);
    const transport = new SerialTransport(device.path, build.board.serial.baud);
    try {
      const client = await DeviceClient.connect(transport, { helloTimeoutMs: 10_000, deadAfterMs: 20_000, expect: { modelHash: STANDIN_HASH } });
      r = { board: build.board, device, transport, client };
    } catch (e) {
      await device.stop();
      throw e;
    }
  });
  after(async () => {
    await r?.client.close();
    await r?.device.stop();
  });
  return () => r!;
}

async function checkInference(client: DeviceClient, count: number) {
  const images = standinImages(count, 7);
  images.push(images[0]); // the same image twice: a deterministic board must count the same ticks
  const results = await Promise.all(images.map((img) => client.infer(img)));
  results.forEach((r, i) => {
    assert.deepEqual(r.logits, standinLogits(images[i]), `image ${i}: logits`);
    assert.equal(r.class, standinClass(images[i]), `image ${i}: class`);
    assert.ok(r.ticks > 0, `image ${i}: ticks`);
    assert.equal(r.attempts, 1, `image ${i}: a clean line needs no retries`);
  });
  return results;
}

function checkHello(client: DeviceClient, board: Board, tickHz: number) {
  assert.deepEqual(client.info, {
    protocolVersion: PROTOCOL_VERSION,
    board: board.name,
    modelHash: STANDIN_HASH,
    inputBytes: 3072,
    outputBytes: 10,
    arenaBytes: STANDIN_ARENA_BYTES,
    clockHz: board.clockHz,
    tickHz,
    outputSigned: true,
    pieceBytes: 3072,
    profileMarks: 0,
  });
}

/** Garbage and a damaged frame straight onto the line: the C parser must resync and say ERROR. */
async function checkResync(r: Rig) {
  const damaged = encodeFrame(MsgType.Piece, new Uint8Array(1036));
  damaged[100] ^= 0xff;
  const statusesBefore = r.client.stats.statuses;
  r.transport.write(Uint8Array.from([0x00, 0xa5, 0xa5, 0x13, ...damaged, 0xa5, 0x5a, 0x03, 0xff, 0xff, 0xff, 0x7f]));
  const [img] = standinImages(1, 99);
  const res = await r.client.infer(img);
  assert.deepEqual(res.logits, standinLogits(img));
  assert.ok(r.client.stats.statuses >= statusesBefore + 2, 'the device answered the bad CRC and the oversized length with a STATUS each');
}

describe('e2e: host board over a pty', { skip: missing('cc') }, () => {
  const r = rig('host', (binary) => startHost({ binary }));

  test('HELLO describes the board and model', () => checkHello(r().client, r().board, 1e9));

  test('20 queued images match the stand-in model bit for bit', async () => {
    await checkInference(r().client, 20);
  });

  test('garbage and damaged frames on the line: the device resynchronises', () => checkResync(r()));

  test('a port in use is "busy"; a missing one is "missing"', async () => {
    await assert.rejects(new SerialTransport(r().device.path).open(), kitError('port-busy', /serial port \/dev\/pts\/\d+ is in use/));
    await assert.rejects(new SerialTransport('/dev/ttyKIT-none').open(), kitError('port-missing', /no serial port at \/dev\/ttyKIT-none/));
  });
});

describe('e2e: qemu-cortex-m4 in QEMU', { skip: missing('qemu-system-arm', 'arm-none-eabi-gcc') }, () => {
  let emu: EmulatedDevice;
  const r = rig('qemu-cortex-m4', async (firmware) => (emu = await startEmulator({ firmware })));

  test('HELLO describes the board and model', () => checkHello(r().client, loadBoard('qemu-cortex-m4'), 25_000_000));

  test('20 queued images match bit for bit; SysTick counts repeat exactly under -icount', async () => {
    const results = await checkInference(r().client, 20);
    assert.equal(results.at(-1)!.ticks, results[0].ticks, 'same image, same ticks');
    // Same amount of work per image: the stand-in's loop does not depend on pixel values.
    assert.equal(new Set(results.map((x) => x.ticks)).size, 1);
    const instructions = emu.instructions(results[0].ticks, r().client.info.tickHz);
    assert.ok(instructions > 3072 && instructions < 20 * 3072, `${instructions} instructions for 3072 pixels`);
  });

  test('garbage and damaged frames on the line: the device resynchronises', () => checkResync(r()));

  test('a reset mid-run (QEMU system_reset): in-flight images are re-sent and all come back right', async () => {
    const { client } = r();
    const images = standinImages(8, 21);
    const resetsBefore = client.stats.resets;
    let first = true;
    const results = await Promise.all(
      images.map((img) =>
        client.infer(img).then((res) => {
          if (first) emu.reset(); // with the rest still on the wire or queued in the device
          first = false;
          return res;
        }),
      ),
    );
    results.forEach((res, i) => assert.deepEqual(res.logits, standinLogits(images[i]), `image ${i}`));
    assert.equal(client.stats.resets, resetsBefore + 1);
    assert.ok(results.some((res) => res.attempts > 1), 'something was in flight when the device reset');
  });
});

/** Exact instructions per stand-in inference on each core, as its counter reports them. */
for (const name of ['qemu-xtensa', 'qemu-riscv32']) {
  const board = loadBoard(name);
  describe(`e2e: ${name} in QEMU`, { skip: missingForBoard(board) }, () => {
    let emu: EmulatedDevice;
    const r = rig(name, async (firmware) => (emu = await startEmulator({ firmware, board })));

    test('HELLO describes the board and model; one tick per instruction', () => checkHello(r().client, board, board.clockHz));

    test('20 queued images match bit for bit; the instruction counter gives the same exact count every time', async () => {
      const results = await checkInference(r().client, 20);
      // The stand-in's loop does the same work for every image: one count, whatever the pixels.
      assert.equal(new Set(results.map((x) => x.ticks)).size, 1);
      const instructions = emu.instructions(results[0].ticks, r().client.info.tickHz);
      assert.equal(instructions, results[0].ticks, 'the counter counts instructions');
      // At least a load and an add per pixel, and no more than a few per pixel.
      assert.ok(instructions > 2 * 3072 && instructions < 10 * 3072, `${instructions} instructions for 3072 pixels`);
    });

    test('garbage and damaged frames on the line: the device resynchronises', () => checkResync(r()));

    test('a reset mid-run (QEMU system_reset): the board boots again and answers the re-sent images', async () => {
      const { client } = r();
      const images = standinImages(4, 31);
      const resetsBefore = client.stats.resets;
      let first = true;
      const results = await Promise.all(
        images.map((img) =>
          client.infer(img).then((res) => {
            if (first) emu.reset();
            first = false;
            return res;
          }),
        ),
      );
      results.forEach((res, i) => assert.deepEqual(res.logits, standinLogits(images[i]), `image ${i}`));
      assert.equal(client.stats.resets, resetsBefore + 1);
    });
  });

  describe(`e2e: ${name} reports a CPU exception as an ERROR frame`, { skip: missingForBoard(board) }, () => {
    const outDir = tmpDir(`${name}-fault`);

    // The stand-in built with -DKIT_STANDIN_FAULT: an image starting FA 17 loads a word from an odd
    // address, FA 18 from address 4, where the machine has no memory.
    const faults: [string, number, RegExp][] = name === 'qemu-xtensa'
      ? [['unaligned word load', 0x17, /CPU exception: unaligned load or store \(LoadStoreAlignment\) \(cause 9\) at pc 0x5[0-9a-f]{7}, address 0x6[0-9a-f]{6}[13579bdf]$/]]
      : [['load from an address with no memory', 0x18, /CPU exception: load access fault \(cause 5\) at pc 0x8[0-9a-f]{7}, address 0x00000004$/]];
    for (const [what, trigger, message] of faults) {
      test(`${what}: the pending request fails at once with the cause, the PC and the address`, async () => {
        const build = await buildFirmware({ board, modelDir: STANDIN_DIR, outDir, defines: { KIT_STANDIN_FAULT: 1 } });
        const emu = await startEmulator({ firmware: build.file, board });
        const client = await DeviceClient.connect(new SerialTransport(emu.path, board.serial.baud), { helloTimeoutMs: 10_000, deadAfterMs: 30_000, expect: { modelHash: STANDIN_HASH } });
        try {
          const [ok, bad] = standinImages(2, 41);
          assert.deepEqual((await client.infer(ok)).logits, standinLogits(ok), 'an ordinary image still runs');
          bad[0] = 0xfa;
          bad[1] = trigger;
          const t0 = Date.now();
          await assert.rejects(client.infer(bad), kitError('device-fault', message));
          // Reported by the device, not noticed as a dead link (30 s of silence), and not retried.
          assert.ok(Date.now() - t0 < 15_000, `${Date.now() - t0} ms`);
          assert.equal(client.stats.retries, 0);
          assert.equal(client.stats.deviceErrors, 1);
        } finally {
          await client.close();
          await emu.stop();
        }
      });
    }
  });
}
