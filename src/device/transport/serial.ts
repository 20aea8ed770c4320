/**
 * Transport over a serial port with the serialport package: a USB-serial adapter, a board's
 * built-in USB UART, or a pseudo-terminal (/dev/pts/N, as QEMU and the host harness expose) alike.
 */
import { SerialPort } from 'serialport';
import { KitError } from '../../errors.js';
import { type LineSignals, Listeners, type Transport } from './transport.js';

export class SerialTransport implements Transport {
  private port?: SerialPort;
  private readonly data = new Listeners<[Uint8Array]>();
  private readonly closed = new Listeners<[Error | undefined]>();
  /** What serialport's set() is given each time: it resets any line left out to its own default. */
  private signals: Required<LineSignals> = { dtr: true, rts: true, brk: false };

  constructor(
    readonly path: string,
    private readonly baudRate = 115200,
  ) {}

  async open(): Promise<void> {
    // lock: the port is opened exclusively, so a second kit (or a terminal program) is a clear
    // "busy" instead of two readers splitting the bytes between them.
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false, lock: true });
    await new Promise<void>((done, fail) => port.open((err) => (err ? fail(openError(this.path, err)) : done())));
    port.on('data', (chunk: Buffer) => this.data.emit(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    port.on('close', (err?: Error) => this.closed.emit(err ?? undefined));
    port.on('error', (err: Error) => this.closed.emit(err));
    this.port = port;
  }

  async setSignals(signals: LineSignals): Promise<void> {
    const port = this.port;
    if (!port) throw new Error('SerialTransport.setSignals before open');
    this.signals = { ...this.signals, ...Object.fromEntries(Object.entries(signals).filter(([, v]) => v !== undefined)) };
    await new Promise<void>((done, fail) => port.set(this.signals, (err) => (err ? fail(new KitError('port-failed', 'device', `cannot set DTR/RTS on ${this.path}: ${err.message}`)) : done())));
  }

  async setBaudRate(baud: number): Promise<void> {
    const port = this.port;
    if (!port) throw new Error('SerialTransport.setBaudRate before open');
    await new Promise<void>((done, fail) => port.update({ baudRate: baud }, (err) => (err ? fail(new KitError('port-failed', 'device', `cannot set ${this.path} to ${baud} baud: ${err.message}`)) : done())));
  }

  /** From the system's list of serial ports (a pty, e.g. QEMU's, has none). */
  async usbIds(): Promise<{ vendorId?: number; productId?: number }> {
    const info = (await SerialPort.list().catch(() => [])).find((p) => p.path === this.path);
    const hex = (s?: string) => (s && /^[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : undefined);
    return { vendorId: hex(info?.vendorId), productId: hex(info?.productId) };
  }

  write(data: Uint8Array): void {
    if (!this.port) throw new Error('SerialTransport.write before open');
    this.port.write(Buffer.from(data.buffer, data.byteOffset, data.length));
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.data.add(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.closed.add(listener);
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    await new Promise<void>((done) => port.close(() => done()));
  }
}

/** serialport's open errors are strings from the C binding; map them to what a user can act on. */
function openError(path: string, err: Error): KitError {
  const m = err.message;
  if (/ENOENT|No such file/i.test(m)) {
    return new KitError('port-missing', 'device', `no serial port at ${path}`, 'is the board plugged in? check the path, e.g. ls /dev/ttyUSB* /dev/ttyACM*');
  }
  if (/Cannot lock port|EBUSY|Resource busy|Resource temporarily unavailable/i.test(m)) {
    return new KitError('port-busy', 'device', `serial port ${path} is in use by another program`, 'close the other terminal or kit using it');
  }
  if (/EACCES|Permission denied/i.test(m)) {
    return new KitError('port-denied', 'device', `no permission to open serial port ${path}`, 'add yourself to the dialout group, or check the device permissions');
  }
  return new KitError('port-failed', 'device', `cannot open serial port ${path}: ${m.replace(/\s+/g, ' ')}`);
}
