import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/train.js';
import { formatBytes, formatCount, formatDuration } from '../util/format.js';

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/**
 * Renders training events: a tqdm-style bar per epoch on a terminal (loss, accuracy, images/s,
 * ETA), and plain lines every tenth of an epoch when output is a log file or CI.
 */
export function createTrainReporter(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): (e: TrainEvent) => void {
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let decodeBar: cliProgress.SingleBar | undefined;
  let rate = 0;
  let epochLabel = '';
  let epochStarted = 0;
  let firstStep = 0;

  return (e) => {
    switch (e.type) {
      case 'decode':
        if (!tty) {
          if (e.done === e.total) log(`decoded ${e.total} ${e.split} images (cached for next time)`);
          return;
        }
        decodeBar ??= new cliProgress.SingleBar({ format: 'decoding {split} |{bar}| {value}/{total} images', stream: process.stderr }, cliProgress.Presets.shades_classic);
        if (e.done <= 500) decodeBar.start(e.total, e.done, { split: e.split });
        decodeBar.update(e.done, { split: e.split });
        if (e.done === e.total) {
          decodeBar.stop();
          decodeBar = undefined;
        }
        return;
      case 'start': {
        const s = e.summary;
        log(`model     ${s.params.toLocaleString('en-US')} parameters, ${formatCount(s.macs)}MACs/image, weights ${formatBytes(s.floatBytes)} float32, ${formatBytes(s.int8Bytes)} int8 (BN folded)`);
        log(`backend   ${e.backend}`);
        log(`data      ${e.train} train, ${e.val} validation (held out from train), ${e.test} test`);
        log(`recipe    Adam lr ${e.recipe.lr} (${e.recipe.schedule}), batch ${e.recipe.batch}, ${e.recipe.epochs} epochs, seed ${e.seed}`);
        if (e.resumedAt) log(`resuming  at epoch ${e.resumedAt.epoch + 1}, step ${e.resumedAt.step}`);
        return;
      }
      case 'epoch-start':
        epochLabel = `epoch ${String(e.epoch + 1).padStart(String(e.epochs).length)}/${e.epochs}`;
        rate = 0;
        epochStarted = performance.now();
        firstStep = e.step;
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: `${epochLabel} |{bar}| {percentage}% {value}/{total} [{elapsedFmt}<{etaFmt}, {rate} img/s] loss {loss} acc {acc}`, stream: process.stderr, barsize: 24, etaBuffer: 50 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.steps, e.step, { loss: '-', acc: '-', rate: '-', etaFmt: '--', elapsedFmt: '0s' });
        }
        return;
      case 'step': {
        rate = rate ? 0.95 * rate + 0.05 * e.imagesPerSecond : e.imagesPerSecond;
        const elapsed = (performance.now() - epochStarted) / 1000;
        const done = e.step - firstStep;
        const eta = done > 0 ? (elapsed / done) * (e.steps - e.step) : NaN;
        if (bar) {
          bar.update(e.step, { loss: e.loss.toFixed(4), acc: pct(e.accuracy), rate: rate.toFixed(1), etaFmt: formatDuration(eta), elapsedFmt: formatDuration(elapsed) });
        } else if (e.step % Math.max(1, Math.floor(e.steps / 10)) === 0) {
          log(`${epochLabel} step ${e.step}/${e.steps} loss ${e.loss.toFixed(4)} acc ${pct(e.accuracy)} ${rate.toFixed(1)} img/s lr ${e.lr.toExponential(2)} ETA ${formatDuration(eta)}`);
        }
        return;
      }
      case 'epoch-end':
        bar?.stop();
        bar = undefined;
        log(`${epochLabel} loss ${e.record.loss.toFixed(4)} acc ${pct(e.record.accuracy)} ${e.record.valAccuracy === null ? '(saved)' : `val ${pct(e.record.valAccuracy)}${e.best ? ' (best, saved)' : ''}`} in ${formatDuration(e.record.seconds)}`);
        return;
      case 'checkpoint':
        return;
      case 'interrupted':
        bar?.stop();
        bar = undefined;
        log(`stopped at epoch ${e.epoch + 1}, step ${e.step}: checkpoint saved; run the same command with --resume to continue`);
        return;
      case 'done':
        log(
          e.manifest.valAccuracy === null
            ? `test accuracy ${pct(e.manifest.testAccuracy)} (last epoch, ${e.manifest.bestEpoch}; no validation set)`
            : `test accuracy ${pct(e.manifest.testAccuracy)} (best validation ${pct(e.manifest.valAccuracy)} at epoch ${e.manifest.bestEpoch})`,
        );
        return;
    }
  };
}
