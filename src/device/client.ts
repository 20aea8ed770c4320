/**
 * Talks to the kit harness on a device: HELLO handshake, then pipelined inference.
 *
 * Every transmission gets a fresh sequence number, and the device answers requests strictly in
 * arrival order, one reply each. So a reply to sequence s proves that every request sent before s
 * has been answered or lost: whatever is still waiting from before s is re-sent at once. A damaged
 * frame either way triggers a PING, whose PONG draws that line without waiting for a timeout; a
 * boot HELLO (the device reset) re-sends everything in flight; silence re-sends after
 * replyTimeoutMs. A re-send counts as an attempt, an image fails after maxAttempts, and the first
 * answer for an image wins: no image is lost or counted twice.
 */
import { randomBytes } from 'node:crypto';
import { KitError } from '../errors.js';
import { FrameDecoder } from './protocol/frame.js';
import { type DeviceInfo, ErrorCode, MalformedMessage, type Message, SEQ_NONE, decodeMessage, encodeMessage } from './protocol/messages.js';
import type { Transport } from './transport/transport.js';

export interface ClientOptions {
  /** How long to wait for the device's HELLO (default 5000 ms). */
  helloTimeoutMs?: number;
  /** GET_HELLO is re-sent this often until answered (default 500 ms). */
  helloRetryMs?: number;
  /** Silence, with work in flight, after which everything in flight is re-sent (default 10000 ms). Must exceed one inference. */
  replyTimeoutMs?: number;
  /** Images on the wire at once (default 4): the device works while the next image is in transit. */
  maxInFlight?: number;
  /** Sends per image, first try included, before it fails (default 4). */
  maxAttempts?: number;
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
  /** Sends it took (1 when nothing went wrong). */
  attempts: number;
}

export interface ClientStats {
  /** Frames written: requests and their re-sends. */
  sent: number;
  retries: number;
  resets: number;
  /** Damaged frames from the device (bad CRC or impossible length). */
  badFrames: number;
  /** ERRORs from the device. */
  deviceErrors: number;
  /** Silences longer than replyTimeoutMs. */
  timeouts: number;
  /** Replies for a request already answered (a re-send that was not needed) or unknown. */
  stale: number;
}

interface Job {
  id: number;
  image: Uint8Array;
  attempts: number;
  /** Order of the latest transmission. */
  order: number;
  seqs: number[];
  resolve(r: InferResult): void;
  reject(e: Error): void;
}

interface Sent {
  order: number;
  job?: Job;
}

const SEQ_SPACE = 0xffffffff; // SEQ_NONE itself is never used

export class DeviceClient {
  readonly stats: ClientStats = { sent: 0, retries: 0, resets: 0, badFrames: 0, deviceErrors: 0, timeouts: 0, stale: 0 };
  private infoValue?: DeviceInfo;
  private readonly decoder = new FrameDecoder(1024);
  private readonly opts: Required<Omit<ClientOptions, 'expect'>> & Pick<ClientOptions, 'expect'>;
  private nextSeq = randomBytes(4).readUInt32LE() % SEQ_SPACE; // random start: stale replies from an earlier session match nothing
  private order = 0;
  private nextJobId = 0;
  private readonly sent = new Map<number, Sent>();
  private readonly inFlight = new Set<Job>();
  private readonly queue: Job[] = [];
  private barrierPending = false;
  private lastProgress = Date.now();
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
      replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
      maxInFlight: Math.max(1, options.maxInFlight ?? 4),
      maxAttempts: Math.max(1, options.maxAttempts ?? 4),
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

