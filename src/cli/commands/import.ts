import type { Command } from 'commander';
import { importTflite, renderImportSummary, saveImported } from '../../import/tflite/import-model.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('read a fully int8-quantized .tflite model into the quantized folder kit codegen, flash and verify take')
    .argument('<model>', 'a .tflite file (int8 activations and weights, int32 biases; float32 input/output around QUANTIZE/DEQUANTIZE accepted)')
    .option('-o, --out <dir>', 'output folder (default: <model> without .tflite)')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit import vww.tflite --out vww && kit codegen vww --board qemu-cortex-m4', 'kit import kws.tflite --json | jq .macs'))
    .action(
      runCommand(async (file: string, flags: { out?: string } & JsonFlag) => {
        const out = output(flags);
        const result = await importTflite(file);
        const dir = flags.out ?? file.replace(/\.tflite$/i, '') + (file.toLowerCase().endsWith('.tflite') ? '' : '-kit');
        await saveImported(dir, file, result);
        out.text(renderImportSummary(result.summary));
        out.text(`quantized model written to ${dir}; next: kit codegen ${dir} --board qemu-cortex-m4`);
        out.result({ out: dir, ...result.summary });
      }),
    );
}
