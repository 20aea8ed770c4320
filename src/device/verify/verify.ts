import type { LabelledImages } from '../../data/types.js';
import { KitError } from '../../errors.js';
import { dtypeBytes, numElements, type Graph } from '../../ir/graph.js';
import { KIT_VERSION } from '../../version.js';
import type { Board } from '../boards.js';
import { ImageFailed } from '../client.js';
import { openDevices, type OpenDevice } from './devices.js';
import { hostReferenceParallel } from './reference.js';
import { histogram, percentile } from './stats.js';
import { tfliteDivergence, type Divergence } from '../../quantize/tflite-divergence.js';
import type { LayerProfile } from '../profile/profile.js';

export interface VerifyOptions {
  graph: Graph;
  floatGraph?: Graph;
  modelHash: string;
  board: Board;
  /** Inputs as raw bytes of the model's input tensor, back to back, with labels. */
  set: LabelledImages;
  /** false: the set has no labels (random inputs); accuracy is not reported, only agreement. */
  labelled?: boolean;
  ports?: string[];
  baud?: number;
  firmware?: string;
  jobs?: number;
  /** Images handed to each device's client at once (it sends one, the next waits ready). */
  inFlight?: number;
  /**
   * What an image that fails on its own does (a block re-sent maxBlockSends times, the device
   * refusing it): 'retry' (default) sends every block until it gets through and ends the run only
   * when the link is dead; 'skip' reports it as skipped and goes on; 'stop' ends the run there.
   */
  onError?: OnError;
  /** With 'skip' and 'stop': sends of one block after which its image fails (default 16). */
  maxBlockSends?: number;
  /** Silence of a device, with an image pending, that ends the run (default 60 s). */
  deadAfterMs?: number;
  /** Stops sending new images; what was answered is reported. */
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  /** Every answer as it comes: the image's index in `set` and what the device said (kit verify --profile pairs the counts). */
  onAnswer?: (index: number, r: { logits: Uint8Array; ticks: number }) => void;
}

export type OnError = 'retry' | 'skip' | 'stop';
export const ON_ERROR: readonly OnError[] = ['retry', 'skip', 'stop'];

export interface VerifyProgress {
  phase: 'reference' | 'device';
  done: number;
  total: number;
  deviceCorrect?: number;
  bitExact?: number;
}

export interface Mismatch {
  index: number;
  label: number;
  host: number[];
  device: number[];
}

export interface VerifyReport {
  kitVersion: string;
  board: string;
  devices: string[];
  modelHash: string;
  requested: number;
  images: number;
  complete: boolean;
  /** null without labels (random or unlabelled raw inputs), or when no image was verified. */
  accuracy: { hostFloat: number | null; hostInteger: number | null; device: number | null };
  /** Fractions of the verified images: identical logit bytes, and same top-1 class; null when none was verified. */
  agreement: { bitExact: number | null; class: number | null };
  /** Why no image was verified (then every figure above is null, not 0); absent when some were. */
  notVerified?: string;
  mismatches: Mismatch[];
  /** On the device: confusion[label][predicted class], over the answered images. */
  confusion: number[][];
  /** The first images the device got wrong (index into the verified sample), for the HTML report's thumbnails. */
  misclassified: { index: number; label: number; predicted: number }[];
  latency: {
    tickHz: number;
    clockHz: number;
    medianTicks: number;
    p90Ticks: number;
    medianMs: number;
    p90Ms: number;
    medianCycles: number | null;
    p90Cycles: number | null;
    medianInstructions: number | null;
    p90Instructions: number | null;
    /** Per-image latency distribution, in instructions when emulated, else in milliseconds. */
    histogram: { unit: 'instructions' | 'ms'; edges: number[]; counts: number[] };
  };
  /** Frames re-sent (pieces), POLLs, device resets, damaged frames from the device, silences; images that needed re-sends, and the most one needed. */
  link: { retries: number; polls: number; resets: number; badFrames: number; timeouts: number; imagesRetried: number; maxImageRetries: number };
  onError: OnError;
  /** Images given up under --on-error skip (index into the verified sample), with why and the re-sends they took. */
  skipped: { index: number; reason: string; retries: number }[];
  /** Where desktop TFLite (XNNPACK's requantization) would part from the board, on the first inputs. */
  tflite?: Divergence;
  /** kit verify --profile: per-layer counts from a profiling build of the same project (absent without it). */
  profile?: LayerProfile;
  seconds: number;
  imagesPerSecond: number;
}

const MAX_MISMATCHES = 20;
const MAX_MISCLASSIFIED = 48;

/**
 * Streams a labelled image set through one or more devices and compares every answer with the
 * host's integer reference (byte for byte) and with the label. Each image is answered exactly
 * once: the client retries and resumes across resets, and a failed device's images go back to
 * the shared queue for the others.
 */
