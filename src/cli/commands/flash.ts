import type { Command } from 'commander';
import { join } from 'node:path';
import { readCodegenManifest } from '../../codegen/codegen-manifest.js';
import { FLASHABLE_FORMATS } from '../../codegen/formats.js';
import { KitError } from '../../errors.js';
import { loadBoard } from '../../device/boards.js';
import { buildFirmware } from '../../device/build.js';
import { buildProfilingFirmware } from '../../device/profile/run.js';
import { flashWithEspIdf } from '../../device/esp-idf/flash.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

/** Where kit flash puts the firmware of a generated project; kit verify looks there. */
export function firmwareDir(project: string): string {
  return join(project, 'build');
}

export function registerFlash(program: Command): void {
  program
    .command('flash')
    .description('build the firmware (harness + generated model) and put it on the board')
    .argument('<project>', 'a C project written by kit codegen')
    .option('-p, --port <path>', 'serial port of a real board (esp32, esp32s3, ...), e.g. /dev/ttyUSB0')
    .option('--image <dir>', 'ESP32 boards: flash this ESP-IDF build folder (flasher_args.json) over serial with esptool-js, without ESP-IDF')
    .option('--profile', 'the profiling firmware (the counter read after every layer) for kit verify --profile; on QEMU and host boards into <project>/build-profile')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit flash runs/resnet8/int8/c-qemu-cortex-m4', 'kit flash runs/resnet8/int8/c-esp32 --port /dev/ttyUSB0'))
    .action(
      runCommand(async (project: string, flags: { port?: string; image?: string; profile?: boolean } & JsonFlag) => {
        const out = output(flags);
        const manifest = readCodegenManifest(project);
        const format = manifest.layout ?? 'c';
        if (!FLASHABLE_FORMATS.includes(format)) {
          const [what, tool] = format === 'arduino' ? ['an Arduino library', 'the Arduino IDE or arduino-cli (open its example sketch)'] : ['a PlatformIO project', 'PlatformIO (pio run -t upload)'];
          throw new KitError('format-not-flashable', 'device', `${project} is ${what} (kit codegen --format ${format}), which kit flash does not build`, `build it with ${tool}, or run kit codegen with --format c for a folder kit flash and kit verify take`);
        }
        const board = loadBoard(manifest.board);
        if (board.flash.method === 'esptool') {
          // ESP-IDF builds it (src/device/esp-idf/): kit writes the project and runs idf.py.
          await flashWithEspIdf({ project, board, manifest, port: flags.port, image: flags.image, profile: flags.profile, log: (line) => (out.json ? process.stderr.write(`${line}\n`) : out.text(line)) });
          out.text(`flashed ${board.name} on ${flags.port}: next, kit verify ${project} --port ${flags.port}${flags.profile ? ' --profile' : ''}`);
          out.result({ board: board.name, method: board.flash.method, port: flags.port, image: flags.image ?? null, project });
          return;
        }
        const build = flags.profile ? await buildProfilingFirmware({ board, project }) : await buildFirmware({ board, modelDir: project, outDir: firmwareDir(project) });
        out.text(`built ${build.file} for ${board.name}`);
        if (board.flash.method === 'qemu' || board.flash.method === 'native') {
          // Nothing to write to: kit verify starts the emulator (or the host process) on this image.
          out.text(`${board.name} runs in ${board.flash.method === 'qemu' ? 'QEMU' : 'a local process'}: next, kit verify ${project}${flags.profile ? ' --profile (which builds this firmware itself)' : ''}`);
        }
        out.result({ board: board.name, method: board.flash.method, firmware: build.file, project });
      }),
    );
}
