import type { Command } from 'commander';
import { downloadCifar10 } from '../../data/download.js';
import { downloadProgressBar } from '../../data/download-progress.js';
import { KitError } from '../../errors.js';
import { examples, jsonOption, output, type JsonFlag } from '../output.js';
import { runCommand } from '../run-command.js';

export function registerData(program: Command): void {
  program
    .command('data')
    .description('download a dataset (resumable, checksum verified)')
    .argument('<name>', 'dataset: cifar10')
    .option('--dir <dir>', 'where to put it', 'data')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit data cifar10 --dir data'))
    .action(
      runCommand(async (name: string, flags: { dir: string } & JsonFlag) => {
        const out = output(flags);
        if (name !== 'cifar10') throw new KitError('unknown-dataset', 'data', `unknown dataset '${name}'`, 'kit can download: cifar10');
        const bar = downloadProgressBar('cifar-10-binary.tar.gz');
        let folder: string;
        try {
          folder = await downloadCifar10({
            dir: flags.dir,
            onProgress: bar.onProgress,
            onStage: (stage) => {
              if (stage !== 'downloading') {
                bar.stop();
                process.stderr.write(`${stage}...\n`);
              }
            },
          });
        } finally {
          bar.stop();
        }
        out.text(`CIFAR-10 ready in ${folder} (use --data ${flags.dir})`);
        out.result({ dataset: name, folder });
      }),
    );
}