  /** Runs one image (info.inputBytes raw bytes). Calls may overlap: up to maxInFlight go out at once, the rest queue. */
  infer(image: Uint8Array): Promise<InferResult> {
    if (this.broken) return Promise.reject(this.broken);
    if (image.length !== this.info.inputBytes) {
      return Promise.reject(
        new KitError('bad-image-size', 'device', `image has ${image.length} bytes, the model on ${this.path} takes ${this.info.inputBytes}`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextJobId++, image, attempts: 0, order: -1, seqs: [], resolve, reject });
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
      const sendRequest = () => this.request({ type: 'get-hello', seq: 0 });
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
        // Replies are small; a tight bound lets a false frame start in line noise fail fast.
        this.decoder.maxPayload = Math.max(1024, 64 + m.info.outputBytes);
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

  /** Sends a request with a fresh sequence number; returns it. */
  private request(m: Message, job?: Job): number {
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) % SEQ_SPACE;
    const order = this.order++;
    this.sent.set(seq, { order, job });
    if (job) {
      job.order = order;
      job.seqs.push(seq);
    }
    this.stats.sent++;
    this.transport.write(encodeMessage({ ...m, seq } as Message));
    return seq;
  }

  private pump(): void {
    while (!this.broken && this.inFlight.size < this.opts.maxInFlight && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (this.inFlight.size === 0) this.lastProgress = Date.now();
      this.inFlight.add(job);
      this.transmit(job);
    }
    // The watchdog runs only while something is in flight: it then also keeps node alive, so a
    // silent device fails the promise instead of the process quietly running out of work.
    if (this.inFlight.size > 0 && !this.watchdog) {
      this.watchdog = setInterval(() => this.checkSilence(), Math.min(250, this.opts.replyTimeoutMs / 4));
    } else if (this.inFlight.size === 0 && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
  }

  private transmit(job: Job): void {
    job.attempts++;
    this.request({ type: 'infer', seq: 0, pixels: job.image }, job);
  }

  private retry(job: Job, reason: string, code = 'device-retries'): void {
    if (job.attempts >= this.opts.maxAttempts) {
      this.finishJob(job);
      job.reject(new KitError(code, 'device', `image #${job.id} failed ${job.attempts} times on ${this.path}: ${reason}`));
      this.pump();
      return;
    }
    this.stats.retries++;
    this.transmit(job);
  }

  private finishJob(job: Job): void {
    this.inFlight.delete(job);
    for (const s of job.seqs) this.sent.delete(s);
  }

  /** A reply to a request sent at `order`: every in-flight image last sent before it was lost. */
  private lostBefore(order: number): void {
    for (const job of [...this.inFlight]) if (job.order < order) this.retry(job, 'request or reply lost on the line');
  }

  /** Asks for a PONG: its arrival shows which requests before it were lost. */
  private barrier(): void {
    if (this.barrierPending || this.inFlight.size === 0) return;
    this.barrierPending = true;
    this.request({ type: 'ping', seq: 0, data: new Uint8Array(0) });
  }

  private receive(chunk: Uint8Array): void {
    for (const e of this.decoder.push(chunk)) {
      if (e.kind !== 'frame') {
        this.stats.badFrames++;
        this.barrier();
        continue;
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
        this.barrier();
        continue;
      }
      if (m) this.handle(m);
    }
  }

  private handle(m: Message): void {
    this.lastProgress = Date.now();
    if (m.type === 'hello' && this.onHello) return this.onHello(m);
    if (!this.infoValue) return; // stale traffic before the handshake
    const entry = m.seq === SEQ_NONE ? undefined : this.sent.get(m.seq);
    if (entry) this.lostBefore(entry.order);
    switch (m.type) {
      case 'result': {
        const job = entry?.job;
        if (!job || !this.inFlight.has(job)) {
          this.stats.stale++;
          return;
        }
        if (m.logits.length !== this.info.outputBytes) {
          if (entry!.order === job.order) this.retry(job, `RESULT with ${m.logits.length} logits, expected ${this.info.outputBytes}`);
          return;
        }
        this.finishJob(job);
        job.resolve({ logits: m.logits, class: m.class, ticks: m.ticks, attempts: job.attempts });
        this.pump();
        return;
      }
      case 'error': {
        this.stats.deviceErrors++;
        if (m.code === ErrorCode.CpuFault) {
          // The device stopped after saying so: a retry would only wait out the reply timeout.
          return this.fail(new KitError('device-fault', 'device', `device on ${this.path} stopped: ${m.text}`, 'a bug in the firmware or the generated C (an unaligned word access on Xtensa, say); reset the board to go on'));
        }
        const job = entry?.job;
        if (!job) this.barrier(); // about a damaged frame: which request it was shows at the PONG
        // An error about an earlier send of an image already re-sent: the newer send is still on its way.
        else if (this.inFlight.has(job) && entry!.order === job.order) this.retry(job, `device error ${m.code}: ${m.text}`);
        return;
      }
      case 'pong':
        if (entry) {
          this.sent.delete(m.seq);
          this.barrierPending = false;
        }
        return;
      case 'hello':
        if (m.seq === SEQ_NONE) return this.deviceReset(m.info);
        this.sent.delete(m.seq);
        return;
      default:
        return; // requests echoed back by a misbehaving line: ignore
    }
  }

  private deviceReset(info: DeviceInfo): void {
    this.stats.resets++;
    const problem = this.mismatch(info);
    if (problem) {
      return this.fail(new KitError('device-changed', 'device', `device on ${this.path} reset and now ${problem}`));
    }
    // The reset lost the barrier's PING, if any, along with everything else in flight.
    this.barrierPending = false;
    for (const job of [...this.inFlight]) this.retry(job, 'device reset while it was in flight');
  }

  private checkSilence(): void {
    if (this.inFlight.size === 0 || Date.now() - this.lastProgress < this.opts.replyTimeoutMs) return;
    this.stats.timeouts++;
    this.lastProgress = Date.now();
    this.barrierPending = false;
    const reason = `no reply for ${this.opts.replyTimeoutMs / 1000} s`;
    const exhausted = [...this.inFlight].some((j) => j.attempts >= this.opts.maxAttempts);
    if (exhausted) {
      // Silent through every retry: the device is gone; waiting on the rest would only repeat that.
      return this.fail(new KitError('device-silent', 'device', `device on ${this.path} stopped answering: ${reason}, ${this.opts.maxAttempts} tries`, 'did it crash or lose power?'));
    }
    for (const job of [...this.inFlight]) this.retry(job, reason);
  }

  private lineClosed(err?: Error): void {
    const why = err ? `: ${err.message}` : '';
    const e = new KitError('port-closed', 'device', `serial port ${this.path} closed${why}`, 'was the board unplugged or the emulator stopped?');
    this.abortHandshake?.(e);
    this.fail(e);
  }

  /** Fails everything in flight and queued; later calls fail the same way. */
  private fail(err: KitError): void {
    if (this.broken) return;
    this.broken = err;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const jobs = [...this.inFlight, ...this.queue.splice(0)];
    this.inFlight.clear();
    this.sent.clear();
    for (const job of jobs) job.reject(err);
  }
}
