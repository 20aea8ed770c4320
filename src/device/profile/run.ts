/**
 * Builds the profiling firmware of a generated project and runs images through it: what
 * `kit verify --profile` and `npm run bench:mcu -- --per-layer` share.
 */
import { join } from 'node:path';
import { KitError } from '../../errors.js';
import type { Board } from '../boards.js';
import { buildFirmware, type FirmwareBuild } from '../build.js';
import type { ClientOptions } from '../client.js';
import type { DeviceInfo } from '../protocol/messages.js';
import { openDevices } from '../verify/devices.js';
import { buildProfile, type LayerProfile, type ProfiledInference, type ProfileLayer } from './profile.js';

/** The define that compiles the per-layer hook in (templates/model.c.hbs, firmware/harness/profile.h). */
export const PROFILE_DEFINE = 'KIT_PROFILE';

/** Where the profiling firmware of a project goes, beside kit flash's build/. */
export const profileFirmwareDir = (project: string) => join(project, 'build-profile');

/** The harness and the project's model with the per-layer hook compiled in. */
export function buildProfilingFirmware(opts: { board: string | Board; project: string; outDir?: string; defines?: Record<string, string | number> }): Promise<FirmwareBuild> {
  return buildFirmware({ board: opts.board, modelDir: opts.project, outDir: opts.outDir ?? profileFirmwareDir(opts.project), defines: { ...opts.defines, [PROFILE_DEFINE]: 1 } });
}

export interface ProfileRunOptions {
  board: Board;
  /** The profiling firmware, for boards kit runs itself (QEMU, host). */
  firmware?: string;
  /** Or the serial port of a board that runs one. */
  port?: string;
  baud?: number;
  client: ClientOptions;
  images: Uint8Array[];
}

export interface ProfileRunResult {
  info: DeviceInfo;
  instructions?: (ticks: number, tickHz: number) => number;
  results: { ticks: number; marks: number[]; logits: Uint8Array }[];
}

/** Runs `images` one by one on a profiling build; refuses a firmware that does not profile. */
export async function runProfilingFirmware(opts: ProfileRunOptions): Promise<ProfileRunResult> {
  const [device] = await openDevices({ board: opts.board, ports: opts.port ? [opts.port] : undefined, baud: opts.baud, firmware: opts.firmware, jobs: 1, client: opts.client });
  try {
    const info = device.client.info;
    if (info.profileMarks === 0) {
      throw new KitError('not-profiling', 'device', `the firmware on ${device.client.path} was not built to profile layers`, `build it with -D${PROFILE_DEFINE} (kit verify --profile does for the boards it runs itself)`);
    }
    const results: ProfileRunResult['results'] = [];
    for (const image of opts.images) {
      const r = await device.client.infer(image);
      results.push({ ticks: r.ticks, marks: r.marks, logits: r.logits });
    }
    return { info, instructions: device.instructions, results };
  } finally {
    await device.close();
  }
}

export interface ProjectProfileOptions {
  project: string;
  board: Board;
  /** The project's layers in call order (kit-codegen.json's figures). */
  layers: ProfileLayer[];
  /** Images by their index in the verified sample. */
  images: { index: number; bytes: Uint8Array }[];
  /** The normal firmware's answers for those images (kit verify's run): its logits must be the profiled ones, its ticks are the unprofiled count. */
  unprofiled: Map<number, { ticks: number; logits: Uint8Array }>;
  /** Real boards: the port of a board flashed with a profiling build; the unprofiled count is then not known. */
  port?: string;
  baud?: number;
  client: ClientOptions;
  log?: (line: string) => void;
}

/**
 * The per-layer profile of a generated project: builds its profiling firmware (for the boards kit
 * runs itself), runs the images, checks every profiled answer equals the normal firmware's, and
 * pairs the counts.
 */
export async function profileProject(opts: ProjectProfileOptions): Promise<LayerProfile> {
  let firmware: string | undefined;
  if (!opts.port) {
    const build = await buildProfilingFirmware({ board: opts.board, project: opts.project });
    firmware = build.file;
    opts.log?.(`built the profiling firmware ${build.file}`);
  }
  const run = await runProfilingFirmware({ board: opts.board, firmware, port: opts.port, baud: opts.baud, client: opts.client, images: opts.images.map((x) => x.bytes) });
  const runs: ProfiledInference[] = opts.images.map((img, k) => {
    const r = run.results[k];
    const normal = opts.unprofiled.get(img.index);
    if (normal && !normal.logits.every((v, j) => v === r.logits[j])) {
      throw new KitError('profile-differs', 'device', `the profiling firmware's logits for image #${img.index} differ from the normal firmware's`, 'the per-layer hook must not change what the model computes: report this as a kit bug');
    }
    // On a port the board runs the profiling build alone: there is no unprofiled count to pair.
    return { index: img.index, ticks: r.ticks, marks: r.marks, unprofiledTicks: opts.port ? undefined : normal?.ticks };
  });
  return buildProfile({ board: opts.board.name, layers: opts.layers, runs, info: run.info, instructions: run.instructions });
}
