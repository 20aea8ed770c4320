/**
 * Talks to the kit harness on a device: HELLO handshake, then images one after another, each as
 * PIECEs of whole blocks (protocol version 3, firmware/protocol/messages.h).
 *
 * Every frame the host writes gets a fresh sequence number, and the device reads frames in order.
 * A STATUS (the device's answer to a damaged frame or to a POLL) names the last intact frame it
 * read and the blocks it holds, so every block sent at or before that frame and not held was lost
 * and is re-sent alone, in pieces as small as the link currently allows (a lost piece halves the
 * piece size, a clean image doubles it). A damaged frame from the device, or silence, makes the
 * host POLL (with backoff); the device answers with the RESULT again or a STATUS. A boot HELLO
 * (the device reset) starts the image again. The run gives up only when the device has said
 * nothing for deadAfterMs. The first RESULT for an image wins: no image is lost or counted twice.
 */
import { randomBytes } from 'node:crypto';
import { KitError } from '../errors.js';
import { FRAME_OVERHEAD, FrameDecoder } from './protocol/frame.js';
import { BLOCK_BYTES, type DeviceInfo, ErrorCode, MalformedMessage, type Message, SEQ_NONE, StatusState, decodeMessage, encodeMessage } from './protocol/messages.js';
import type { Transport } from './transport/transport.js';

export interface ClientOptions {
  /** How long to wait for the device's HELLO (default 5000 ms). */
  helloTimeoutMs?: number;
  /** GET_HELLO is re-sent this often until answered (default 500 ms). */
  helloRetryMs?: number;
  /** Silence of the device, with an image pending, after which the link counts as dead (default 10000 ms). Must exceed one inference. */
  deadAfterMs?: number;
  /** First wait for an answer before a POLL (default 500 ms, or twice the longest recent wait for a RESULT if longer); doubles on every unanswered POLL up to maxPollMs. */
  pollMs?: number;
  /** Longest wait between POLLs (default 4000 ms). */
  maxPollMs?: number;
  /** Sends of one block after which its image fails (default: no limit, retry until the link is dead). */
  maxBlockSends?: number;
  /** The largest piece sent (default: the largest the device takes, from its HELLO). */
  maxPieceBytes?: number;
  /** Checked against the HELLO: a device running another model or with other sizes is an error. */
  expect?: Partial<Pick<DeviceInfo, 'board' | 'modelHash' | 'inputBytes' | 'outputBytes'>>;
}

export interface InferResult {
  /** The logits bytes as the model stores them (int8 when info.outputSigned, else uint8). */
  logits: Uint8Array;
  /** The device's argmax. */
  class: number;
  /** Counter ticks of that inference, at info.tickHz. */
  ticks: number;
  /** A profiling build's counter marks (before the first layer, after each one), at info.tickHz; else empty. */
  marks: number[];
  /** Pieces re-sent for this image (0 when nothing went wrong). */
  retries: number;
  /** Times the image was started (1, unless the device reset or dropped it). */
  attempts: number;
}

export interface ClientStats {
  /** Frames written: pieces, re-sent pieces, polls. */
  sent: number;
  /** Pieces re-sent. */
  retries: number;
  /** POLLs sent (after a damaged reply or silence). */
  polls: number;
  resets: number;
  /** Damaged frames from the device (bad CRC or impossible length). */
  badFrames: number;
  /** STATUS frames from the device: answers to POLLs, and its reports of damaged frames. */
  statuses: number;
  /** ERRORs from the device. */
  deviceErrors: number;
  /** Silences longer than the poll interval. */
  timeouts: number;
  /** Replies about an image already answered, or unknown. */
  stale: number;
}

/** An image that failed on its own (its blocks kept failing, or the device refused it); the link is fine. */
export class ImageFailed extends KitError {
  constructor(
    message: string,
    readonly retries: number,
  ) {
    super('image-failed', 'device', message);
  }
}

interface Job {
  image: Uint8Array;
  /** Image number on the wire; a new one when the image starts again. */
  id: number;
  attempts: number;
  retries: number;
  /** Per block: sequence number of its latest send (-1: not sent), held by the device, sends. */
  lastSeq: Float64Array;
  held: Uint8Array;
  sends: Uint16Array;
  started: number;
  resolve(r: InferResult): void;
  reject(e: Error): void;
}

