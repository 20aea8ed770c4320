import cliProgress from 'cli-progress';

/**
 * A labelled progress bar for phases of known length (calibration, evaluation, verification).
 * On a terminal it redraws in place; in a log it prints the phase once when it completes.
 */
export function phaseProgress(): { update(phase: string, done: number, total: number, extra?: string): void; stop(): void } {
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(phase, done, total, extra = '') {
      if (phase !== current) {
        stop();
        current = phase;
        if (tty) {
          bar = new cliProgress.SingleBar(
            { format: `${phase.padEnd(10)} |{bar}| {percentage}% {value}/{total} ETA {eta_formatted} {extra}`, stream: process.stderr, barsize: 24 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, done, { extra });
        }
      }
      bar?.update(done, { extra });
      if (!tty && done === total) process.stderr.write(`${phase}: ${total} images ${extra}\n`);
    },
    stop,
  };
}
