/**
 * The command-line facts about a model's input that a model file may not carry: how pixels become
 * the network's input (--mean, --std, --scale), the class names (--classes), and how images are
 * fitted to the input (--resize, --center-crop). Every command that takes them (kit quantize,
 * kit verify, kit import) registers and parses them here, so they mean the same everywhere.
 *
 * Normalization is always stored as kit's normalize_input reads it: (pixel / 255 - mean[c]) / std[c].
 * The flags are the general form x = (pixel * scale - mean) / std, with scale 1/255 by default
 * (torchvision's ToTensor + Normalize); e.g. Keras' "pixel / 127.5 - 1" is --scale 1 --mean 127.5
 * --std 127.5, and a model that reads raw 0..255 values is --scale 1.
 */
import { Option, type Command } from 'commander';
import { KitError } from '../errors.js';
import type { Normalization } from './normalize.js';

export type { Normalization } from './normalize.js';

/** The raw flag values, as commander hands them over. */
export interface InputSpecFlags {
  mean?: string;
  std?: string;
  scale?: string;
  classes?: string;
}

/** How images of another size are made to fit the model's input (never done unasked). */
export interface ImagePrep {
  /** Resize to height x width, or so that the shorter side is `shorter` (aspect kept). */
  resize?: { height: number; width: number } | { shorter: number };
  /** Cut the model's input size out of the middle (after any resize). */
  centerCrop?: boolean;
}

export interface DataFlags {
  data?: string;
  inputs?: string;
  labels?: string;
  resize?: string;
  centerCrop?: boolean;
}

const bad = (message: string, hint: string) => new KitError('bad-option', 'cli', message, hint);

/** Adds --mean, --std, --scale and --classes to a command. */
export function addInputSpecOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--mean <list>', "per-channel mean the model subtracts from its input: it reads (pixel * scale - mean) / std (one value stands for every channel); default: the model's own metadata"))
    .addOption(new Option('--std <list>', 'per-channel standard deviation the input is divided by (with --mean)'))
    .addOption(new Option('--scale <x>', 'what a pixel (0..255) is multiplied by before --mean/--std: 1/255 (the default, values 0..1) or 1 (raw 0..255); alone, it means mean 0 and std 1'))
    .addOption(new Option('--classes <list>', 'comma-separated class names, one per model output (default: the model\'s metadata, else the data\'s class folders)'));
}

/** Adds --data, --inputs, --labels, --resize and --center-crop to a command. */
export function addDataOptions(cmd: Command, dataDefault = 'data'): Command {
  cmd
    .addOption(new Option('-d, --data <path>', 'images: CIFAR-10 (binary folder or archive), or an image folder of any size (train/<class>/*.jpg + test/<class>/*.jpg, or <class>/*.jpg alone; labels are the sorted folder names)').default(dataDefault))
    .addOption(new Option('--inputs <file.npy>', "raw input tensors instead of images: N inputs in the model's dtype (uint8 pixels for a model that normalizes itself, int8 for an int8 input) and HWC layout"))
    .addOption(new Option('--labels <file.npy>', 'with --inputs: N integer labels, for accuracy'));
  return addImagePrepOptions(cmd);
}

/** Adds --resize and --center-crop to a command. */
export function addImagePrepOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--resize <HxW|N>', 'resize every image to H x W pixels (bilinear, antialiased), or its shorter side to N keeping the aspect ratio; images are never resized unasked'))
    .addOption(new Option('--center-crop', "cut the model's input size out of the middle of every image (after --resize)"));
}

function numberList(flag: string, text: string): number[] {
  const xs = text.split(',').map((s) => parseNumberText(s.trim()));
  if (text.trim() === '' || xs.some((x) => x === undefined)) throw bad(`--${flag} '${text}' is not a comma-separated list of numbers`, `e.g. --${flag} 0.485,0.456,0.406`);
  return xs as number[];
}

