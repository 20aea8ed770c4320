/**
 * A pretend ESP32-S3 (or ESP32-C3) behind a kit Transport, for testing the serial flasher without a
 * board. It speaks the serial protocol of Espressif's ROM bootloader and flasher stub as esptool
 * documents it (SLIP frames; command packets 0x00 op len checksum data; replies 0x01 op len value
 * data status): SYNC, READ_REG/WRITE_REG, GET_SECURITY_INFO, MEM_BEGIN/DATA/END (the stub upload,
 * answered with "OHAI"), CHANGE_BAUDRATE, FLASH_DEFL_BEGIN/DATA/END (inflated into a flash array)
 * and SPI_FLASH_MD5. It also models a dev board's auto-reset circuit: DTR and RTS drive IO0 and EN
 * through two transistors, and only a reset with IO0 held low starts the ROM bootloader; until
 * then it stays silent, as a chip running its app would.
 */
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { type LineSignals, Listeners, type Transport } from '../../src/device/transport/transport.js';

const SLIP_END = 0xc0;
const SLIP_ESC = 0xdb;

export interface MockChip {
  /** GET_SECURITY_INFO's chip id (ESP32-S3 9, ESP32-C3 5). */
  chipId: number;
  /** SPI_W0 of the flash controller, where the flash id is read after RDID. */
  spiW0: number;
  flashId: number;
  flashBytes: number;
}

export const MOCK_ESP32S3: MockChip = { chipId: 9, spiW0: 0x60002058, flashId: 0x1840ef, flashBytes: 16 << 20 };
export const MOCK_ESP32C3: MockChip = { chipId: 5, spiW0: 0x60002058, flashId: 0x1640ef, flashBytes: 4 << 20 };

export class EspRomMock implements Transport {
  readonly path = '/dev/mock-esp';
  /** What happened, for assertions. */
  readonly log = { resets: [] as ('download' | 'app')[], bauds: [] as number[], stubUploaded: false, commands: [] as number[] };
  readonly flash: Uint8Array;
  private readonly data = new Listeners<[Uint8Array]>();
  private readonly closed = new Listeners<[Error | undefined]>();
  private mode: 'off' | 'app' | 'rom' | 'stub' = 'app';
  private signals = { dtr: false, rts: false };
  private frame: number[] | undefined;
  private escaped = false;
  private regs = new Map<number, number>();
  private spiCmdRegs = new Set<number>();
  private write_?: { offset: number; size: number; blocks: Uint8Array[] };

  constructor(private readonly chip: MockChip) {
    this.flash = new Uint8Array(chip.flashBytes).fill(0xff);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {
    this.closed.emit(undefined);
  }
  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.data.add(listener);
  }
  onClose(listener: (error?: Error) => void): () => void {
    return this.closed.add(listener);
  }
  async usbIds() {
    return { vendorId: 0x10c4, productId: 0xea60 }; // a CP2102 USB-UART bridge, as on most dev boards
  }
  async setBaudRate(baud: number): Promise<void> {
    this.log.bauds.push(baud);
  }

  /** EN low while RTS is asserted without DTR; IO0 low while DTR is asserted without RTS. Releasing EN boots. */
  async setSignals(s: LineSignals): Promise<void> {
    const enLow = (x: { dtr: boolean; rts: boolean }) => x.rts && !x.dtr;
    const before = { ...this.signals };
    if (s.dtr !== undefined) this.signals.dtr = s.dtr;
    if (s.rts !== undefined) this.signals.rts = s.rts;
    if (enLow(before) && !enLow(this.signals)) {
      const download = this.signals.dtr && !this.signals.rts;
      this.mode = download ? 'rom' : 'app';
      this.log.resets.push(download ? 'download' : 'app');
      this.frame = undefined;
      if (download) this.send(new TextEncoder().encode('ESP-ROM:esp32s3-20210327\r\nrst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\r\nwaiting for download\r\n'));
    } else if (enLow(this.signals)) {
      this.mode = 'off';
    }
  }