export async function verifyOnDevice(opts: VerifyOptions): Promise<VerifyReport> {
  const { set } = opts;
  const input = opts.graph.tensors[opts.graph.inputs[0]];
  const inputBytes = numElements(input.shape) * dtypeBytes(input.dtype);
  if (set.images.length < set.count * inputBytes) {
    throw new KitError('verify-input', 'device', `${set.count} inputs need ${set.count * inputBytes} bytes, got ${set.images.length}`, `the model takes ${inputBytes} bytes per input`);
  }
  const onError = opts.onError ?? 'retry';
  const ref = await hostReferenceParallel(opts.graph, opts.floatGraph, set, (done, total) => opts.onProgress?.({ phase: 'reference', done, total }));
  const devices = await openDevices({
    board: opts.board,
    ports: opts.ports,
    baud: opts.baud,
    firmware: opts.firmware,
    jobs: opts.jobs ?? 1,
    client: {
      helloTimeoutMs: 15_000,
      deadAfterMs: opts.deadAfterMs ?? 60_000,
      maxBlockSends: onError === 'retry' ? Infinity : (opts.maxBlockSends ?? 16),
      expect: { modelHash: opts.modelHash, inputBytes, outputBytes: ref.outputBytes },
    },
  });
  const started = performance.now();
  const answered = new Uint8Array(set.count);
  const deviceClass = new Uint8Array(set.count);
  const ticks: number[] = [];
  const instructions: number[] = [];
  const mismatches: Mismatch[] = [];
  const skipped: VerifyReport['skipped'] = [];
  let imagesRetried = 0;
  let maxImageRetries = 0;
  let done = 0;
  let deviceCorrect = 0;
  let bitExact = 0;
  const queue = Array.from({ length: set.count }, (_, i) => i).reverse();
  let failure: unknown;

  const record = (d: OpenDevice, i: number, r: { logits: Uint8Array; class: number; ticks: number; retries: number }) => {
    if (answered[i]) return;
    answered[i] = 1;
    done++;
    if (r.retries > 0) imagesRetried++;
    maxImageRetries = Math.max(maxImageRetries, r.retries);
    deviceClass[i] = r.class;
    if (r.class === set.labels[i]) deviceCorrect++;
    const want = ref.logits.subarray(i * ref.outputBytes, (i + 1) * ref.outputBytes);
    const same = want.length === r.logits.length && want.every((v, k) => v === r.logits[k]);
    if (same) bitExact++;
    else if (mismatches.length < MAX_MISMATCHES) mismatches.push({ index: i, label: set.labels[i], host: [...want], device: [...r.logits] });
    ticks.push(r.ticks);
    if (d.instructions) instructions.push(d.instructions(r.ticks, d.client.info.tickHz));
    opts.onAnswer?.(i, r);
    opts.onProgress?.({ phase: 'device', done, total: set.count, deviceCorrect, bitExact });
  };

  const worker = async (d: OpenDevice) => {
    const inFlight = new Set<Promise<void>>();
    // The client sends one image at a time; a second one waits ready, so the next image goes out
    // the moment a RESULT comes in.
    const limit = opts.inFlight ?? 2;
    const take = (): boolean => {
      if (opts.signal?.aborted || failure) return false;
      const i = queue.pop();
      if (i === undefined) return false;
      const p = d.client
        .infer(set.images.subarray(i * inputBytes, (i + 1) * inputBytes))
        .then((r) => record(d, i, r))
        .catch((e) => {
          if (e instanceof ImageFailed && onError === 'skip') {
            skipped.push({ index: i, reason: e.message, retries: e.retries });
            opts.onProgress?.({ phase: 'device', done, total: set.count, deviceCorrect, bitExact });
            return;
          }
          if (!answered[i]) queue.push(i);
          // 'stop', or an image the device refuses (retrying cannot help): the run ends here.
          if (e instanceof ImageFailed) failure ??= e;
          throw e;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      return true;
    };
    try {
      while (true) {
        while (inFlight.size < limit && take());
        if (inFlight.size === 0) break;
        await Promise.race(inFlight);
      }
    } catch (e) {
      await Promise.allSettled(inFlight);
      throw e;
    }
  };

  // A device that fails puts its unanswered images back; the healthy ones take another pass.
  let alive = devices;
  let lastError: unknown;
  while (queue.length > 0 && alive.length > 0 && !opts.signal?.aborted && !failure) {
    const results = await Promise.allSettled(alive.map(worker));
    results.forEach((r) => r.status === 'rejected' && (lastError = r.reason));
    alive = alive.filter((_, k) => results[k].status === 'fulfilled');
  }
  if (done + skipped.length < set.count && !opts.signal?.aborted) failure ??= lastError ?? new KitError('verify-incomplete', 'device', 'images left unanswered');
  const info = devices[0].client.info;
  const stats = devices.map((d) => d.client.stats);
  await Promise.allSettled(devices.map((d) => d.close()));
  const seconds = (performance.now() - started) / 1000;

  let hostCorrect = 0;
  let floatCorrect = 0;
  let classAgree = 0;
  for (let i = 0; i < set.count; i++) {
    if (!answered[i]) continue;
    if (ref.intClass[i] === set.labels[i]) hostCorrect++;
    if (ref.floatClass && ref.floatClass[i] === set.labels[i]) floatCorrect++;
    if (ref.intClass[i] === deviceClass[i]) classAgree++;
  }
  // Nothing verified is no figure at all, not 0 % (which would read as a failing board).
  const frac = (n: number) => (done ? n / done : null);
  const cyclesPerTick = info.tickHz > 0 && info.clockHz > 0 ? info.clockHz / info.tickHz : null;
  const medianTicks = percentile(ticks, 50);
  const p90Ticks = percentile(ticks, 90);
  const emulated = instructions.length > 0 && instructions.length === ticks.length && info.clockHz > 0;
  const classes = ref.outputBytes;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const misclassified: VerifyReport['misclassified'] = [];
  for (let i = 0; i < set.count; i++) {
    if (!answered[i] || set.labels[i] >= classes || deviceClass[i] >= classes) continue;
    confusion[set.labels[i]][deviceClass[i]]++;
    if (deviceClass[i] !== set.labels[i] && misclassified.length < MAX_MISCLASSIFIED) misclassified.push({ index: i, label: set.labels[i], predicted: deviceClass[i] });
  }
  const report: VerifyReport = {
    kitVersion: KIT_VERSION,
    board: opts.board.name,
    devices: devices.map((d) => d.client.path),
    modelHash: opts.modelHash,
    requested: set.count,
    images: done,
    complete: done + skipped.length === set.count,
    accuracy: opts.labelled === false
      ? { hostFloat: null, hostInteger: null, device: null }
      : { hostFloat: ref.floatClass ? frac(floatCorrect) : null, hostInteger: frac(hostCorrect), device: frac(deviceCorrect) },
    agreement: { bitExact: frac(bitExact), class: frac(classAgree) },
    mismatches,
    confusion,
    misclassified,
    latency: emulated
      ? {
          // Under QEMU -icount the tick counter runs on virtual time; instructions are the exact
          // figure, and milliseconds assume one instruction per cycle at the board's clock.
          tickHz: info.tickHz,
          clockHz: info.clockHz,
          medianTicks,
          p90Ticks,
          medianMs: (percentile(instructions, 50) / info.clockHz) * 1000,
          p90Ms: (percentile(instructions, 90) / info.clockHz) * 1000,
          medianCycles: null,
          p90Cycles: null,
          medianInstructions: percentile(instructions, 50),
          p90Instructions: percentile(instructions, 90),
          histogram: { unit: 'instructions', ...histogram(instructions) },
        }
      : {
          tickHz: info.tickHz,
          clockHz: info.clockHz,
          medianTicks,
          p90Ticks,
          medianMs: (medianTicks / info.tickHz) * 1000,
          p90Ms: (p90Ticks / info.tickHz) * 1000,
          medianCycles: cyclesPerTick ? medianTicks * cyclesPerTick : null,
          p90Cycles: cyclesPerTick ? p90Ticks * cyclesPerTick : null,
          medianInstructions: null,
          p90Instructions: null,
          histogram: { unit: 'ms', ...histogram(ticks.map((t) => (t / info.tickHz) * 1000)) },
        },
    link: {
      retries: stats.reduce((s, x) => s + x.retries, 0),
      polls: stats.reduce((s, x) => s + x.polls, 0),
      resets: stats.reduce((s, x) => s + x.resets, 0),
      badFrames: stats.reduce((s, x) => s + x.badFrames, 0),
      timeouts: stats.reduce((s, x) => s + x.timeouts, 0),
      imagesRetried,
      maxImageRetries,
    },
    onError,
    skipped,
    seconds,
    imagesPerSecond: done / seconds,
    // int8 graphs are what desktop TFLite runs; at most 200 inputs keep this a few seconds.
    ...(opts.graph.scheme === 'int8' ? { tflite: tfliteDivergence(opts.graph, set.images, Math.min(set.count, 200)) } : {}),
  };
  // Nothing verified: every figure is null, and the report says why.
  if (done === 0) report.notVerified = set.count === 0 ? 'the input set is empty' : opts.signal?.aborted ? 'interrupted before the first answer' : `no image was answered: ${failure instanceof Error ? failure.message : String(failure)}`;
  if (failure) throw new VerifyFailed(failure, report);
  return report;
}

/** A run that stopped on a device error; carries the partial report so the CLI can still save it. */
export class VerifyFailed extends KitError {
  constructor(
    override readonly cause: unknown,
    readonly report: VerifyReport,
  ) {
    const e = cause instanceof KitError ? cause : undefined;
    super(e?.code ?? 'verify-failed', 'device', `${e?.message ?? String(cause)} after ${report.images} of ${report.requested} images`, e?.hint ?? 'the partial report was saved');
  }
}
