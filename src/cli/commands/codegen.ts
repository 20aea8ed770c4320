import type { Command } from 'commander';
import { codegen } from '../../codegen/index.js';
import { writeCodegenManifest } from '../../codegen/codegen-manifest.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerCodegen(program: Command): void {
  program
    .command('codegen')
    .description('generate a C project for a board: weights, fixed-point kernels, a static memory plan, exact sizes')
    .argument('<quantized>', 'a folder written by kit quantize')
    .requiredOption('-b, --board <name>', 'target board (boards/<name>.json), e.g. qemu-cortex-m4, esp32, host')
    .option('-o, --out <dir>', 'output folder (default <quantized>/c-<board>)')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit codegen runs/resnet8/int8 --board qemu-cortex-m4', 'kit codegen runs/resnet8/int8 --board esp32 --json | jq .ram'))
    .action(
      runCommand(async (quantizedDir: string, flags: { board: string; out?: string } & JsonFlag) => {
        const out = output(flags);
        const outDir = flags.out ?? `${quantizedDir.replace(/\/+$/, '')}/c-${flags.board}`;
        const result = await codegen({ quantizedDir, board: flags.board, outDir });
        const figures = result.figures();
        writeCodegenManifest(outDir, {
          board: result.sizes.board,
          quantizedDir,
          modelHash: result.hash,
          arenaBytes: result.plan.arenaBytes,
          flashBytes: result.sizes.flash.total,
          ramBytes: result.sizes.ram.total,
          figures,
        });
        out.text(result.report());
        out.text(`C project written to ${outDir}; next: kit flash ${outDir}`);
        out.result({ out: outDir, ...figures });
      }),
    );
}