  write(bytes: Uint8Array): void {
    if (this.mode !== 'rom' && this.mode !== 'stub') return;
    for (const b of bytes) {
      if (b === SLIP_END) {
        if (this.frame && this.frame.length) this.command(Uint8Array.from(this.frame));
        this.frame = [];
      } else if (this.frame) {
        if (this.escaped) this.frame.push(b === 0xdc ? SLIP_END : SLIP_ESC);
        else if (b !== SLIP_ESC) this.frame.push(b);
        this.escaped = b === SLIP_ESC;
      }
    }
  }

  private command(p: Uint8Array): void {
    if (p.length < 8 || p[0] !== 0x00) return;
    const op = p[1];
    const view = new DataView(p.buffer, p.byteOffset + 8);
    const u32 = (i: number) => view.getUint32(4 * i, true);
    const body = p.subarray(8);
    this.log.commands.push(op);
    const ok = (value = 0, data: Uint8Array = new Uint8Array(0)) => this.reply(op, value, data);
    switch (op) {
      case 0x08: // SYNC: the ROM answers eight times, with a non-zero value
        if (this.mode === 'rom') for (let i = 0; i < 8; i++) ok(0x20120707);
        else ok(0);
        return;
      case 0x0a: {
        const addr = u32(0);
        if (this.spiCmdRegs.has(addr)) return ok(0); // the SPI command completed
        if (addr === this.chip.spiW0) return ok(this.chip.flashId);
        return ok(this.regs.get(addr) ?? 0);
      }
      case 0x09:
        for (let i = 0; i + 16 <= body.length; i += 16) {
          if (u32(i / 4 + 1) === 1 << 18) this.spiCmdRegs.add(u32(i / 4));
          this.regs.set(u32(i / 4), u32(i / 4 + 1));
        }
        return ok();
      case 0x14: {
        const info = new Uint8Array(20);
        new DataView(info.buffer).setUint32(12, this.chip.chipId, true);
        return ok(0, info);
      }
      case 0x05: // MEM_BEGIN
      case 0x07: // MEM_DATA
        return ok();
      case 0x06: // MEM_END: the stub starts and says hello
        ok();
        this.mode = 'stub';
        this.log.stubUploaded = true;
        this.send(slip(new TextEncoder().encode('OHAI')));
        return;
      case 0x0f: // CHANGE_BAUDRATE
        return ok();
      case 0x10: // FLASH_DEFL_BEGIN: size, blocks, block size, offset
        this.write_ = { size: u32(0), offset: u32(3), blocks: [] };
        return ok();
      case 0x11: // FLASH_DEFL_DATA: length, seq, 0, 0, data
        this.write_!.blocks.push(body.slice(16, 16 + u32(0)));
        return ok();
      case 0x12: {
        const w = this.write_!;
        const image = inflateSync(Buffer.concat(w.blocks));
        if (image.length !== w.size) throw new Error(`inflated ${image.length} bytes, announced ${w.size}`);
        this.flash.set(image, w.offset);
        return ok();
      }
      case 0x13: {
        // SPI_FLASH_MD5: the stub answers with the 16 raw bytes of the digest
        const digest = createHash('md5').update(this.flash.subarray(u32(0), u32(0) + u32(1))).digest();
        return ok(0, new Uint8Array(digest));
      }
      default:
        return ok();
    }
  }

  private reply(op: number, value: number, data: Uint8Array): void {
    const status = Uint8Array.of(0, 0);
    const p = new Uint8Array(8 + data.length + status.length);
    const v = new DataView(p.buffer);
    p[0] = 0x01;
    p[1] = op;
    v.setUint16(2, data.length + status.length, true);
    v.setUint32(4, value >>> 0, true);
    p.set(data, 8);
    p.set(status, 8 + data.length);
    this.send(slip(p));
  }

  private send(bytes: Uint8Array): void {
    setImmediate(() => this.data.emit(bytes));
  }
}

function slip(p: Uint8Array): Uint8Array {
  const out = [SLIP_END];
  for (const b of p) {
    if (b === SLIP_END) out.push(SLIP_ESC, 0xdc);
    else if (b === SLIP_ESC) out.push(SLIP_ESC, 0xdd);
    else out.push(b);
  }
  out.push(SLIP_END);
  return Uint8Array.from(out);
}
