import type { Command } from 'commander';
import { codegen } from '../../codegen/index.js';
import { writeCodegenManifest } from '../../codegen/codegen-manifest.js';
import { runCommand } from '../run-command.js';

export function registerCodegen(program: Command): void {
  program
    .command('codegen')
    .description('generate a C project for a board: weights, fixed-point kernels, a static memory plan, exact sizes')
    .argument('<quantized>', 'a folder written by kit quantize')
    .requiredOption('-b, --board <name>', 'target board (boards/<name>.json), e.g. qemu-cortex-m4, esp32, host')
    .option('-o, --out <dir>', 'output folder (default <quantized>/c-<board>)')
    .action(
      runCommand(async (quantizedDir: string, flags: { board: string; out?: string }) => {
        const outDir = flags.out ?? `${quantizedDir.replace(/\/+$/, '')}/c-${flags.board}`;
        const result = await codegen({ quantizedDir, board: flags.board, outDir });
        writeCodegenManifest(outDir, {
          board: result.sizes.board,
          quantizedDir,
          modelHash: result.hash,
          arenaBytes: result.plan.arenaBytes,
          flashBytes: result.sizes.flash.total,
          ramBytes: result.sizes.ram.total,
        });
        process.stdout.write(`${result.report()}\n`);
        process.stdout.write(`C project written to ${outDir}; next: kit flash ${outDir}\n`);
      }),
    );
}
