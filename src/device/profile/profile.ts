/**
 * The per-layer profile of a model on a board, from a profiling build's counter marks
 * (firmware/harness/profile.h): one reading before the first layer and one after each layer, in
 * the ticks RESULT is timed in. A layer's figure is the difference of its two marks, so the layers
 * plus what runs outside them (the call, input and output copies) add up to the inference's
 * profiled total exactly. Each layer's figure also holds one hook (the counter read and store of
 * its closing mark); what that costs is measured against the normal firmware's count of the same
 * image, and stated, not subtracted.
 */
import { KitError } from '../../errors.js';
import type { DeviceInfo } from '../protocol/messages.js';

/** A layer of kit_model_invoke, in call order: its name, op and MACs (from src/ops/cost.ts, through codegen). */
export interface ProfileLayer {
  name: string;
  op: string;
  macs: number;
}

/** One image through the profiling build. */
export interface ProfiledInference {
  /** Index of the image in the verified sample. */
  index: number;
  /** RESULT.ticks: the whole inference as the harness times it. */
  ticks: number;
  /** Counter marks: before layer 0, then after each layer. */
  marks: number[];
  /** The same image's ticks on the normal firmware, when it ran there. */
  unprofiledTicks?: number;
}

export type ProfileUnit = 'instructions' | 'cycles' | 'ns';

export interface LayerProfile {
  /** Instructions under QEMU -icount (exact), cycles on a board whose counter runs at its clock, else nanoseconds. */
  unit: ProfileUnit;
  board: string;
  /** Images run through the profiling build, and the one shown: the median profiled total. */
  images: number;
  image: number;
  layers: { index: number; name: string; op: string; count: number; macs: number; perMac: number | null; share: number }[];
  /** Outside the layers: the call, the input and output copies. */
  outside: number;
  /** The profiled inference: the layers plus `outside`, exactly. */
  total: number;
  macs: number;
  /** The same image on the normal firmware (null when it was not run there, e.g. a real board holding only the profiling build). */
  unprofiledTotal: number | null;
  /** (total - unprofiledTotal) / marks: what one mark adds; null without an unprofiled run or exact counts. Every layer's figure holds one. */
  hookPerMark: number | null;
  marks: number;
  /** Profiled totals over all the images: the spread data-dependent branches leave. */
  totalMin: number;
  totalMax: number;
}

export interface ProfileOptions {
  board: string;
  layers: ProfileLayer[];
  runs: ProfiledInference[];
  info: Pick<DeviceInfo, 'tickHz' | 'clockHz' | 'profileMarks'>;
  /** Exact instructions for a tick count, on an emulated board (src/device/boards.ts emulatedInstructions). */
  instructions?: (ticks: number, tickHz: number) => number;
}

/** The unit a board's counter is reported in, and the conversion from its ticks. */
export function profileUnit(info: Pick<DeviceInfo, 'tickHz' | 'clockHz'>, instructions?: (ticks: number, tickHz: number) => number): { unit: ProfileUnit; convert: (ticks: number) => number } {
  // Cumulative readings are rounded, then subtracted: the parts still add up to the total exactly.
  if (instructions) return { unit: 'instructions', convert: (t) => Math.round(instructions(t, info.tickHz)) };
  if (info.clockHz > 0 && info.tickHz > 0) return { unit: 'cycles', convert: (t) => Math.round((t * info.clockHz) / info.tickHz) };
  return { unit: 'ns', convert: (t) => Math.round((t * 1e9) / info.tickHz) };
}

export function buildProfile(opts: ProfileOptions): LayerProfile {
  const { layers, runs, info } = opts;
  if (runs.length === 0) throw new KitError('profile-empty', 'device', 'no image was profiled');
  if (info.profileMarks !== layers.length + 1) {
    throw new KitError('profile-mismatch', 'device', `the profiling firmware sends ${info.profileMarks} marks but the project has ${layers.length} layers (${layers.length + 1} marks)`, 'rebuild it from this project: kit codegen, then kit verify --profile');
  }
  const { unit, convert } = profileUnit(info, opts.instructions);
  const totals = runs.map((r) => convert(r.ticks));
  // The median image's own figures (not per-layer medians): a real inference whose parts add up.
  const order = runs.map((_, k) => k).sort((a, b) => totals[a] - totals[b] || runs[a].index - runs[b].index);
  const pick = order[Math.floor((order.length - 1) / 2)];
  const run = runs[pick];
  const marks = run.marks.map(convert);
  const total = totals[pick];
  const counts = layers.map((_, i) => marks[i + 1] - marks[i]);
  const inLayers = marks[marks.length - 1] - marks[0];
  const unprofiledTotal = run.unprofiledTicks === undefined ? null : convert(run.unprofiledTicks);
  return {
    unit,
    board: opts.board,
    images: runs.length,
    image: run.index,
    layers: layers.map((l, i) => ({
      index: i,
      name: l.name,
      op: l.op,
      count: counts[i],
      macs: l.macs,
      perMac: l.macs > 0 ? counts[i] / l.macs : null,
      share: total > 0 ? counts[i] / total : 0,
    })),
    outside: total - inLayers,
    total,
    macs: layers.reduce((s, l) => s + l.macs, 0),
    unprofiledTotal,
    // Only exact counts pair up: on wall time (the host board) two runs differ by more than the marks.
    hookPerMark: unprofiledTotal === null || unit !== 'instructions' ? null : (total - unprofiledTotal) / marks.length,
    marks: marks.length,
    totalMin: Math.min(...totals),
    totalMax: Math.max(...totals),
  };
}
