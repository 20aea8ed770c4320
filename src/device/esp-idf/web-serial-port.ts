/**
 * The part of the Web Serial API's SerialPort that esptool-js uses (open, close, readable, writable,
 * setSignals, getInfo, and the optional in-place setBaudRate), over a kit Transport, so that
 * Espressif's flasher library runs in Node on a serialport line (or, in tests, on a mock ROM).
 *
 * esptool-js reads with a fresh reader per chunk and cancels the reader on disconnect; the stream
 * here queues what arrives between reads, and is rebuilt on every open.
 */
import type { LineSignals, Transport } from '../transport/transport.js';

interface WebSerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

export class TransportSerialPort {
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  private line?: Transport;
  private unsubscribe: (() => void)[] = [];
  private endStream: () => void = () => {};
  private ids: { vendorId?: number; productId?: number } = {};

  /** `openLine(baud)`: a closed Transport for the port at that baud rate (SerialTransport in kit flash). */
  constructor(private readonly openLine: (baudRate: number) => Transport) {}

  async open(options: { baudRate: number }): Promise<void> {
    if (this.line) throw new Error('the port is already open');
    const line = this.openLine(options.baudRate);
    await line.open();
    this.line = line;
    this.ids = (await line.usbIds?.()) ?? {};
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      if (error) controller.error(error);
      else controller.close();
    };
    this.endStream = () => end();
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      cancel: () => {
        ended = true;
      },
    });
    this.unsubscribe = [
      // A copy: a transport may reuse its buffer for the next chunk.
      line.onData((chunk) => {
        if (!ended) controller.enqueue(chunk.slice());
      }),
      line.onClose((error) => end(error)),
    ];
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        line.write(chunk);
      },
    });
  }

  async close(): Promise<void> {
    const line = this.line;
    this.line = undefined;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.endStream();
    this.readable = null;
    this.writable = null;
    await line?.close();
  }

  /** DTR and RTS reset an ESP32 dev board into its ROM bootloader; a line without them (a pty) ignores this. */
  async setSignals(signals: WebSerialSignals): Promise<void> {
    const wanted: LineSignals = { dtr: signals.dataTerminalReady, rts: signals.requestToSend, brk: signals.break };
    await this.line?.setSignals?.(wanted);
  }

  /**
   * In place, so that esptool-js keeps its reader. A line that cannot (none of kit's) makes esptool-js
   * carry on at the ROM's 115,200 baud after resetting the chip, which it does on this error.
   */
  async setBaudRate(baudRate: number): Promise<void> {
    if (!this.line?.setBaudRate) throw new Error(`${this.line?.path ?? 'the port'} cannot change its baud rate in place`);
    await this.line.setBaudRate(baudRate);
  }

  /** esptool-js picks its reset sequence by USB ids (Espressif's own USB-serial-JTAG is 303a:1001). */
  getInfo(): { usbVendorId?: number; usbProductId?: number } {
    return { usbVendorId: this.ids.vendorId, usbProductId: this.ids.productId };
  }
}
