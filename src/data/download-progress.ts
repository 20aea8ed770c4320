import cliProgress from 'cli-progress';

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);

/**
 * A terminal progress bar for `downloadCifar10`'s onProgress. The bar starts on the first call,
 * when the size is known, and at the resumed offset, so a resumed download shows its true state.
 * cli-progress draws nothing when stderr is not a terminal (CI logs stay clean).
 */
export function downloadProgressBar(label: string): { onProgress: (received: number, total: number | undefined) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {got}/{size} MiB | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress(received, total) {
      // Unknown size (no Content-Length): the bar stays full and the byte count carries the news.
      const size = total ?? Math.max(received, 1);
      const payload = { got: mib(received), size: total === undefined ? '?' : mib(total) };
      if (!started) {
        bar.start(size, received, payload);
        started = true;
      } else {
        bar.setTotal(size);
        bar.update(received, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