/** A finite number, or a fraction such as 1/255. */
function parseNumberText(s: string): number | undefined {
  const m = /^([^/]+)\/([^/]+)$/.exec(s);
  const v = m ? Number(m[1]) / Number(m[2]) : s === '' ? NaN : Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/** A per-channel list of `channels` values: one value stands for all of them. */
function perChannel(flag: string, xs: number[], channels: number): number[] {
  if (xs.length === 1) return new Array<number>(channels).fill(xs[0]);
  if (xs.length !== channels) {
    throw bad(`--${flag} has ${xs.length} values but the model's input has ${channels} channel${channels === 1 ? '' : 's'}`, `give ${channels} comma-separated values, or one for all`);
  }
  return xs;
}

/**
 * The normalization the flags describe for an input of `channels` channels, or undefined when
 * none of --mean, --std, --scale is given. Refuses a lone --mean or --std, a mean/std count that
 * is not the channel count (or 1), a zero or negative std, and a scale that is not positive.
 */
export function parseNormalization(flags: InputSpecFlags, channels: number): Normalization | undefined {
  if (flags.mean === undefined && flags.std === undefined && flags.scale === undefined) return undefined;
  if ((flags.mean === undefined) !== (flags.std === undefined)) {
    throw bad(`--${flags.mean === undefined ? 'std' : 'mean'} needs --${flags.mean === undefined ? 'mean' : 'std'} too`, 'give both, e.g. --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 (or --mean 0 --std 1)');
  }
  let factor = 1; // 255 * scale: what the mean and std are divided by to work on pixel / 255
  if (flags.scale !== undefined) {
    const s = parseNumberText(flags.scale.trim());
    if (s === undefined || s <= 0) throw bad(`--scale '${flags.scale}' is not a positive number`, 'e.g. --scale 1/255 (values 0..1) or --scale 1 (raw 0..255)');
    const m = /^\s*([^/]+)\/([^/]+)\s*$/.exec(flags.scale);
    // 1/255 as a fraction gives a factor of exactly 1, so --scale 1/255 changes no bit.
    factor = m ? (255 * Number(m[1])) / Number(m[2]) : 255 * s;
  }
  const mean = flags.mean === undefined ? new Array<number>(channels).fill(0) : perChannel('mean', numberList('mean', flags.mean), channels);
  const std = flags.std === undefined ? new Array<number>(channels).fill(1) : perChannel('std', numberList('std', flags.std), channels);
  if (std.some((s) => s <= 0)) throw bad(`--std '${flags.std}' has a value that is not positive`, 'standard deviations are positive');
  return { mean: mean.map((m) => m / factor), std: std.map((s) => s / factor) };
}

/**
 * The normalization a command uses: the flags when given, else the model's own (kit.json, or what
 * kit import recorded), else a one-line error asking for the flags.
 */
export function resolveNormalization(flags: InputSpecFlags, channels: number, fromModel: Normalization | undefined, model: string): Normalization {
  const given = parseNormalization(flags, channels);
  if (given) return given;
  if (fromModel) {
    if (fromModel.mean.length !== channels || fromModel.std.length !== channels) {
      throw new KitError('bad-normalization', 'data', `${model} records ${fromModel.mean.length} means and ${fromModel.std.length} stds for an input of ${channels} channels`, 'give --mean and --std for each channel');
    }
    return fromModel;
  }
  throw bad(`${model} does not say how pixels become its input`, 'give --mean M --std S (per channel; the model reads (pixel/255 - mean) / std), or --scale 1/255 for values 0..1');
}

/** Class names from --classes, checked against the model's output count when known. */
export function parseClassNames(flag: string | undefined, outputs?: number): string[] | undefined {
  if (flag === undefined) return undefined;
  const names = flag.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw bad(`--classes '${flag}' has an empty name`, 'give comma-separated names, e.g. --classes cat,dog');
  if (new Set(names).size !== names.length) throw bad(`--classes '${flag}' names a class twice`, 'each class needs its own name');
  if (outputs !== undefined && names.length !== outputs) throw bad(`--classes names ${names.length} classes but the model has ${outputs} outputs`, `give ${outputs} comma-separated names`);
  return names;
}

/**
 * The class names a command uses: --classes, else the model's, else the data's (its class folder
 * names, when there is one per output), else none.
 */
export function resolveClasses(flag: string | undefined, outputs: number, fromModel: string[] | undefined, fromData: string[] | undefined): string[] | undefined {
  return parseClassNames(flag, outputs) ?? fromModel ?? (fromData && fromData.length === outputs ? fromData : undefined);
}

/** `--resize 96x96` or `--resize 36` (shorter side). */
export function parseResize(text: string): NonNullable<ImagePrep['resize']> {
  const hw = /^\s*(\d+)\s*[xX]\s*(\d+)\s*$/.exec(text);
  if (hw && Number(hw[1]) > 0 && Number(hw[2]) > 0) return { height: Number(hw[1]), width: Number(hw[2]) };
  const n = /^\s*(\d+)\s*$/.exec(text);
  if (n && Number(n[1]) > 0) return { shorter: Number(n[1]) };
  throw bad(`--resize '${text}' is neither HxW nor a size`, 'e.g. --resize 32x32, or --resize 36 --center-crop for the shorter side');
}

export function parseImagePrep(flags: DataFlags): ImagePrep {
  return { ...(flags.resize !== undefined ? { resize: parseResize(flags.resize) } : {}), ...(flags.centerCrop ? { centerCrop: true } : {}) };
}

/** The flags again, for messages and manifests: '--resize 36 --center-crop', or '' when none. */
export function describeImagePrep(prep: ImagePrep): string {
  const parts: string[] = [];
  if (prep.resize) parts.push(`--resize ${'shorter' in prep.resize ? prep.resize.shorter : `${prep.resize.height}x${prep.resize.width}`}`);
  if (prep.centerCrop) parts.push('--center-crop');
  return parts.join(' ');
}
