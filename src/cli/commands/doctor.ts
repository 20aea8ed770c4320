import type { Command } from 'commander';
import { checkBoards, checkTraining } from '../../doctor/checks.js';
import { knownBoards } from '../../device/boards.js';
import { optionalImport } from '../../util/optional-import.js';
import { examples, jsonOption, output, paint, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('say what is installed for training and for each board, what is missing and how to get it; exits 1 when a named board cannot be used')
    .argument('[boards...]', `boards to check (default: all of ${knownBoards().join(', ')})`)
    .addOption(jsonOption())
    .addHelpText('after', examples('kit doctor', 'kit doctor qemu-cortex-m4 && kit flash runs/resnet8/int8/c-qemu-cortex-m4', 'kit doctor --json | jq ".boards[] | select(.usable)"'))
    .action(
      runCommand(async (names: string[], flags: JsonFlag) => {
        const out = output(flags);
        const ok = (s: string) => paint('green', s);
        const bad = (s: string) => paint('red', s);
        const training = await checkTraining();
        const serialport = await optionalImport('serialport');
        const boards = checkBoards(names.length ? names : undefined);

        out.text('training');
        out.text(`  native kernels   ${training.native.ok ? ok('ok') : bad('MISSING')}: ${training.native.detail}`);
        out.text(`  OpenBLAS         ${training.openblas.ok ? ok('ok') : bad('MISSING')}: ${training.openblas.detail}`);
        for (const p of training.optional) out.text(`  ${p.package.padEnd(26)} ${p.installed ? ok('installed') : 'not installed'} (optional, ${p.for}; npm install ${p.package})`);
        out.text('  wasm             always available');
        out.text(`serial: serialport ${serialport ? ok('loads') : bad('MISSING: run npm install')}`);
        out.text('boards');
        for (const b of boards) {
          out.text(`  ${b.board.padEnd(15)} ${b.usable ? ok('ready') : bad('NOT USABLE')}`);
          for (const t of b.tools) {
            const state = t.path ? ok('ok') : t.optional ? paint('yellow', 'missing (optional)') : bad('MISSING');
            out.text(`    ${t.command.padEnd(24)} ${state}  ${t.for}${t.howToGet ? `; ${t.howToGet}` : ''}`);
          }
        }
        out.result({ training, serialport, boards });
        // Named boards are a question ("can I use these?"): the exit code answers it.
        if (names.length && boards.some((b) => !b.usable)) return 1;
      }),
    );
}
