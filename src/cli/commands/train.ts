import type { Command } from 'commander';
import { KitError } from '../../errors.js';
import { MODELS } from '../../models/registry.js';
import { BACKEND_CHOICES, type BackendChoice } from '../../train/backend/select-backend.js';
import { train } from '../../train/train.js';
import { examples, jsonOption, output } from '../output.js';
import { runCommand } from '../run-command.js';
import { createTrainReporter } from '../train-progress.js';
import { parseNumber, parsePositiveInt } from '../parse.js';

interface TrainFlags {
  model: string;
  data: string;
  out?: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  seed: number;
  backend: string;
  resume?: boolean;
  val: number;
  limitTrain?: number;
  limitTest?: number;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a ResNet on CIFAR-10 (TF.js Layers model + kit.json manifest)')
    .option('-m, --model <name>', `model: ${Object.keys(MODELS).join(', ')}`, 'resnet8')
    .option('-d, --data <path>', 'CIFAR-10: cifar-10-batches-bin folder, ImageFolder tree, or a .tar.gz of either', 'data')
    .option('-o, --out <dir>', 'output folder (default runs/<model>)')
    .option('--epochs <n>', 'epochs (default: the model\'s recipe)', parsePositiveInt)
    .option('--batch <n>', 'batch size (default: the model\'s recipe)', parsePositiveInt)
    .option('--lr <x>', 'peak learning rate (default: the model\'s recipe)', parseNumber)
    .option('--seed <n>', 'seed for initialization, split, shuffling and augmentation', parsePositiveInt, 1)
    .option('--backend <name>', `compute backend: ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--val <fraction>', 'fraction of the training set held out for validation (0: train on all of it, keep the last epoch)', parseNumber, 0.1)
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--limit-train <n>', 'use only the first N training images (smoke runs)', parsePositiveInt)
    .option('--limit-test <n>', 'use only the first N test images', parsePositiveInt)
    .addOption(jsonOption())
    .addHelpText('after', examples('kit train --model resnet8 --data data --out runs/resnet8', 'kit train --model resnet8 --out runs/resnet8 --resume'))
    .action(
      runCommand(async (flags: TrainFlags) => {
        const out = output(flags);
        if (!BACKEND_CHOICES.includes(flags.backend as BackendChoice)) {
          throw new KitError('bad-option', 'cli', `unknown backend '${flags.backend}'`, `choose one of: ${BACKEND_CHOICES.join(', ')}`);
        }
        if (!(flags.val >= 0 && flags.val < 1)) throw new KitError('bad-option', 'cli', `--val must be at least 0 and below 1, got ${flags.val}`, 'e.g. --val 0.1, or --val 0 for no validation set');
        const controller = new AbortController();
        let interrupts = 0;
        const onSigint = () => {
          interrupts++;
          if (interrupts === 1) {
            process.stderr.write('\nCtrl-C: saving a checkpoint at the end of this step (Ctrl-C again to quit without it)\n');
            controller.abort();
          } else {
            process.exit(130);
          }
        };
        process.on('SIGINT', onSigint);
        try {
          const result = await train({
            model: flags.model,
            data: flags.data,
            out: flags.out ?? `runs/${flags.model}`,
            epochs: flags.epochs,
            batch: flags.batch,
            lr: flags.lr,
            seed: flags.seed,
            backend: flags.backend as BackendChoice,
            resume: flags.resume,
            valFraction: flags.val,
            limitTrain: flags.limitTrain,
            limitTest: flags.limitTest,
            signal: controller.signal,
            onEvent: createTrainReporter(),
          });
          // The progress and the summary went to stderr; stdout holds only the --json document.
          out.result({ completed: result.completed, out: flags.out ?? `runs/${flags.model}`, manifest: result.manifest ?? null });
          return result.completed ? 0 : 130;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }),
    );
}
