import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { SECTION_IDS } from '../../report/html.js';
import { writeHtmlReport } from '../../report/write.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write one self-contained HTML page of a model folder: accuracy, confusion matrix, misclassified images, SQNR, memory plan, sizes, latency')
    .argument('<dir>', 'a folder written by kit train, kit quantize or kit codegen (verified or not)')
    .option('-o, --out <file>', 'the HTML file (default <dir>/report.html)')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit report runs/resnet8/int8/c-qemu-cortex-m4', 'kit report runs/resnet8 --out resnet8.html'))
    .action(
      runCommand(async (dir: string, flags: { out?: string } & JsonFlag) => {
        const out = output(flags);
        const file = resolve(flags.out ?? join(dir, 'report.html'));
        const s = writeHtmlReport(dir, file);
        const has = { quantization: s.quantization !== null, codegen: s.codegen !== null, verify: s.verify !== null };
        out.text(`report written to ${file} (${Object.entries(has).filter(([, v]) => v).map(([k]) => k).join(', ') || 'nothing measured yet'})`);
        out.result({ file, model: s.model, scheme: s.scheme, board: s.board, sections: SECTION_IDS, has });
      }),
    );
}
