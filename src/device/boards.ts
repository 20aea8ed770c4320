/** Board descriptions: boards/<name>.json, validated here so the rest of kit can trust them. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { KitError } from '../errors.js';
import { PACKAGE_ROOT } from './paths.js';

const bytes = z.number().int().nonnegative();

const Region = z.strictObject({
  name: z.string().min(1),
  bytes,
  address: bytes.optional(),
  /** Linker section that places data in this region, when the board's linker script has one. */
  section: z.string().optional(),
  /**
   * What codegen may move here when the default memories are full: weight arrays (their values must
   * then be loaded into the region by the image, as qemu-cortex-m4's link.ld does) and/or the arena.
   * An ESP32's PSRAM is zero-filled at boot, not loaded, so it takes only the arena.
   */
  holds: z.array(z.enum(['weights', 'arena'])).min(1).default(['weights', 'arena']),
  /** What using the region costs, said in codegen's report when something moves there. */
  cost: z.string().optional(),
});

const Toolchain = z.strictObject({
  compiler: z.string().min(1),
  cflags: z.array(z.string()),
  ldflags: z.array(z.string()),
  linkerScript: z.string().optional(),
  /** The board's port of the UART and timer interfaces (and startup code), relative to kit's folder. */
  sources: z.array(z.string()),
  /** File name of the built firmware; absent while kit cannot build for the board. */
  output: z.string().optional(),
});

const Flash = z.discriminatedUnion('method', [
  /**
   * Not flashed: run in QEMU (`system`, default qemu-system-arm) as `-M machine [-cpu cpu] [args]`.
   * `ticks` says what the board's counter counts under -icount: QEMU's virtual time (SysTick on
   * the Cortex-M4: instructions follow from the tick rate and the shift), or instructions
   * themselves (Xtensa ICOUNT, RISC-V minstret).
   */
  z.strictObject({
    method: z.literal('qemu'),
    system: z.string().regex(/^qemu-system-[a-z0-9_]+$/).default('qemu-system-arm'),
    machine: z.string(),
    cpu: z.string().optional(),
    args: z.array(z.string()).default([]),
    icountShift: z.number().int().min(0).max(10),
    ticks: z.enum(['virtual-time', 'instructions']).default('virtual-time'),
  }),
  /** Not flashed: run as a native process. */
  z.strictObject({ method: z.literal('native') }),
  /**
   * Built and flashed by ESP-IDF v5 (kit flash writes an ESP-IDF project, idf.py does the rest).
   * `chip` is both esptool's chip and ESP-IDF's IDF_TARGET; `baud` is esptool's while flashing
   * (idf.py -b), not the harness's UART (that is serial.baud).
   */
  z.strictObject({ method: z.literal('esptool'), chip: z.string().regex(/^esp32[a-z0-9]*$/), baud: z.number().int().positive().default(460800) }),
]);

/** What kit's ESP-IDF project generator (src/device/esp-idf/) needs beyond the rest of the board. */
const EspIdf = z.strictObject({
  /** The UART the protocol owns: 0 is the one wired to a dev board's USB-serial bridge. */
  uart: z.number().int().min(0).max(2),
  /**
   * ESP-IDF's own share of the app image (startup, FreeRTOS, the UART driver, newlib, esp_timer):
   * an allowance added to codegen's figure when sizing the app partition.
   */
  runtimeBytes: bytes,
  /**
   * The module's PSRAM, configured in sdkconfig.defaults (ESP-IDF's CONFIG_SPIRAM_*): octal on the
   * ESP32-S3 N*R8 modules, quad on most others. Its size is memory.regions' "psram" region.
   */
  /** SPI flash mode (CONFIG_ESPTOOLPY_FLASHMODE_*); default ESP-IDF's DIO, which every module supports. */
  flashMode: z.enum(['qio', 'dio']).optional(),
  psram: z.strictObject({ mode: z.enum(['quad', 'octal']), speedMhz: z.union([z.literal(40), z.literal(80), z.literal(120)]) }).optional(),
});

/**
 * A program the board needs on this machine, and how to get it: kit doctor checks these and kit
 * setup installs the Debian packages of every board, so a new board needs no code in either.
 */
const Requirement = z.strictObject({
  /** Looked up on PATH. */
  command: z.string().min(1),
  /** What kit uses it for, e.g. "building the firmware". */
  for: z.string().min(1),
  /** Debian/Ubuntu packages that provide it (kit setup installs them). */
  debian: z.array(z.string().min(1)).default([]),
  /** How to get it when no Debian package does. */
  install: z.string().optional(),
  /** The board still works without it (e.g. code sizes are estimated instead of measured). */
  optional: z.boolean().default(false),
});

