/** A byte pipe to a device: a serial port, a pty, or a scripted fake for tests. */
export interface Transport {
  /** What to name in messages: the port path. */
  readonly path: string;
  /** Throws KitError when the port is missing or busy. */
  open(): Promise<void>;
  /** Queues bytes for sending; failures arrive through onClose. */
  write(data: Uint8Array): void;
  /** Bytes from the device, in order, in chunks of any size. Returns an unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** The line went away (unplugged, device process gone, or close() was called). */
  onClose(listener: (error?: Error) => void): () => void;
  close(): Promise<void>;
  /**
   * The modem control lines, where the line has them (a USB-serial bridge does; a pty does not).
   * ESP32 dev boards wire DTR and RTS to BOOT and EN, so that a flasher can reset them into the ROM
   * bootloader. Lines not given keep their state.
   */
  setSignals?(signals: LineSignals): Promise<void>;
  /** A new baud rate without closing the port (closing may reset a board). */
  setBaudRate?(baud: number): Promise<void>;
  /** The USB vendor and product ids of the port's device, when known. */
  usbIds?(): Promise<{ vendorId?: number; productId?: number }>;
}

export interface LineSignals {
  dtr?: boolean;
  rts?: boolean;
  brk?: boolean;
}

/** A listener list, the small part of EventEmitter transports need, typed. */
export class Listeners<A extends unknown[]> {
  private readonly fns = new Set<(...args: A) => void>();
  add(fn: (...args: A) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(...args: A): void {
    for (const fn of [...this.fns]) fn(...args);
  }
}
