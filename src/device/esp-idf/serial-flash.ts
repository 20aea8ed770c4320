/**
 * Flashing an ESP-IDF build over serial without ESP-IDF: Espressif's esptool-js (the library behind
 * their web flasher) driven in Node through TransportSerialPort, on kit's serialport transport.
 * What it flashes is an ESP-IDF build folder (build/flasher_args.json and the binaries it names),
 * made by idf.py on a machine that has ESP-IDF; kit checks that it is for the board's chip and that
 * it holds this project's model before writing anything.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESPLoader, Transport as EsptoolTransport } from 'esptool-js';
import { z } from 'zod';
import { thousands } from '../../codegen/c-format.js';
import { KitError } from '../../errors.js';
import type { Board } from '../boards.js';
import { SerialTransport } from '../transport/serial.js';
import type { Transport } from '../transport/transport.js';
import { TransportSerialPort } from './web-serial-port.js';

export const FLASHER_ARGS = 'flasher_args.json';

/** The ROM bootloaders talk at 115,200 baud until told otherwise. */
const ROM_BAUD = 115200;

const FlasherArgs = z.object({
  flash_files: z.record(z.string().regex(/^0x[0-9a-fA-F]+$/), z.string().min(1)),
  extra_esptool_args: z.object({ chip: z.string() }),
});

export interface BuildImages {
  dir: string;
  /** ESP-IDF's target, e.g. esp32s3. */
  chip: string;
  files: { address: number; file: string; data: Uint8Array }[];
}

/** The images of an ESP-IDF build folder, as its flasher_args.json lists them. */
export function readEspIdfBuild(dir: string): BuildImages {
  const abs = resolve(dir);
  const file = join(abs, FLASHER_ARGS);
  if (!existsSync(file)) {
    throw new KitError('image-missing', 'device', `no ESP-IDF build in ${abs} (no ${FLASHER_ARGS})`, 'build the project with `idf.py build` where ESP-IDF is installed, and pass its build folder to --image');
  }
  let parsed: z.infer<typeof FlasherArgs>;
  try {
    parsed = FlasherArgs.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new KitError('image-corrupt', 'device', `${file} is not an ESP-IDF flasher_args.json: ${(e as Error).message.split('\n')[0]}`, 'rebuild with idf.py build');
  }
  const files = Object.entries(parsed.flash_files)
    .map(([offset, rel]) => {
      const path = join(abs, rel);
      if (!existsSync(path)) throw new KitError('image-missing', 'device', `${file} lists ${rel}, which is not in ${abs}`, 'copy the whole build folder, or rebuild with idf.py build');
      return { address: parseInt(offset, 16), file: path, data: new Uint8Array(readFileSync(path)) };
    })
    .sort((a, b) => a.address - b.address);
  return { dir: abs, chip: parsed.extra_esptool_args.chip, files };
}

export interface SerialFlashOptions {
  images: BuildImages;
  board: Board;
  /** The serial port, for messages and (by default) to open. */
  port: string;
  /** The model hash the app image must hold (kit_model_hash); omitted: not checked. */
  modelHash?: string;
  /** A closed line to the port at a baud rate (default: SerialTransport). */
  openLine?: (baud: number) => Transport;
  /** Connection attempts (reset + sync), default esptool's 7. */
  attempts?: number;
  log?: (line: string) => void;
}

export interface SerialFlashResult {
  /** What the chip said it is, e.g. "ESP32-S3". */
  chip: string;
  bytes: number;
}

/** "ESP32-S3" -> "esp32s3", ESP-IDF's name for the target. */
const targetName = (chipName: string) => chipName.toLowerCase().replace(/[^a-z0-9]/g, '');