export type Requirement = z.infer<typeof Requirement>;

export const BoardSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string(),
  core: z.string().min(1),
  /** Core clock; 0 where it means nothing (the host board). */
  clockHz: bytes,
  memory: z.strictObject({
    /** `note`: how the model's constants are read from it, said in codegen's report (e.g. memory-mapped through a cache). */
    flash: z.strictObject({ bytes, note: z.string().optional() }),
    /** `usableBytes`: what is left for a model once the platform has taken its share. */
    ram: z.strictObject({ bytes, usableBytes: bytes.optional() }),
    regions: z.array(Region).default([]),
  }),
  toolchain: Toolchain,
  flash: Flash,
  serial: z.strictObject({ baud: z.number().int().positive() }),
  /** Programs the board needs besides kit (its compiler is needed whether listed or not). */
  requires: z.array(Requirement).default([]),
  /** Boards built with ESP-IDF (flash method esptool), where it is required. */
  espIdf: EspIdf.optional(),
})
  .refine((b) => b.flash.method !== 'esptool' || b.espIdf !== undefined, { message: 'a board flashed with esptool needs an espIdf block', path: ['espIdf'] })
  .refine((b) => !b.espIdf?.psram || b.memory.regions.some((r) => r.name === 'psram'), { message: 'espIdf.psram needs a memory region named "psram" (its size)', path: ['espIdf', 'psram'] });

export type Board = z.infer<typeof BoardSchema> & {
  /** The JSON file it came from. */
  file: string;
};

export const BOARDS_DIR = join(PACKAGE_ROOT, 'boards');

/** Names of the boards kit ships, sorted. */
export function knownBoards(): string[] {
  return readdirSync(BOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A shipped board by name, or any board JSON by path (a name ending in .json or holding a slash). */
export function loadBoard(nameOrPath: string): Board {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/');
  const file = isPath ? resolve(nameOrPath) : join(BOARDS_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) {
    if (isPath) throw new KitError('unknown-board', 'device', `no board file at ${file}`);
    throw new KitError('unknown-board', 'device', `unknown board "${nameOrPath}"`, `known boards: ${knownBoards().join(', ')}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KitError('bad-board', 'device', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = BoardSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new KitError('bad-board', 'device', `${file}: ${where}: ${issue.message}`);
  }
  if (!isPath && parsed.data.name !== nameOrPath) {
    throw new KitError('bad-board', 'device', `${file} names itself "${parsed.data.name}", not "${nameOrPath}"`);
  }
  return { ...parsed.data, file };
}

/** How to get a program a board needs, from its JSON (kit doctor and missing-tool errors say the same). */
export function howToGet(board: Board, command: string): string {
  const r = board.requires.find((x) => x.command === command);
  if (r?.debian.length) return `Debian/Ubuntu: apt-get install ${r.debian.join(' ')}, or kit setup as root`;
  return r?.install ?? `install ${command} and put it on PATH; kit doctor ${board.name} says what the board needs`;
}

/** RAM a model may plan for on this board. */
export function ramBudget(board: Board): number {
  return board.memory.ram.usableBytes ?? board.memory.ram.bytes;
}

/** A source or script path from a board JSON, made absolute (they are relative to kit's folder). */
export function boardPath(p: string): string {
  return isAbsolute(p) ? p : join(PACKAGE_ROOT, p);
}


/**
 * On an emulated board, exact instructions for a count of `ticks` of the board's counter running at
 * `tickHz` (from HELLO): what the board JSON says the counter counts under -icount (flash.ticks),
 * with its shift. A counter of virtual time (SysTick) is exact to within one tick's worth (25 MHz,
 * shift 3: 5 instructions). undefined on a board that is not emulated. The one place this is
 * decided: kit's own emulator run and `--port` to an emulator use it alike.
 */
export function emulatedInstructions(board: Board, icountShift?: number): ((ticks: number, tickHz: number) => number) | undefined {
  const { flash } = board;
  if (flash.method !== 'qemu') return undefined;
  if (flash.ticks === 'instructions') return (ticks) => ticks;
  const nsPerInstruction = 2 ** (icountShift ?? flash.icountShift);
  return (ticks, tickHz) => (ticks * (1e9 / tickHz)) / nsPerInstruction;
}
