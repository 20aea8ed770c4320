import { type Command, Option } from 'commander';
import { dirname, join } from 'node:path';
import { readCodegenManifest } from '../../codegen/codegen-manifest.js';
import { addDataOptions, addInputSpecOptions, parseClassNames, parseNormalization, type DataFlags, type InputSpecFlags } from '../../data/input-spec.js';
import { loadModelData, modelInputOf } from '../../data/model-data.js';
import { sampleImages } from '../../data/sample.js';
import { itemBytes, type LabelledImages } from '../../data/types.js';
import type { Normalization } from '../../data/normalize.js';
import { loadBoard } from '../../device/boards.js';
import { ON_ERROR, type OnError, VerifyFailed, verifyOnDevice, type VerifyReport } from '../../device/verify/verify.js';
import { renderVerifyReport } from '../../device/verify/render.js';
import { KitError } from '../../errors.js';
import { loadFloatGraph, loadQuantized } from '../../quantize/index.js';
import { rmSync } from 'node:fs';
import { probeFile, replaceFiles } from '../../util/atomic-folder.js';
import { parseNumber, parsePositiveInt } from '../parse.js';
import { phaseProgress } from '../progress-bar.js';
import { imageStripPng, pickImages, MISCLASSIFIED_PNG } from '../../report/thumbnails.js';
import { renderHtmlReport } from '../../report/html.js';
import { loadReportSources, VERIFY_REPORT_SCHEMA } from '../../report/load.js';
import { examples, jsonOption, noteCapped, output } from '../output.js';
import { runCommand } from '../run-command.js';
import { firmwareDir } from './flash.js';
import { randomInputs } from '../../device/verify/random-inputs.js';
import type { CodegenManifest } from '../../codegen/codegen-manifest.js';
import type { ProfileLayer } from '../../device/profile/profile.js';
import { renderProfile } from '../../device/profile/render.js';
import { profileProject } from '../../device/profile/run.js';

/** The project's layers in kit_model_invoke's order, with their MACs, as kit codegen recorded them. */
function projectLayers(manifest: CodegenManifest, project: string): ProfileLayer[] {
  const layers = manifest.figures?.layers;
  if (!layers) throw new KitError('profile-no-layers', 'cli', `${project}'s kit-codegen.json has no per-layer figures (an older kit wrote it)`, 're-run kit codegen, then kit verify --profile');
  return layers.map((l) => ({ name: l.name, op: l.op, macs: l.macs }));
}

interface VerifyFlags extends DataFlags, InputSpecFlags {
  port?: string;
  baud?: number;
  samples?: number;
  all?: boolean;
  jobs: number;
  seed: number;
  minAgreement: number;
  report?: string;
  random?: number;
  json?: boolean;
  onError: OnError;
  deadAfter: number;
  /** true (no count given) or the images to profile. */
  profile?: boolean | number;
}

/** Images kit verify --profile runs through the profiling build when no count is given. */
const PROFILE_IMAGES = 5;

