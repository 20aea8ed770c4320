import { existsSync } from 'node:fs';
import { KitError } from '../../errors.js';
import { type Board, emulatedInstructions } from '../boards.js';
import { DeviceClient, type ClientOptions } from '../client.js';
import { startHost } from '../host.js';
import { startEmulator } from '../qemu.js';
import { SerialTransport } from '../transport/serial.js';
import type { Transport } from '../transport/transport.js';

export interface OpenDevice {
  client: DeviceClient;
  /** Exact instructions for a tick count, on an emulated board under -icount. */
  instructions?: (ticks: number, tickHz: number) => number;
  close(): Promise<void>;
}

export interface DeviceSetup {
  board: Board;
  /** Serial ports of real boards (one device per port). */
  ports?: string[];
  /** Lines to devices opened some other way (Web Serial, a test's scripted device): one device each. */
  transports?: Transport[];
  baud?: number;
  /** The built firmware, for boards kit runs itself (qemu, host). */
  firmware?: string;
  jobs: number;
  client: ClientOptions;
}

/**
 * Opens every device of a run: the given serial ports, or `jobs` instances of an emulated or
 * native board started from the firmware. Every path ends at a serial port driven by
 * `serialport`, exactly as a USB-serial board would be.
 */
export async function openDevices(setup: DeviceSetup): Promise<OpenDevice[]> {
  const { board } = setup;
  const opened: OpenDevice[] = [];
  const connect = async (line: string | Transport, extra: Omit<OpenDevice, 'client' | 'close'>, stop?: () => Promise<void>) => {
    const transport = typeof line === 'string' ? new SerialTransport(line, setup.baud ?? board.serial.baud) : line;
    try {
      const client = await DeviceClient.connect(transport, setup.client);
      opened.push({ client, ...extra, close: async () => { await client.close(); await stop?.(); } });
    } catch (e) {
      await stop?.();
      throw e;
    }
  };
  try {
    if (setup.transports?.length) {
      for (const t of setup.transports) await connect(t, {});
      return opened;
    }
    if (setup.ports?.length) {
      // A port may lead to an emulator (QEMU's -serial pty, maybe through a proxy): its counter
      // then means what the board JSON says, as in kit's own emulator run.
      const instructions = emulatedInstructions(board);
      for (const port of setup.ports) await connect(port, instructions ? { instructions } : {});
      return opened;
    }
    if (board.flash.method === 'esptool') {
      throw new KitError('no-port', 'device', `board ${board.name} is a real board`, 'plug it in, flash it with kit flash, and give its serial port with --port');
    }
    if (!setup.firmware || !existsSync(setup.firmware)) {
      throw new KitError('no-firmware', 'device', `no firmware built for ${board.name}${setup.firmware ? ` at ${setup.firmware}` : ''}`, 'run kit flash first (it builds the firmware)');
    }
    for (let j = 0; j < setup.jobs; j++) {
      if (board.flash.method === 'qemu') {
        const emu = await startEmulator({ firmware: setup.firmware, board });
        await connect(emu.path, { instructions: (t, hz) => emu.instructions(t, hz) }, () => emu.stop());
      } else {
        const host = await startHost({ binary: setup.firmware });
        await connect(host.path, {}, () => host.stop());
      }
    }
    return opened;
  } catch (e) {
    await Promise.allSettled(opened.map((d) => d.close()));
    throw e;
  }
}
