import { renderDivergence } from '../../quantize/tflite-divergence.js';
import type { VerifyReport } from './verify.js';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`);
const num = (x: number | null, digits = 0) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits }));

/** The end-of-run table of kit verify. */
export function renderVerifyReport(r: VerifyReport): string {
  const l = r.latency;
  const rows: [string, string][] = [
    ['board', `${r.board} (${r.devices.join(', ')})`],
    ['images', `${r.images} of ${r.requested}${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}${r.complete ? '' : ' (interrupted: partial report)'}`],
    ['host float accuracy', pct(r.accuracy.hostFloat)],
    ['host integer accuracy', pct(r.accuracy.hostInteger)],
    ['on-device accuracy', pct(r.accuracy.device)],
    ['bit-exact agreement', `${pct(r.agreement.bitExact)} (same class: ${pct(r.agreement.class)})`],
  ];
  if (r.notVerified) rows.splice(2, 0, ['verified', `nothing: ${r.notVerified}; every figure below is n/a, not 0`]);
  if (l.medianInstructions !== null) {
    rows.push(['instructions median / p90', `${num(l.medianInstructions)} / ${num(l.p90Instructions)} (exact, QEMU -icount)`]);
    rows.push(['latency median / p90', `${num(l.medianMs, 1)} / ${num(l.p90Ms, 1)} ms at ${num(l.clockHz / 1e6, 1)} MHz, if one instruction per cycle`]);
  } else {
    rows.push(['latency median / p90', `${num(l.medianMs, 3)} / ${num(l.p90Ms, 3)} ms; ${num(l.medianCycles)} / ${num(l.p90Cycles)} cycles at ${num(l.clockHz / 1e6, 1)} MHz`]);
  }
  const k = r.link;
  rows.push(['link', `${r.imagesPerSecond.toFixed(2)} images/s; ${k.retries} pieces re-sent (${k.imagesRetried} images, at most ${k.maxImageRetries} for one), ${k.polls} polls, ${k.resets} resets, ${k.badFrames} bad frames, ${k.timeouts} silences`]);
  if (r.skipped.length) {
    rows.push(['skipped (--on-error skip)', `${r.skipped.length} images: ${r.skipped.slice(0, 5).map((x) => `#${x.index} (${x.retries} re-sends: ${x.reason})`).join('; ')}${r.skipped.length > 5 ? '; ...' : ''}`]);
  }
  if (r.tflite) rows.push(['vs desktop TFLite', renderDivergence(r.tflite)]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