const SEQ_SPACE = 0x1_0000_0000;
/** a - b for sequence and image numbers, modulo 2^32. */
const diff = (a: number, b: number) => (a - b) | 0;
const MIN_PIECE = 64;
/** The largest frame a device takes: a PIECE of 4 KiB (firmware/harness/main.c, KIT_PIECE_BYTES). */
const MAX_DEVICE_FRAME = 12 + 4096 + FRAME_OVERHEAD;

export class DeviceClient {
  readonly stats: ClientStats = { sent: 0, retries: 0, polls: 0, resets: 0, badFrames: 0, statuses: 0, deviceErrors: 0, timeouts: 0, stale: 0 };
  private infoValue?: DeviceInfo;
  private readonly decoder = new FrameDecoder(1024);
  private readonly opts: Required<Omit<ClientOptions, 'expect' | 'maxPieceBytes'>> & Pick<ClientOptions, 'expect' | 'maxPieceBytes'>;
  // Random starts: stale replies from an earlier session match nothing.
  private nextSeq = randomBytes(4).readUInt32LE() % (SEQ_SPACE - 1);
  private nextImage = randomBytes(4).readUInt32LE() % (SEQ_SPACE - 1);
  private readonly queue: Job[] = [];
  private job?: Job;
  private pieceBytes = 0;
  /** The longest of the last few waits from the last frame sent to a RESULT: what a silence is measured against. */
  private readonly replyWaits: number[] = [];
  private lastHeard = Date.now();
  private lastActivity = Date.now();
  private pollWait = 0;
  /** POLLs sent since the device last said something intact. */
  private unanswered = 0;
  private pollSeq?: number;
  private watchdog?: NodeJS.Timeout;
  private broken?: KitError;
  /** Set during the handshake only. */
  private onHello?: (m: Extract<Message, { type: 'hello' }>) => void;
  private abortHandshake?: (e: KitError) => void;
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(
    private readonly transport: Transport,
    options: ClientOptions,
  ) {
    this.opts = {
      helloTimeoutMs: options.helloTimeoutMs ?? 5000,
      helloRetryMs: options.helloRetryMs ?? 500,
      deadAfterMs: options.deadAfterMs ?? 10_000,
      pollMs: options.pollMs ?? 500,
      maxPollMs: options.maxPollMs ?? 4000,
      maxBlockSends: options.maxBlockSends ?? Infinity,
      maxPieceBytes: options.maxPieceBytes,
      expect: options.expect,
    };
  }

