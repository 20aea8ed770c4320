import { type Command, Option } from 'commander';
import { dirname, join } from 'node:path';
import { readCodegenManifest } from '../../codegen/codegen-manifest.js';
import { loadDataset } from '../../data/load-dataset.js';
import { sampleImages } from '../../data/sample.js';
import { loadBoard } from '../../device/boards.js';
import { ON_ERROR, type OnError, VerifyFailed, verifyOnDevice, type VerifyReport } from '../../device/verify/verify.js';
import { renderVerifyReport } from '../../device/verify/render.js';
import { KitError } from '../../errors.js';
import { loadFloatGraph, loadQuantized } from '../../quantize/index.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { parseNumber, parsePositiveInt } from '../parse.js';
import { phaseProgress } from '../progress-bar.js';
import { pickImages, MISCLASSIFIED_PNG, writeImageStrip } from '../../report/thumbnails.js';
import { writeHtmlReport } from '../../report/write.js';
import { examples, jsonOption, output } from '../output.js';
import { runCommand } from '../run-command.js';
import { firmwareDir } from './flash.js';
import { randomInputs } from '../../device/verify/random-inputs.js';
import { npyInputs } from '../../device/verify/npy-inputs.js';

interface VerifyFlags {
  port?: string;
  baud?: number;
  samples?: number;
  all?: boolean;
  data: string;
  jobs: number;
  seed: number;
  minAgreement: number;
  report?: string;
  random?: number;
  inputs?: string;
  labels?: string;
  json?: boolean;
  onError: OnError;
  deadAfter: number;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('stream test images to the board, compare every answer with the host integer reference and the label')
    .argument('<project>', 'a C project written by kit codegen (and built by kit flash)')
    .option('-p, --port <paths>', 'serial port(s) of real boards, comma-separated (one shard each)')
    .option('--baud <n>', 'baud rate (default: the board\'s)', parsePositiveInt)
    .option('-n, --samples <n>', 'test images to verify (a seeded sample across classes)', parsePositiveInt, 200)
    .option('--all', 'verify the whole test set')
    .option('--inputs <file.npy>', 'raw input tensors instead of test images: N inputs in the model\'s dtype and HWC layout')
    .option('--labels <file.npy>', 'with --inputs: N integer labels, for accuracy')
    .option('--random <n>', 'n seeded random inputs of the model\'s input size and type instead of test images (bit-exactness without a data set; --seed picks them)', parsePositiveInt)
    .option('-d, --data <path>', 'CIFAR-10 dataset (as for kit train)', 'data')
    .option('-j, --jobs <n>', 'emulator instances to shard the images across', parsePositiveInt, 1)
    .option('--seed <n>', 'seed for the sample', parsePositiveInt, 1)
    .option('--min-agreement <pct>', 'exit non-zero when bit-exact agreement is below this', parseNumber, 100)
    .addOption(new Option('--on-error <policy>', 'an image whose pieces keep failing: retry until the link is dead, skip it (reported), or stop the run').choices(ON_ERROR).default('retry'))
    .option('--dead-after <s>', 'seconds of silence from the device that end the run', parseNumber, 60)
    .option('--report <file>', 'JSON report (default <project>/verify-report.json); the HTML report goes beside it')
    .addOption(jsonOption())
    .addHelpText('after', examples('kit verify runs/resnet8/int8/c-qemu-cortex-m4 --data data --samples 1000 --jobs 2', 'kit verify runs/resnet8/int8/c-esp32 --port /dev/ttyUSB0 --all --json > verify.json'))
    .action(
      runCommand(async (project: string, flags: VerifyFlags) => {
        const out = output(flags);
        const manifest = readCodegenManifest(project);
        const board = loadBoard(manifest.board);
        const { graph } = await loadQuantized(manifest.quantizedDir);
        const floatGraph = await loadFloatGraph(manifest.quantizedDir);
        const npy = flags.inputs ? npyInputs(graph, flags.inputs, flags.labels) : undefined;
        const set = npy?.set ?? (flags.random ? randomInputs(graph, flags.random, flags.seed) : sampleImages(loadDataset(flags.data).test, flags.all ? undefined : flags.samples, flags.seed));
        const ports = flags.port?.split(',').filter(Boolean);
        const reportFile = flags.report ?? join(project, 'verify-report.json');
        const controller = new AbortController();
        const onSigint = () => {
          process.stderr.write('\nCtrl-C: finishing the images in flight, then writing the partial report\n');
          controller.abort();
        };
        process.once('SIGINT', onSigint);
        const progress = phaseProgress();
        const htmlFile = reportFile.replace(/\.json$/, '') + '.html';
        const save = (r: VerifyReport) => {
          writeFileAtomic(reportFile, JSON.stringify(r, null, 2) + '\n');
          writeImageStrip(join(dirname(reportFile), MISCLASSIFIED_PNG), pickImages(set.images, r.misclassified.map((m) => m.index)));
          writeHtmlReport(project, htmlFile, { verifyFile: reportFile });
        };
        let report: VerifyReport;
        try {
          report = await verifyOnDevice({
            graph,
            floatGraph,
            modelHash: manifest.modelHash,
            board,
            set,
            labelled: npy ? npy.labelled : !flags.random,
            ports,
            baud: flags.baud,
            firmware: join(firmwareDir(project), board.toolchain.output ?? 'firmware'),
            jobs: ports?.length ?? flags.jobs,
            onError: flags.onError,
            deadAfterMs: flags.deadAfter * 1000,
            signal: controller.signal,
            onProgress: (p) => {
              const extra = p.phase === 'device' && p.done && !flags.random && !(flags.inputs && !flags.labels) ? `acc ${((100 * (p.deviceCorrect ?? 0)) / p.done).toFixed(1)}% bit-exact ${((100 * (p.bitExact ?? 0)) / p.done).toFixed(1)}%` : p.phase === 'device' && p.done ? `bit-exact ${((100 * (p.bitExact ?? 0)) / p.done).toFixed(1)}%` : '';
              progress.update(p.phase === 'device' ? 'device' : 'reference', p.done, p.total, extra);
            },
          });
        } catch (e) {
          if (e instanceof VerifyFailed) save(e.report);
          throw e;
        } finally {
          progress.stop();
          process.off('SIGINT', onSigint);
        }
        save(report);
        out.text(`${renderVerifyReport(report)}\nreport written to ${reportFile} and ${htmlFile}`);
        out.result(report);
        const agreementPct = 100 * report.agreement.bitExact;
        if (!report.complete) return 130;
        if (agreementPct < flags.minAgreement) {
          throw new KitError('disagreement', 'device', `bit-exact agreement ${agreementPct.toFixed(2)}% is below ${flags.minAgreement}%`, `the board does not compute what the host computes; see the mismatches in ${reportFile}`);
        }
      }),
    );
}