export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify')
    .description('stream test images to the board, compare every answer with the host integer reference and the label')
    .argument('<project>', 'a C project written by kit codegen (and built by kit flash)')
    .option('-p, --port <paths>', 'serial port(s) of real boards, comma-separated (one shard each)')
    .option('--baud <n>', 'baud rate (default: the board\'s)', parsePositiveInt)
    .option('-n, --samples <n>', 'test images to verify (a seeded sample across classes)', parsePositiveInt, 200)
    .option('--all', 'verify the whole test set')
    .option('--random <n>', 'n seeded random inputs of the model\'s input size and type instead of test images (bit-exactness without a data set; --seed picks them)', parsePositiveInt)
    .option('-j, --jobs <n>', 'emulator instances to shard the images across', parsePositiveInt, 1)
    .option('--seed <n>', 'seed for the sample', parsePositiveInt, 1)
    .option('--min-agreement <pct>', 'exit non-zero when bit-exact agreement is below this', parseNumber, 100)
    .addOption(new Option('--on-error <policy>', 'an image whose pieces keep failing: retry until the link is dead, skip it (reported), or stop the run').choices(ON_ERROR).default('retry'))
    .option('--dead-after <s>', 'seconds of silence from the device that end the run', parseNumber, 60)
    .option('--profile [images]', `per-layer instructions (or cycles), MACs and shares from a profiling build of the project, on the first verified images (default ${PROFILE_IMAGES})`, parsePositiveInt)
    .option('--report <file>', 'JSON report (default <project>/verify-report.json); the HTML report goes beside it');
  addDataOptions(cmd);
  addInputSpecOptions(cmd)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      examples(
        'kit verify runs/resnet8/int8/c-qemu-cortex-m4 --data data --samples 1000 --jobs 2',
        'kit verify runs/resnet8/int8/c-esp32 --port /dev/ttyUSB0 --all --json > verify.json',
        'kit verify vww/c-qemu-cortex-m4 --data photos --scale 1/255 --all',
        'kit verify runs/resnet8/int8/c-qemu-cortex-m4 --samples 5 --profile',
      ),
    )
    .action(
      runCommand(async (project: string, flags: VerifyFlags, cmd: Command) => {
        const out = output(flags);
        const manifest = readCodegenManifest(project);
        const board = loadBoard(manifest.board);
        const { graph, meta } = await loadQuantized(manifest.quantizedDir);
        const floatGraph = await loadFloatGraph(manifest.quantizedDir);
        const outputs = itemBytes(graph.tensors[graph.outputs[0]].shape);
        const input = modelInputOf(graph, parseClassNames(flags.classes, outputs) ?? meta.classes);
        const normalization = parseNormalization(flags, input.shape[input.shape.length - 1]);
        if (normalization && input.pixels) {
          throw new KitError('bad-option', 'cli', 'this model normalizes its pixels itself, with what kit quantize was given', 'pass --mean/--std/--scale to kit quantize instead, then codegen again');
        }
        const count = flags.all ? undefined : flags.samples;
        let set: LabelledImages;
        let labelled = !flags.random;
        let thumbnails: LabelledImages | undefined;
        if (flags.random) set = randomInputs(graph, flags.random, flags.seed);
        else {
          const data = loadModelData(flags, input, normalization ?? (meta.normalization as Normalization | undefined));
          noteCapped(cmd, '--samples', count, data.test.count, `test items in ${data.source}`);
          set = sampleImages(data.test, count, flags.seed);
          labelled = data.labelled;
          // The same seeded sample of the decoded pixels, for the misclassified thumbnails.
          thumbnails = data.pixels && sampleImages(data.pixels.test, count, flags.seed);
        }
        const ports = flags.port?.split(',').filter(Boolean);
        // Before any image goes out: --profile needs the project's layers, which kit-codegen.json lists.
        const profileLayers = flags.profile ? projectLayers(manifest, project) : undefined;
        const answers = new Map<number, { ticks: number; logits: Uint8Array }>();
        const reportFile = flags.report ?? join(project, 'verify-report.json');
        const controller = new AbortController();
        // Ctrl-C or SIGTERM: finish the images in flight and save the partial report; a second one
        // ends kit at once (spawn-pty.ts then ends the emulators).
        const onStopSignal = (signal: NodeJS.Signals) => {
          if (controller.signal.aborted) {
            stopListening();
            process.kill(process.pid, signal);
            return;
          }
          process.stderr.write(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: finishing the images in flight, then writing the partial report (again to stop at once)\n`);
          controller.abort();
        };
        const stopListening = () => {
          process.off('SIGINT', onStopSignal);
          process.off('SIGTERM', onStopSignal);
        };
        process.on('SIGINT', onStopSignal);
        process.on('SIGTERM', onStopSignal);
        const progress = phaseProgress();
        const htmlFile = reportFile.replace(/\.json$/, '') + '.html';
        const pngFile = join(dirname(reportFile), MISCLASSIFIED_PNG);
        // The JSON, the thumbnails and the HTML page are replaced together: never a page of one run
        // beside the JSON of another (src/util/atomic-folder.ts).
        // verify-report.json as written, and as --json prints it.
        const reportDocument = (r: VerifyReport) => ({ schema: VERIFY_REPORT_SCHEMA, ...r });
        const save = (r: VerifyReport) => {
          const json = reportDocument(r);
          const strip = thumbnails && imageStripPng(pickImages(thumbnails.images, itemBytes(thumbnails.shape), r.misclassified.map((m) => m.index)), thumbnails.shape);
          const html = renderHtmlReport(loadReportSources(project, { verifyFile: reportFile, verify: json, strip: strip ?? null }));
          replaceFiles([{ path: reportFile, data: JSON.stringify(json, null, 2) + '\n' }, ...(strip ? [{ path: pngFile, data: strip }] : []), { path: htmlFile, data: html }], 'device');
          if (!strip) rmSync(pngFile, { force: true });
        };
        // Before the first image goes out: a report path that cannot be written is one line now.
        probeFile(reportFile, 'device');
        let report: VerifyReport;
        try {
          report = await verifyOnDevice({
            graph,
            floatGraph,
            modelHash: manifest.modelHash,
            board,
            set,
            labelled,
            ports,
            baud: flags.baud,
            firmware: join(firmwareDir(project), board.toolchain.output ?? 'firmware'),
            jobs: ports?.length ?? flags.jobs,
            onError: flags.onError,
            deadAfterMs: flags.deadAfter * 1000,
            signal: controller.signal,
            onAnswer: profileLayers ? (i, r) => answers.set(i, { ticks: r.ticks, logits: r.logits }) : undefined,
            onProgress: (p) => {
              const extra = p.phase === 'device' && p.done && labelled ? `acc ${((100 * (p.deviceCorrect ?? 0)) / p.done).toFixed(1)}% bit-exact ${((100 * (p.bitExact ?? 0)) / p.done).toFixed(1)}%` : p.phase === 'device' && p.done ? `bit-exact ${((100 * (p.bitExact ?? 0)) / p.done).toFixed(1)}%` : '';
              progress.update(p.phase === 'device' ? 'device' : 'reference', p.done, p.total, extra);
            },
          });
        } catch (e) {
          if (e instanceof VerifyFailed) {
            save(e.report);
            out.text(`${renderVerifyReport(e.report)}\npartial report written to ${reportFile} and ${htmlFile}`);
          }
          throw e;
        } finally {
          progress.stop();
          stopListening();
        }
        const want = flags.profile === true ? PROFILE_IMAGES : Number(flags.profile ?? 0);
        const indices = [...answers.keys()].sort((a, b) => a - b).slice(0, want);
        if (profileLayers && indices.length > 0 && !controller.signal.aborted) {
          process.stderr.write(`profiling ${indices.length} image${indices.length === 1 ? '' : 's'} layer by layer\n`);
          // The verification stands on its own: saved first, so a profile that fails loses nothing.
          save(report);
          report.profile = await profileProject({
            project,
            board,
            layers: profileLayers,
            images: indices.map((i) => ({ index: i, bytes: set.images.subarray(i * itemBytes(set.shape), (i + 1) * itemBytes(set.shape)) })),
            unprofiled: answers,
            port: ports?.[0],
            baud: flags.baud,
            client: { helloTimeoutMs: 15_000, deadAfterMs: flags.deadAfter * 1000, expect: { modelHash: manifest.modelHash } },
            log: (line) => process.stderr.write(`${line}\n`),
          });
        }
        save(report);
        out.text(`${renderVerifyReport(report)}${report.profile ? `\n\n${renderProfile(report.profile)}` : ''}\nreport written to ${reportFile} and ${htmlFile}`);
        out.result(reportDocument(report));
        if (!report.complete) return 130;
        if (report.agreement.bitExact === null) {
          throw new KitError('nothing-verified', 'device', `nothing was verified: ${report.notVerified ?? 'no image was answered'}`, 'give kit verify some inputs (--samples, --all, --random or --inputs)');
        }
        const agreementPct = 100 * report.agreement.bitExact;
        if (agreementPct < flags.minAgreement) {
          throw new KitError('disagreement', 'device', `bit-exact agreement ${agreementPct.toFixed(2)}% is below ${flags.minAgreement}%`, `the board does not compute what the host computes; see the mismatches in ${reportFile}`);
        }
      }),
    );
}
