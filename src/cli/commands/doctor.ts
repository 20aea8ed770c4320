import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { knownBoards, loadBoard, type Board } from '../../device/boards.js';
import { optionalImport } from '../../util/optional-import.js';
import { runCommand } from '../run-command.js';

/** First line of `<tool> --version`, or undefined when the tool is not on PATH. */
function toolVersion(tool: string): string | undefined {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  return (r.stdout || r.stderr).split('\n')[0].trim();
}

function needs(board: Board): string[] {
  const tools = [board.toolchain.compiler];
  if (board.flash.method === 'qemu') tools.push(board.flash.system);
  if (board.flash.method === 'esptool') tools.push('idf.py');
  return tools;
}


export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('say what is installed for training and for each board, and what is missing')
    .action(
      runCommand(async () => {
        const out = (s: string) => process.stdout.write(`${s}\n`);
        out('training backends');
        out(`  tfjs-node-gpu   ${(await optionalImport('@tensorflow/tfjs-node-gpu')) ? 'installed' : 'not installed (optional: GPU training)'}`);
        out(`  tfjs-node       ${(await optionalImport('@tensorflow/tfjs-node')) ? 'installed' : 'not installed (optional)'}`);
        out('  wasm            always available');
        out('serial');
        out(`  serialport      ${(await optionalImport('serialport')) ? 'loads' : 'MISSING: run npm install'}`);
        let missing = 0;
        out('boards');
        for (const name of knownBoards()) {
          const board = loadBoard(name);
          const parts = needs(board).map((tool) => {
            const v = toolVersion(tool);
            if (!v) missing++;
            return v ? `${tool} ok` : `${tool} MISSING`;
          });
          const buildable = board.flash.method === 'esptool' ? ' (kit flash --port builds and flashes it with ESP-IDF)' : '';
          out(`  ${name.padEnd(15)} ${parts.join(', ')}${buildable}`);
        }
        if (missing) out('install the emulated board\'s tools on Debian/Ubuntu with: bash .ci/setup');
      }),
    );
}
