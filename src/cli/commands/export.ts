import type { Command } from 'commander';
import { KitError } from '../../errors.js';
import { graphToTflite } from '../../import/tflite/from-graph.js';
import { writeTflite } from '../../import/tflite/writer.js';
import { loadQuantized } from '../../quantize/artefact.js';
import { formatBytes } from '../../util/format.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';
import { probeFile, replaceFiles } from '../../util/atomic-folder.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write a quantized int8 model as a .tflite file that the TFLite runtime runs')
    .argument('<quantized>', 'a folder written by kit quantize --scheme int8 or kit import')
    .option('--format <name>', 'tflite', 'tflite')
    .option('-o, --out <file>', 'output file (default <quantized>.tflite)')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit export runs/resnet8/int8 --format tflite --out resnet8.tflite'))
    .action(
      runCommand(async (dir: string, flags: { format: string; out?: string } & JsonFlag) => {
        const out = output(flags);
        if (flags.format !== 'tflite') throw new KitError('bad-option', 'cli', `unknown export format '${flags.format}'`, 'use --format tflite');
        const file = flags.out ?? `${dir.replace(/\/+$/, '')}.tflite`;
        probeFile(file, 'cli');
        const { graph, meta } = await loadQuantized(dir);
        const bytes = writeTflite(graphToTflite(graph, { model: meta.model }));
        replaceFiles([{ path: file, data: bytes }], 'cli');
        out.text(`${file}: ${formatBytes(bytes.length)} TFLite flatbuffer, ${graph.nodes.length} kit nodes`);
        out.result({ out: file, bytes: bytes.length, nodes: graph.nodes.length });
      }),
    );
}
