/** Runs firmware built for an emulated board in QEMU (the board JSON names the binary), its UART on a pty. */
import { existsSync } from 'node:fs';
import { KitError } from '../errors.js';
import { type Board, emulatedInstructions, howToGet, loadBoard } from './boards.js';
import { type PtyProcess, spawnPty } from './spawn-pty.js';

export interface EmulatorOptions {
  /** The ELF from buildFirmware. */
  firmware: string;
  /** Default qemu-cortex-m4; must be a board whose flash method is "qemu". */
  board?: string | Board;
  /** QEMU's -icount shift (one instruction per 2^shift ns of virtual time); default: the board's. */
  icountShift?: number;
  /** Default: the board's (flash.system). */
  qemu?: string;
  /** How long QEMU may take to open its pty; default 10 s. */
  timeoutMs?: number;
}

export interface EmulatedDevice extends PtyProcess {
  readonly board: Board;
  readonly icountShift: number;
  /**
   * Instructions executed in `ticks` counts of the board's counter running at `tickHz` (from
   * HELLO). A counter of virtual time is exact to within one tick's worth (tickHz 25 MHz and
   * shift 3: 5 instructions); a counter of instructions is exact.
   */
  instructions(ticks: number, tickHz: number): number;
  /** Presses the reset button (QEMU's system_reset): the firmware reboots and says HELLO again. */
  reset(): void;
}

export async function startEmulator(opts: EmulatorOptions): Promise<EmulatedDevice> {
  const board = typeof opts.board === 'object' ? opts.board : loadBoard(opts.board ?? 'qemu-cortex-m4');
  if (board.flash.method !== 'qemu') {
    throw new KitError('not-emulated', 'device', `board ${board.name} does not run in QEMU (flash method ${board.flash.method})`);
  }
  if (!existsSync(opts.firmware)) throw new KitError('no-firmware', 'device', `no firmware at ${opts.firmware}`, 'build it first');
  const { flash } = board;
  const shift = opts.icountShift ?? flash.icountShift;
  const qemu = opts.qemu ?? flash.system;
  const proc = await spawnPty({
    command: qemu,
    // -icount makes virtual time a function of instructions executed: counts repeat exactly.
    // The monitor on stdin/stdout (not muxed with the serial line, which is the pty) lets reset() work.
    args: [
      '-M', flash.machine,
      ...(flash.cpu ? ['-cpu', flash.cpu] : []),
      ...flash.args,
      '-nographic', '-monitor', 'stdio', '-serial', 'pty', '-icount', `shift=${shift}`, '-kernel', opts.firmware,
    ],
    announce: /char device redirected to (\/dev\/\S+)/,
    timeoutMs: opts.timeoutMs ?? 10_000,
    missingHint: howToGet(board, qemu),
  });
  return {
    ...proc,
    board,
    icountShift: shift,
    instructions: emulatedInstructions(board, shift)!,
    reset: () => proc.input('system_reset\n'),
  };
}

