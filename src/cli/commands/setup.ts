import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../device/paths.js';
import { checkBoards } from '../../doctor/checks.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

/** The set-up script kit ships (CI runs the same one through .ci/setup). */
export const SETUP_SCRIPT = join(PACKAGE_ROOT, 'scripts', 'setup.sh');

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('install what kit needs on Debian/Ubuntu (as root or with sudo), then run the demo: the bundled ResNet-8 verified on the emulated Cortex-M4, or on the host board where the emulator cannot be installed')
    .option('--no-demo', 'only install the packages')
    .option('--strict', 'fail when the packages cannot be installed (no root or sudo, not Debian)')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit setup', 'sudo npx kit setup --no-demo --strict'))
    .action(
      runCommand(async (flags: { demo: boolean; strict?: boolean } & JsonFlag) => {
        const out = output(flags);
        const args = [SETUP_SCRIPT, ...(flags.demo ? [] : ['--no-demo']), ...(flags.strict ? ['--strict'] : [])];
        // Under --json the script's own output goes to stderr, leaving stdout to the document.
        const code = await new Promise<number>((resolve, reject) => {
          const child = spawn('bash', args, { stdio: ['inherit', out.json ? process.stderr : 'inherit', 'inherit'] });
          child.on('error', reject);
          child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
        });
        out.result({ exitCode: code, demo: flags.demo, boards: checkBoards().map((b) => ({ board: b.board, usable: b.usable })) });
        return code;
      }),
    );
}
