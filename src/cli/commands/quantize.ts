import type { Command } from 'commander';
import { join } from 'node:path';
import { loadDataset } from '../../data/load-dataset.js';
import { sampleImages } from '../../data/sample.js';
import { KitError } from '../../errors.js';
import { CALIBRATION_METHODS, SCHEME_NAMES, quantizeModel, renderReport, saveQuantized, type CalibrationMethod } from '../../quantize/index.js';
import { parseNumber, parsePositiveInt } from '../parse.js';
import { phaseProgress } from '../progress-bar.js';
import { examples, jsonOption, noteCapped, output, type JsonFlag } from '../output.js';
import { probeFolder } from '../../util/atomic-folder.js';
import { runCommand } from '../run-command.js';

interface QuantizeFlags {
  bits: number;
  scheme: string;
  calib: number;
  method: string;
  percentile?: number;
  data: string;
  eval?: number;
  out?: string;
  seed: number;
  classes?: string;
  json?: boolean;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('post-training quantization of a trained model to 8-bit integers, with an accuracy report')
    .argument('<model>', 'a model folder written by kit train or kit import')
    .option('--bits <n>', 'bits per weight and activation (8)', parsePositiveInt, 8)
    .option('--scheme <name>', `${SCHEME_NAMES.join(' | ')}: uint8 per-tensor (Jacob et al. 2018) or int8 per-channel weights (TFLite/CMSIS-NN)`, 'uint8')
    .option('--calib <n>', 'training images to calibrate activation ranges on (never test images)', parsePositiveInt, 1000)
    .option('--method <name>', `calibration: ${CALIBRATION_METHODS.join(', ')}`, 'minmax')
    .option('--percentile <p>', 'for --method percentile', parseNumber)
    .option('-d, --data <path>', 'CIFAR-10 dataset (as for kit train)', 'data')
    .option('--eval <n>', 'test images for the float vs integer report (default: the whole test set; run on every core, or on $KIT_EVAL_THREADS threads)', parsePositiveInt)
    .option('-o, --out <dir>', 'output folder (default <model>/<scheme>)')
    .option('--classes <list>', 'comma-separated class names, for an imported model that does not name them')
    .option('--seed <n>', 'seed for the calibration and evaluation samples', parsePositiveInt, 1)
    .addOption(jsonOption())
    .addHelpText('after', examples('kit quantize runs/resnet8 --scheme int8 --data data --calib 1000', 'kit quantize runs/resnet8 --scheme int8 --eval 1000 --json > quant.json'))
    .action(
      runCommand(async (modelDir: string, flags: QuantizeFlags) => {
        const out = output(flags);
        if (!(CALIBRATION_METHODS as readonly string[]).includes(flags.method)) {
          throw new KitError('bad-option', 'cli', `unknown calibration method '${flags.method}'`, `choose one of: ${CALIBRATION_METHODS.join(', ')}`);
        }
        const outDir = flags.out ?? join(modelDir, flags.scheme);
        // Before calibration and evaluation: an --out that cannot be written is one line now, not after.
        probeFolder(outDir, 'quantize');
        const ds = loadDataset(flags.data);
        noteCapped('--calib', flags.calib, ds.train.count, `training images in ${flags.data}`);
        noteCapped('--eval', flags.eval, ds.test.count, `test images in ${flags.data}`);
        const calib = sampleImages(ds.train, flags.calib, flags.seed);
        const evalSet = sampleImages(ds.test, flags.eval, flags.seed);
        const progress = phaseProgress();
        const result = await quantizeModel({
          modelDir,
          classes: flags.classes?.split(',').map((c) => c.trim()),
          scheme: flags.scheme,
          bits: flags.bits,
          calibImages: { images: calib.images, count: calib.count, split: 'train' },
          calibMethod: flags.method as CalibrationMethod,
          percentile: flags.percentile,
          evalSet: { images: evalSet.images, labels: evalSet.labels, count: evalSet.count },
          onProgress: (p) => progress.update(p.phase, p.done, p.total),
        }).finally(() => progress.stop());
        await saveQuantized(outDir, result);
        out.text(renderReport(result.report));
        out.text(`quantized model written to ${outDir} (report.json has these figures)`);
        out.result({ out: outDir, report: result.report });
      }),
    );
}
