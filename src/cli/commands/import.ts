import type { Command } from 'commander';
import { basename, dirname, extname, join } from 'node:path';
import { KitError } from '../../errors.js';
import { importOnnx } from '../../import/onnx/index.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

interface ImportFlags extends JsonFlag {
  out?: string;
  mean: string;
  std: string;
  classes?: string;
}

function numbers(flag: string, v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isFinite(x))) throw new KitError('bad-option', 'cli', `--${flag} '${v}' is not a comma-separated list of numbers`, `e.g. --${flag} 0.485,0.456,0.406`);
  return xs;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import a float ONNX model (as torch.onnx.export writes it) into a folder kit quantize reads')
    .argument('<model>', 'an .onnx file (opset 11 to 20, NCHW image input)')
    .option('-o, --out <dir>', 'output folder (default: beside the model, named after it)')
    .requiredOption('--mean <list>', "per-channel mean of the model's input: it reads (pixel/255 - mean) / std (0 if the model normalizes itself)")
    .requiredOption('--std <list>', 'per-channel standard deviation of the input (1 if the model normalizes itself)')
    .option('--classes <list>', 'comma-separated class names, one per output')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit import tiny.onnx --mean 0.4914,0.4822,0.4465 --std 0.247,0.243,0.261 --classes airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck', 'kit import model.onnx --mean 0 --std 1 --out runs/imported --json'))
    .action(
      runCommand(async (file: string, flags: ImportFlags) => {
        const mean = numbers('mean', flags.mean);
        const std = numbers('std', flags.std);
        if (std.some((s) => s <= 0)) throw new KitError('bad-option', 'cli', `--std '${flags.std}' has a value that is not positive`, 'standard deviations are positive');
        const out = flags.out ?? join(dirname(file), basename(file, extname(file)));
        const doc = output(flags);
        const { graph, meta } = await importOnnx(file, out, {
          normalization: { mean, std },
          classes: flags.classes?.split(',').map((s) => s.trim()),
        });
        doc.text(`imported ${graph.nodes.length} kit nodes from ${file} into ${out}`);
        doc.result({ out, nodes: graph.nodes.map((n) => ({ name: n.name, op: n.op, fused: n.fused ?? [] })), ...meta });
      }),
    );
}