export async function flashOverSerial(opts: SerialFlashOptions): Promise<SerialFlashResult> {
  const { images, board, port } = opts;
  const log = opts.log ?? (() => {});
  if (board.flash.method !== 'esptool') throw new KitError('board-unsupported', 'device', `${board.name} is not flashed over serial`);
  if (images.chip !== board.flash.chip) {
    throw new KitError('image-mismatch', 'device', `the build in ${images.dir} is for ${images.chip}; ${board.name} needs one for ${board.flash.chip}`, `build the ESP-IDF project kit wrote for ${board.name}`);
  }
  if (opts.modelHash && !images.files.some((f) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length).includes(opts.modelHash!))) {
    throw new KitError('image-stale', 'device', `the build in ${images.dir} does not hold this model (its hash ${opts.modelHash.slice(0, 16)}... is in none of the images)`, 'rebuild it with idf.py build after kit codegen, then flash again');
  }
  const openLine = opts.openLine ?? ((baud: number) => new SerialTransport(port, baud));
  const device = new TransportSerialPort(openLine);
  // esptool-js is typed against the browser's SerialPort; TransportSerialPort is the part of it esptool-js uses.
  const transport = new EsptoolTransport(device as unknown as ConstructorParameters<typeof EsptoolTransport>[0], false);
  // esptool-js prints some trace lines with console.log even with tracing off (when its read loop ends).
  transport.trace = () => {};
  let pending = '';
  const terminal = {
    clean: () => {},
    write: (s: string) => {
      pending += s;
    },
    writeLine: (s: string) => {
      const line = (pending + s).trim();
      pending = '';
      if (line) log(`  ${line}`);
    },
  };
  const loader = new ESPLoader({ transport, baudrate: board.flash.baud, romBaudrate: ROM_BAUD, terminal });
  try {
    try {
      await loader.connect('default_reset', opts.attempts ?? 7, true);
    } catch (e) {
      throw new KitError(
        'no-bootloader',
        'device',
        `no ESP32 ROM bootloader answered on ${port}: ${(e as Error).message}`,
        'check the port; if the board does not reset into its bootloader by itself, hold BOOT, press and release EN (RST), release BOOT, and run kit flash again',
      );
    }
    const found = loader.chip.CHIP_NAME;
    if (targetName(found) !== board.flash.chip) {
      throw new KitError('wrong-chip', 'device', `the board on ${port} is an ${found}, but the project is for ${board.name} (${board.flash.chip})`, 'check the port, or run kit codegen for the board you have');
    }
    log(`found an ${found} on ${port}`);
    await loader.runStub();
    if (board.flash.baud !== ROM_BAUD) await loader.changeBaud();
    const bytes = images.files.reduce((s, f) => s + f.data.length, 0);
    log(`writing ${images.files.map((f) => `0x${f.address.toString(16)} ${f.file.slice(images.dir.length + 1)}`).join(', ')} (${thousands(bytes)} B)`);
    await loader.writeFlash({
      fileArray: images.files.map((f) => ({ data: f.data, address: f.address })),
      // As ESP-IDF built them: the image headers already carry the mode, frequency and size of the board's flash.
      flashMode: 'keep',
      flashFreq: 'keep',
      flashSize: 'keep',
      eraseAll: false,
      compress: true,
      calculateMD5Hash: (image: Uint8Array) => createHash('md5').update(image).digest('hex'),
    });
    await hardReset(transport);
    log(`reset ${board.name}: it runs the new image`);
    return { chip: found, bytes };
  } catch (e) {
    if (e instanceof KitError) throw e;
    throw new KitError('flash-failed', 'device', `flashing ${board.name} on ${port} failed: ${(e as Error).message}`, 'run kit flash again; if it keeps failing, try a shorter USB cable or a lower espIdf flash baud in the board JSON');
  } finally {
    await transport.disconnect().catch(() => {});
  }
}

/**
 * Runs the new image: EN pulsed low with IO0 left high (DTR released, RTS asserted then released),
 * as esptool's hard reset does on a board with the usual two-transistor auto-reset circuit.
 * (esptool-js 0.7's own HardReset only releases RTS, which resets nothing when RTS is already released.)
 */
async function hardReset(transport: EsptoolTransport): Promise<void> {
  await transport.setDTR(false);
  await transport.setRTS(true);
  await new Promise((r) => setTimeout(r, 100));
  await transport.setRTS(false);
}