  /** Opens the transport and waits for the device's HELLO. */
  static async connect(transport: Transport, options: ClientOptions = {}): Promise<DeviceClient> {
    await transport.open();
    const client = new DeviceClient(transport, options);
    client.unsubscribe.push(
      transport.onData((chunk) => client.receive(chunk)),
      transport.onClose((err) => client.lineClosed(err)),
    );
    try {
      await client.handshake();
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  /** What the device said about itself in its HELLO. */
  get info(): DeviceInfo {
    return this.infoValue!;
  }

  get path(): string {
    return this.transport.path;
  }

  /** Runs one image (info.inputBytes raw bytes). Calls may overlap: they queue and run in order. */
  infer(image: Uint8Array): Promise<InferResult> {
    if (this.broken) return Promise.reject(this.broken);
    if (image.length !== this.info.inputBytes) {
      return Promise.reject(
        new KitError('bad-image-size', 'device', `image has ${image.length} bytes, the model on ${this.path} takes ${this.info.inputBytes}`),
      );
    }
    return new Promise((resolve, reject) => {
      const blocks = Math.ceil(image.length / BLOCK_BYTES);
      this.queue.push({ image, id: 0, attempts: 0, retries: 0, lastSeq: new Float64Array(blocks), held: new Uint8Array(blocks), sends: new Uint16Array(blocks), started: 0, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.fail(new KitError('client-closed', 'device', `connection to ${this.path} closed with work in flight`));
    for (const u of this.unsubscribe.splice(0)) u();
    await this.transport.close();
  }

  private handshake(): Promise<void> {
    return new Promise((done, fail) => {
      let tries = 0;
      const sendRequest = () => {
        // Unanswered already: a device whose parser holds a false frame start (line noise, a host
        // that went away mid-frame) waits for up to a frame's worth of bytes; zeros fill it.
        if (tries++ > 0) this.transport.write(new Uint8Array(MAX_DEVICE_FRAME));
        this.send({ type: 'get-hello', seq: 0 });
      };
      const retry = setInterval(sendRequest, this.opts.helloRetryMs);
      const finish = (err?: KitError) => {
        clearInterval(retry);
        clearTimeout(timeout);
        this.onHello = undefined;
        this.abortHandshake = undefined;
        if (err) return fail(err);
        done();
      };
      const timeout = setTimeout(() => {
        const junk = this.decoder.skipped;
        finish(
          new KitError(
            'device-silent',
            'device',
            `no HELLO from the device on ${this.path} within ${this.opts.helloTimeoutMs / 1000} s` +
              (junk ? ` (got ${junk} bytes that were not kit frames)` : ''),
            junk ? 'wrong baud rate, or not the kit harness firmware?' : 'is the kit harness firmware running on it?',
          ),
        );
      }, this.opts.helloTimeoutMs);
      this.onHello = (m) => {
        const problem = this.mismatch(m.info);
        if (problem) return finish(new KitError('device-mismatch', 'device', `device on ${this.path} ${problem}`));
        this.infoValue = m.info;
        const devicePiece = Math.max(BLOCK_BYTES, m.info.pieceBytes - (m.info.pieceBytes % BLOCK_BYTES));
        this.pieceBytes = Math.min(devicePiece, this.opts.maxPieceBytes ?? devicePiece);
        // Replies are small; a tight bound lets a false frame start in line noise fail fast.
        this.decoder.maxPayload = Math.max(600, 64 + 8 * m.info.profileMarks + m.info.outputBytes, 16 + Math.ceil(m.info.inputBytes / BLOCK_BYTES / 8));
        finish();
      };
      this.abortHandshake = finish;
      sendRequest();
    });
  }

  /** At the handshake, checks `expect`; after a reset, that the device is still the one we met. */
  private mismatch(info: DeviceInfo): string | undefined {
    const want: Partial<DeviceInfo> = this.infoValue ?? this.opts.expect ?? {};
    for (const key of ['board', 'modelHash', 'inputBytes', 'outputBytes'] as const) {
      if (want[key] !== undefined && want[key] !== info[key]) return `reports ${key} ${info[key]}, expected ${want[key]}`;
    }
    return undefined;
  }

  /** Writes a request with a fresh sequence number; returns it. */
  private send(m: Message): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) % (SEQ_SPACE - 1); // SEQ_NONE itself is never used
    this.stats.sent++;
    this.transport.write(encodeMessage({ ...m, seq } as Message));
    return seq;
  }

  private pump(): void {
    if (!this.broken && !this.job && this.queue.length > 0) {
      this.job = this.queue.shift()!;
      this.start(this.job);
    }
    // The watchdog runs only while an image is pending: it then also keeps node alive, so a silent
    // device fails the promise instead of the process quietly running out of work.
    if (this.job && !this.watchdog) {
      this.watchdog = setInterval(() => this.checkSilence(), 50);
    } else if (!this.job && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  /** (Re)starts an image under a new number: every block goes out again. */
  private start(job: Job): void {
    job.id = this.nextImage;
    this.nextImage = (this.nextImage + 1) % (SEQ_SPACE - 1);
    job.attempts++;
    job.lastSeq.fill(-1);
    job.held.fill(0);
    if (job.attempts === 1) job.started = Date.now();
    this.lastHeard = this.lastActivity = Date.now();
    this.unanswered = 0;
    this.pollSeq = undefined;
    this.sendBlocks(job, [...job.held.keys()]);
  }

  /** Sends the given blocks (ascending), consecutive ones together in pieces of at most pieceBytes; returns the pieces sent. */
  private sendBlocks(job: Job, blocks: number[]): number {
    let pieces = 0;
    const perPiece = Math.max(1, Math.floor(this.pieceBytes / BLOCK_BYTES));
    for (let k = 0; k < blocks.length; ) {
      let end = k + 1;
      while (end < blocks.length && end - k < perPiece && blocks[end] === blocks[end - 1] + 1) end++;
      const first = blocks[k];
      const offset = first * BLOCK_BYTES;
      const stop = Math.min(job.image.length, (blocks[end - 1] + 1) * BLOCK_BYTES);
      const seq = this.send({ type: 'piece', seq: 0, image: job.id, offset, data: job.image.subarray(offset, stop) });
      for (let b = first; b <= blocks[end - 1]; b++) {
        job.lastSeq[b] = seq;
        job.sends[b]++;
      }
      pieces++;
      k = end;
    }
    this.lastActivity = Date.now();
    // On a line that has been losing frames (pieces are smaller than the largest), a POLL closes
    // every burst: should its last piece vanish without a trace, the answer says so at once
    // instead of after a silence. A clean line sends no POLLs.
    if (this.pieceBytes < this.maxPiece()) this.poll(true, false);
    const worst = blocks.reduce((m, b) => Math.max(m, job.sends[b]), 0);
    if (worst > this.opts.maxBlockSends) this.failJob(job, new ImageFailed(`a block of the image was sent ${worst} times on ${this.path} without getting through`, job.retries));
    return pieces;
  }

  /** Has the device read the frame with sequence number `seq`? (It has read every frame up to the one a STATUS names.) */
  private readUpTo(seq: number, statusSeq: number): boolean {
    return seq >= 0 && diff(seq, statusSeq) <= 0;
  }

  private status(m: Extract<Message, { type: 'status' }>): void {
    const job = this.job;
    if (m.seq === this.pollSeq) this.pollSeq = undefined;
    // A STATUS about frames of an earlier session, or before this image: nothing to learn.
    if (!job || m.seq === SEQ_NONE || diff(m.seq, this.nextSeq) >= 0) return;
    if (m.image === job.id) {
      if (m.state === StatusState.Stale) {
        // The device moved on to a newer image number (a re-start of this one): start once more.
        this.stats.retries++;
        job.retries++;
        return this.start(job);
      }
      if (m.state === StatusState.Collecting && m.blocks === job.held.length) {
        for (let b = 0; b < m.blocks; b++) if (m.received[b >> 3] & (1 << (b & 7))) job.held[b] = 1;
      }
    }
    const lost: number[] = [];
    for (let b = 0; b < job.held.length; b++) if (!job.held[b] && this.readUpTo(job.lastSeq[b], m.seq)) lost.push(b);
    if (lost.length === 0) return;
    this.pieceBytes = Math.max(MIN_PIECE, this.pieceBytes >> 1);
    const pieces = this.sendBlocks(job, lost);
    this.stats.retries += pieces;
    job.retries += pieces;
  }

  private result(m: Extract<Message, { type: 'result' }>): void {
    const job = this.job;
    if (!job || m.image !== job.id) {
      this.stats.stale++;
      return;
    }
    this.pollSeq = undefined;
    if (m.logits.length !== this.info.outputBytes) {
      return this.failJob(job, new ImageFailed(`RESULT with ${m.logits.length} logits from ${this.path}, expected ${this.info.outputBytes}`, job.retries));
    }
    this.replyWaits.push(Date.now() - this.lastActivity);
    if (this.replyWaits.length > 8) this.replyWaits.shift();
    if (job.retries === 0) this.pieceBytes = Math.min(this.maxPiece(), this.pieceBytes * 2);
    this.job = undefined;
    if (m.marks.length !== this.info.profileMarks) {
      return this.failJob(job, new ImageFailed(`RESULT with ${m.marks.length} profile marks from ${this.path}, its HELLO said ${this.info.profileMarks}`, job.retries));
    }
    job.resolve({ logits: m.logits, class: m.class, ticks: m.ticks, marks: m.marks, retries: job.retries, attempts: job.attempts });
    this.pump();
  }

  private maxPiece(): number {
    const p = this.info.pieceBytes - (this.info.pieceBytes % BLOCK_BYTES);
    return Math.max(BLOCK_BYTES, Math.min(p, this.opts.maxPieceBytes ?? p));
  }

  private failJob(job: Job, e: Error): void {
    if (this.job !== job) return;
    this.job = undefined;
    job.reject(e);
    this.pump();
  }

  /** Asks where the current image stands; one POLL at a time unless `force`; `fill` after a silence. */
  private poll(force: boolean, fill = true): void {
    const job = this.job;
    if (!job || (this.pollSeq !== undefined && !force)) return;
    if (fill && this.unanswered > 0) {
      // Unanswered already: a damaged length may hold the device's parser waiting for bytes that
      // never come. Zeros (never a frame start) fill any candidate it holds, so it resolves.
      this.transport.write(new Uint8Array(this.info.pieceBytes + 12 + FRAME_OVERHEAD));
    }
    this.stats.polls++;
    if (fill) this.unanswered++;
    this.pollSeq = this.send({ type: 'poll', seq: 0, image: job.id });
    this.lastActivity = Date.now();
  }

  private receive(chunk: Uint8Array): void {
    for (const e of this.decoder.push(chunk)) this.event(e);
  }

  private event(e: ReturnType<FrameDecoder['push']>[number]): void {
    if (e.kind !== 'frame') {
      this.stats.badFrames++;
      this.poll(false);
      return;
    }
    let m: Message | undefined;
    try {
      m = decodeMessage(e.type, e.payload);
    } catch (err) {
      if (!(err instanceof MalformedMessage)) throw err;
      if (/protocol version/.test(err.message)) {
        this.abortHandshake?.(new KitError('protocol-mismatch', 'device', `device on ${this.path}: ${err.message}`, 'flash firmware from this version of kit'));
      }
      this.stats.badFrames++;
      this.poll(false);
      return;
    }
    if (m) this.handle(m);
  }

  private handle(m: Message): void {
    this.lastHeard = this.lastActivity = Date.now();
    this.unanswered = 0;
    this.pollWait = 0;
    if (m.type === 'hello' && this.onHello) return this.onHello(m);
    if (!this.infoValue) return; // stale traffic before the handshake
    switch (m.type) {
      case 'result':
        return this.result(m);
      case 'status':
        this.stats.statuses++;
        return this.status(m);
      case 'error': {
        this.stats.deviceErrors++;
        if (m.code === ErrorCode.CpuFault) {
          // The device stopped after saying so: a retry would only wait out the silence.
          return this.fail(new KitError('device-fault', 'device', `device on ${this.path} stopped: ${m.text}`, 'a bug in the firmware or the generated C (an unaligned word access on Xtensa, say); reset the board to go on'));
        }
        if (this.job) this.failJob(this.job, new ImageFailed(`device on ${this.path} refused the image: error ${m.code}: ${m.text}`, this.job.retries));
        return;
      }
      case 'hello':
        if (m.seq === SEQ_NONE) return this.deviceReset(m.info);
        return;
      default:
        return; // PONGs, requests echoed back by a misbehaving line: nothing to do
    }
  }

  private deviceReset(info: DeviceInfo): void {
    this.stats.resets++;
    const problem = this.mismatch(info);
    if (problem) {
      return this.fail(new KitError('device-changed', 'device', `device on ${this.path} reset and now ${problem}`));
    }
    if (this.job) this.start(this.job);
  }

  private checkSilence(): void {
    if (!this.job || this.broken) return;
    const now = Date.now();
    if (now - this.lastHeard >= this.opts.deadAfterMs) {
      return this.fail(
        new KitError('device-silent', 'device', `device on ${this.path} stopped answering: nothing for ${this.opts.deadAfterMs / 1000} s`, 'did it crash or lose power? (--dead-after sets how long a silence ends the run)'),
      );
    }
    const base = Math.max(this.opts.pollMs, 2 * Math.max(0, ...this.replyWaits));
    const wait = Math.min(this.opts.maxPollMs, Math.max(base, this.pollWait));
    if (now - this.lastActivity < wait) return;
    this.stats.timeouts++;
    this.pollWait = Math.min(this.opts.maxPollMs, wait * 2);
    // Nothing came for a while: a false frame start in our decoder cannot be waiting for more.
    for (const e of this.decoder.flush()) this.event(e);
    if (this.job) this.poll(true);
  }

  private lineClosed(err?: Error): void {
    const why = err ? `: ${err.message}` : '';
    const e = new KitError('port-closed', 'device', `serial port ${this.path} closed${why}`, 'was the board unplugged or the emulator stopped?');
    this.abortHandshake?.(e);
    this.fail(e);
  }

  /** Fails the pending image and everything queued; later calls fail the same way. */
  private fail(err: KitError): void {
    if (this.broken) return;
    this.broken = err;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const jobs = [...(this.job ? [this.job] : []), ...this.queue.splice(0)];
    this.job = undefined;
    for (const job of jobs) job.reject(err);
  }
}
