import type { Command } from 'commander';
import { importTflite, renderImportSummary, saveImported } from '../../import/tflite/import-model.js';
import { runCommand } from '../run-command.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('read a fully int8-quantized .tflite model into the quantized folder kit codegen, flash and verify take')
    .argument('<model>', 'a .tflite file (int8 activations and weights, int32 biases; float32 input/output around QUANTIZE/DEQUANTIZE accepted)')
    .option('-o, --out <dir>', 'output folder (default: <model> without .tflite)')
    .action(
      runCommand(async (file: string, flags: { out?: string }) => {
        const result = await importTflite(file);
        const out = flags.out ?? file.replace(/\.tflite$/i, '') + (file.toLowerCase().endsWith('.tflite') ? '' : '-kit');
        await saveImported(out, file, result);
        process.stdout.write(`${renderImportSummary(result.summary)}\n`);
        process.stdout.write(`quantized model written to ${out}; next: kit codegen ${out} --board qemu-cortex-m4\n`);
      }),
    );
}
