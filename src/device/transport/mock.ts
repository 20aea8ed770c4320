/**
 * A transport with a scripted fake device behind it, for testing DeviceClient without hardware.
 * The fake speaks the real protocol (same encoders and decoder), answers strictly in order, and
 * can be told to misbehave at chosen points: damaged frames either way, resets, garbage, silence.
 */
import { KitError } from '../../errors.js';
import { FrameDecoder } from '../protocol/frame.js';
import { BLOCK_BYTES, type DeviceInfo, ErrorCode, MsgType, PROTOCOL_VERSION, SEQ_NONE, StatusState, argmax, decodeMessage, encodeMessage } from '../protocol/messages.js';
import { Listeners, type Transport } from './transport.js';

/** Faults by index. `piece` indexes count the PIECE frames the host writes (0-based, re-sends included). */
export interface MockFaults {
  /** Flip a bit in that PIECE's data: the device sees a bad CRC and answers with a STATUS. */
  corruptPiece?: number[];
  /** That PIECE vanishes on the line without a trace. */
  dropPiece?: number[];
  /** The device reboots as that PIECE arrives: it and everything queued are lost, and a boot HELLO follows. */
  resetAtPiece?: number[];
  /** From that PIECE on the device answers nothing. */
  silentFromPiece?: number;
  /** `result` indexes count the RESULTs the device sends. Flip a bit in that RESULT: the host sees a bad CRC. */
  corruptResult?: number[];
  /** Garbage (with a false frame start) goes out just before that RESULT. */
  garbageBeforeResult?: number[];
  /** The device never answers anything, not even GET_HELLO. */
  silent?: boolean;
}

export interface MockDeviceOptions {
  /** What the device runs on each image. */
  model: (pixels: Uint8Array) => Uint8Array;
  info?: Partial<DeviceInfo>;
  faults?: MockFaults;
  /** Time per request, ms (default 1). */
  latencyMs?: number;
  /** The largest PIECE the device takes (HELLO; default 1024). */
  pieceBytes?: number;
  /** Time from a reset to the boot HELLO, during which incoming bytes are lost (default 5). */
  bootMs?: number;
  /** Deliver the device's bytes in chunks of at most this many (default: whole frames). */
  chunkBytes?: number;
  /** Send a HELLO when the port opens, as a board that has just booted (default true). */
  bootHello?: boolean;
  path?: string;
}

export const MOCK_INFO: DeviceInfo = {
  protocolVersion: PROTOCOL_VERSION,
  board: 'mock',
  modelHash: '00112233445566778899aabbccddeeff',
  inputBytes: 3072,
  outputBytes: 10,
  arenaBytes: 1024,
  clockHz: 100_000_000,
  tickHz: 100_000_000,
  outputSigned: true,
  pieceBytes: 1024,
  profileMarks: 0,
};

// Starts like a frame and announces 16 bytes: swallows what follows until its CRC fails.
const GARBAGE = Uint8Array.from([0x00, 0xff, 0xa5, 0x5a, MsgType.Result, 0x10, 0x00, 0x00, 0x00, 0x13, 0x37]);

export class MockTransport implements Transport {
  readonly path: string;
  readonly info: DeviceInfo;
  /** What happened, for assertions. */
  readonly log = { pieceWrites: 0, imagesRun: 0, results: 0, statuses: 0, polls: 0, resets: 0 };

