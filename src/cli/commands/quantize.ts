import type { Command } from 'commander';
import { join } from 'node:path';
import { addDataOptions, addInputSpecOptions, parseClassNames, type DataFlags, type InputSpecFlags } from '../../data/input-spec.js';
import { calibrationSplit, loadModelData } from '../../data/model-data.js';
import { KitError } from '../../errors.js';
import { CALIBRATION_METHODS, SCHEME_NAMES, quantizeModel, renderReport, saveQuantized, type CalibrationMethod } from '../../quantize/index.js';
import { parseNumber, parsePositiveInt } from '../parse.js';
import { phaseProgress } from '../progress-bar.js';
import { examples, jsonOption, noteCapped, output } from '../output.js';
import { reportDocument } from '../../quantize/artefact.js';
import { probeFolder } from '../../util/atomic-folder.js';
import { runCommand } from '../run-command.js';

interface QuantizeFlags extends DataFlags, InputSpecFlags {
  bits: number;
  scheme: string;
  calib: number;
  method: string;
  percentile?: number;
  eval?: number;
  out?: string;
  seed: number;
  json?: boolean;
}

export function registerQuantize(program: Command): void {
  const cmd = program
    .command('quantize')
    .description('post-training quantization of a trained model to 8-bit integers, with an accuracy report')
    .argument('<model>', 'a model folder written by kit train or kit import')
    .option('--bits <n>', 'bits per weight and activation (8)', parsePositiveInt, 8)
    .option('--scheme <name>', `${SCHEME_NAMES.join(' | ')}: uint8 per-tensor (Jacob et al. 2018) or int8 per-channel weights (TFLite/CMSIS-NN)`, 'uint8')
    .option('--calib <n>', 'images to calibrate activation ranges on: from the training split, or drawn from data without splits (never evaluated then)', parsePositiveInt, 1000)
    .option('--method <name>', `calibration: ${CALIBRATION_METHODS.join(', ')}`, 'minmax')
    .option('--percentile <p>', 'for --method percentile', parseNumber)
    .option('--eval <n>', 'test images for the float vs integer report (default: the whole test set; run on every core, or on $KIT_EVAL_THREADS threads)', parsePositiveInt)
    .option('-o, --out <dir>', 'output folder (default <model>/<scheme>)')
    .option('--seed <n>', 'seed for the calibration and evaluation samples', parsePositiveInt, 1);
  addDataOptions(cmd);
  addInputSpecOptions(cmd)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      examples(
        'kit quantize runs/resnet8 --scheme int8 --data data --calib 1000',
        'kit quantize runs/resnet8 --scheme int8 --eval 1000 --json > quant.json',
        'kit quantize my-model --scheme int8 --data photos --resize 96x96 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225',
        'kit quantize my-model --scheme int8 --inputs x.npy --labels y.npy --calib 500',
      ),
    )
    .action(
      runCommand(async (modelDir: string, flags: QuantizeFlags, cmd: Command) => {
        const out = output(flags);
        if (!(CALIBRATION_METHODS as readonly string[]).includes(flags.method)) {
          throw new KitError('bad-option', 'cli', `unknown calibration method '${flags.method}'`, `choose one of: ${CALIBRATION_METHODS.join(', ')}`);
        }
        const outDir = flags.out ?? join(modelDir, flags.scheme);
        // Before calibration and evaluation: an --out that cannot be written is one line now, not after.
        probeFolder(outDir, 'quantize');
        const progress = phaseProgress();
        let source = '';
        const result = await quantizeModel({
          modelDir,
          classes: parseClassNames(flags.classes),
          inputSpec: flags,
          scheme: flags.scheme,
          bits: flags.bits,
          data: (input, normalization) => {
            const data = loadModelData(flags, input, normalization);
            source = data.source;
            const { calib, eval: evalSet } = calibrationSplit(data, flags.calib, flags.eval, flags.seed);
            // More than the data holds: say so rather than capping in silence.
            noteCapped(cmd, '--calib', flags.calib, calib.count, data.train ? `training images in ${data.source}` : `images of ${data.source} it can calibrate on`);
            if (evalSet) noteCapped(cmd, '--eval', flags.eval, evalSet.count, data.train ? `test images in ${data.source}` : `images of ${data.source} left to evaluate on`);
            return { calibImages: { images: calib.images, count: calib.count, split: data.train ? 'train' : 'calibration' }, evalSet: evalSet ?? undefined, classes: data.classes };
          },
          calibMethod: flags.method as CalibrationMethod,
          percentile: flags.percentile,
          onProgress: (p) => progress.update(p.phase, p.done, p.total),
        }).finally(() => progress.stop());
        await saveQuantized(outDir, result);
        out.text(renderReport(result.report));
        if (!result.report.evaluation) out.text(`no accuracy: ${source} has no labels (give --labels y.npy)`);
        out.text(`quantized model written to ${outDir} (report.json has these figures)`);
        out.result({ out: outDir, report: reportDocument(result.report) });
      }),
    );
}