  private readonly data = new Listeners<[Uint8Array]>();
  private readonly closed = new Listeners<[Error | undefined]>();
  private decoder: FrameDecoder;
  /** Requests awaiting the device; type 0xff stands for a damaged frame. */
  private readonly queue: { type: number; payload: Uint8Array; pieceIndex?: number }[] = [];
  /** The device's state, as firmware/harness/main.c keeps it. */
  private image = new Uint8Array(0);
  private received = new Uint8Array(0);
  private collecting = SEQ_NONE;
  private newest = SEQ_NONE;
  private lastSeq = SEQ_NONE;
  private done?: Extract<Parameters<typeof encodeMessage>[0], { type: 'result' }>;
  private readonly faults: MockFaults;
  private isOpen = false;
  private booting = false;
  private busy = false;
  private silent = false;
  private timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: MockDeviceOptions) {
    this.path = opts.path ?? '/dev/mock0';
    this.info = { ...MOCK_INFO, ...(opts.pieceBytes ? { pieceBytes: opts.pieceBytes } : {}), ...opts.info };
    this.faults = opts.faults ?? {};
    this.silent = this.faults.silent ?? false;
    this.decoder = new FrameDecoder(this.info.pieceBytes + 12);
    this.boot();
  }

  async open(): Promise<void> {
    this.isOpen = true;
    if (this.opts.bootHello ?? true) this.later(0, () => this.reply({ type: 'hello', seq: SEQ_NONE, info: this.info }));
  }

  write(bytes: Uint8Array): void {
    if (!this.isOpen) throw new Error('MockTransport.write before open');
    let data = bytes;
    let pieceIndex: number | undefined;
    if (data[0] === 0xa5 && data[2] === MsgType.Piece) {
      const n = (pieceIndex = this.log.pieceWrites++);
      const f = this.faults;
      if (f.dropPiece?.includes(n)) return;
      if (f.resetAtPiece?.includes(n)) return this.reset();
      if (f.corruptPiece?.includes(n)) {
        data = data.slice();
        data[20] ^= 0x10; // inside the data
      }
    }
    if (this.booting || this.silent) return;
    for (const e of this.decoder.push(data)) {
      if (e.kind === 'frame') this.queue.push({ type: e.type, payload: e.payload, pieceIndex });
      else this.queue.push({ type: 0xff, payload: new Uint8Array(0) });
    }
    this.pump();
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.data.add(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.closed.add(listener);
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.stop();
    this.closed.emit(undefined);
  }

  /** The cable comes out. */
  unplug(): void {
    this.stop();
    this.closed.emit(new KitError('port-closed', 'device', `${this.path} went away`));
  }

  private stop(): void {
    this.isOpen = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private reset(): void {
    this.log.resets++;
    this.queue.length = 0;
    this.decoder = new FrameDecoder(this.info.pieceBytes + 12);
    this.boot();
    this.booting = true;
    this.busy = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.later(this.opts.bootMs ?? 5, () => {
      this.booting = false;
      this.reply({ type: 'hello', seq: SEQ_NONE, info: this.info });
    });
  }

  /** One request at a time, in order, each taking latencyMs. */
  private pump(): void {
    if (this.busy || this.queue.length === 0 || this.silent) return;
    this.busy = true;
    const { type, payload, pieceIndex } = this.queue.shift()!;
    this.later(this.opts.latencyMs ?? 1, () => {
      this.busy = false;
      const from = this.faults.silentFromPiece;
      if (from !== undefined && pieceIndex !== undefined && pieceIndex >= from) this.silent = true;
      if (!this.silent) this.answer(type, payload);
      this.pump();
    });
  }

  private boot(): void {
    this.image = new Uint8Array(this.info.inputBytes);
    this.received = new Uint8Array(Math.ceil(this.info.inputBytes / BLOCK_BYTES));
    this.collecting = this.newest = this.lastSeq = SEQ_NONE;
    this.done = undefined;
  }

  private status(seq: number, image: number): void {
    this.log.statuses++;
    const blocks = this.received.length;
    if (image === this.collecting && image !== SEQ_NONE) {
      const bits = new Uint8Array(Math.ceil(blocks / 8));
      this.received.forEach((v, b) => v && (bits[b >> 3] |= 1 << (b & 7)));
      return this.reply({ type: 'status', seq, image, state: StatusState.Collecting, blocks, received: bits });
    }
    const stale = this.newest !== SEQ_NONE && image !== SEQ_NONE && ((image - this.newest) | 0) < 0;
    this.reply({ type: 'status', seq, image, state: stale ? StatusState.Stale : StatusState.NotStarted, blocks: 0, received: new Uint8Array(0) });
  }

  private answer(type: number, payload: Uint8Array): void {
    if (type === 0xff) return this.status(this.lastSeq === SEQ_NONE ? SEQ_NONE : (this.lastSeq + 1) % SEQ_NONE, this.collecting);
    const seq = payload.length >= 4 ? new DataView(payload.buffer, payload.byteOffset).getUint32(0, true) : SEQ_NONE;
    const gap = this.lastSeq !== SEQ_NONE && seq !== (this.lastSeq + 1) % SEQ_NONE && type !== MsgType.GetHello;
    this.lastSeq = seq;
    const m = decodeMessage(type, payload);
    if (!m) return this.reply({ type: 'error', code: ErrorCode.UnknownType, seq, text: 'unknown frame type' });
    switch (m.type) {
      case 'get-hello':
        return this.reply({ type: 'hello', seq: m.seq, info: this.info });
      case 'ping':
        return this.reply({ type: 'pong', seq: m.seq, data: m.data });
      case 'poll':
        this.log.polls++;
        if (this.done && this.done.image === m.image) return this.reply(this.done);
        return this.status(m.seq, m.image);
      case 'piece': {
        const end = m.offset + m.data.length;
        if (m.offset % BLOCK_BYTES || end > this.image.length || (m.data.length % BLOCK_BYTES && end !== this.image.length)) {
          return this.reply({ type: 'error', code: ErrorCode.BadLength, seq, text: 'PIECE outside the image or off a block boundary' });
        }
        if (m.image === this.done?.image || (this.newest !== SEQ_NONE && ((m.image - this.newest) | 0) < 0)) return;
        if (m.image !== this.collecting) {
          this.collecting = this.newest = m.image;
          this.received.fill(0);
        }
        this.image.set(m.data, m.offset);
        for (let b = m.offset / BLOCK_BYTES; b * BLOCK_BYTES < end; b++) this.received[b] = 1;
        if (!this.received.every((v) => v)) {
          if (gap) this.status(seq, this.collecting);
        } else {
          const logits = this.opts.model(this.image.slice());
          this.log.imagesRun++;
          this.done = { type: 'result', image: m.image, class: argmax(logits, this.info.outputSigned), ticks: 1000 + this.image[0], marks: [], logits };
          this.collecting = SEQ_NONE;
          this.reply(this.done);
        }
        return;
      }
      default:
        return this.reply({ type: 'error', code: ErrorCode.UnknownType, seq, text: 'not a request' });
    }
  }

  private reply(m: Parameters<typeof encodeMessage>[0]): void {
    if (!this.isOpen || this.silent) return;
    let bytes = encodeMessage(m);
    if (m.type === 'result') {
      const n = this.log.results++;
      if (this.faults.garbageBeforeResult?.includes(n)) this.emit(GARBAGE);
      if (this.faults.corruptResult?.includes(n)) {
        bytes = bytes.slice();
        bytes[9] ^= 0x01;
      }
    }
    this.emit(bytes);
  }

  private emit(bytes: Uint8Array): void {
    const step = this.opts.chunkBytes ?? bytes.length;
    for (let i = 0; i < bytes.length; i += step) this.data.emit(bytes.slice(i, i + step));
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
