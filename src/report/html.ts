/**
 * The HTML report of a model folder: one self-contained page (inline CSS, inline SVG charts,
 * thumbnails as PNG data URLs; no script, nothing fetched) that shows what the console tables show
 * as pictures: accuracy at each stage, the on-device confusion matrix, the misclassified images,
 * per-layer SQNR, the memory plan, flash and RAM per layer and against the budget, and latency.
 */
import { KIT_VERSION } from '../version.js';
import type { ReportSources } from './load.js';
import { budgetBars, type Chart, COLORS, heatmap, histogramChart, horizontalBars, memoryPlanChart, renderChart } from './svg.js';
import { Templates } from './templates.js';

export interface Section {
  id: string;
  heading: string;
  /** Why the section is empty (which command fills it). */
  absent?: string;
  cards?: { label: string; value: string; detail?: string; class?: string }[];
  /** Inline SVGs, each with an optional caption above it. */
  charts?: { caption?: string; svg: string }[];
  thumbs?: { src: string; alt: string; label: string; predicted: string }[];
  table?: { header: string[]; rows: string[][] };
  notes?: string[];
}

/** The sections every report has, in order (the browser test checks each renders). */
export const SECTION_IDS = ['accuracy', 'confusion', 'misclassified', 'sqnr', 'memory-plan', 'sizes', 'instructions', 'latency'] as const;

/** A chart with its label as the caption (the SVG's own title is for screen readers and hovering). */
const chart = (t: Templates, c: Chart, caption: string | undefined = c.label) => ({ caption, svg: renderChart(t, c) });

const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(2)}%`);
const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function buildSections(s: ReportSources, t: Templates): Section[] {
  const q = s.quantization;
  const v = s.verify;
  const c = s.codegen;
  const sections: Section[] = [];

  const cards: NonNullable<Section['cards']> = [];
  if (q?.evaluation) {
    cards.push({ label: 'float (host)', value: pct(q.evaluation.floatTop1), detail: `${n(q.evaluation.images)} test images, kit quantize` });
    cards.push({ label: 'integer (host)', value: pct(q.evaluation.quantTop1), detail: `${n(q.evaluation.images)} test images, kit quantize` });
  }
  if (v) {
    if (v.accuracy.hostFloat !== null) cards.push({ label: 'float (host, verified images)', value: pct(v.accuracy.hostFloat), detail: `${n(v.images)} images` });
    cards.push({ label: 'integer (host, verified images)', value: pct(v.accuracy.hostInteger), detail: `${n(v.images)} images` });
    cards.push({ label: `on the device (${v.board})`, value: pct(v.accuracy.device), detail: `${n(v.images)} images, kit verify` });
    cards.push({ label: 'bit-exact with the host', value: pct(v.agreement.bitExact), detail: `same class: ${pct(v.agreement.class)}`, class: v.agreement.bitExact === 1 ? 'ok' : 'bad' });
  }
  sections.push({ id: 'accuracy', heading: 'Accuracy: float, integer, on the device', cards, absent: cards.length ? undefined : 'no accuracy figures yet: run kit quantize (with --eval) and kit verify' });

  sections.push(
    v?.confusion?.length
      ? { id: 'confusion', heading: `Confusion matrix on the device (${n(v.images)} images)`, charts: [chart(t, heatmap('confusion matrix on the device', v.confusion, s.classes, { rows: 'true class', cols: 'predicted class' }), '')] }
      : { id: 'confusion', heading: 'Confusion matrix on the device', absent: 'not verified on a device yet: run kit verify' },
  );

  const wrong = v?.misclassified ?? [];
  sections.push(
    wrong.length
      ? {
          id: 'misclassified',
          heading: `Misclassified on the device (${wrong.length === v!.images - Math.round((v!.accuracy.device ?? 0) * v!.images) ? `all ${wrong.length}` : `the first ${wrong.length}`})`,
          thumbs: wrong.slice(0, s.thumbnails.length).map((m, k) => ({ src: s.thumbnails[k], alt: `image ${m.index}`, label: s.classes[m.label] ?? String(m.label), predicted: s.classes[m.predicted] ?? String(m.predicted) })),
          notes: s.thumbnails.length < wrong.length ? [`${wrong.length - s.thumbnails.length} thumbnails missing (verify-misclassified.png)`] : [],
        }
      : { id: 'misclassified', heading: 'Misclassified on the device', absent: v ? 'the device classified every verified image correctly' : 'not verified on a device yet: run kit verify' },
  );

  const sqnr = q?.layers?.filter((l) => l.sqnrDb !== null) ?? [];
  sections.push(
    sqnr.length
      ? {
          id: 'sqnr',
          heading: 'Per-layer SQNR: float vs dequantized integer output (higher is better)',
          charts: [chart(t, horizontalBars('per-layer SQNR (dB)', sqnr.map((l) => ({ name: l.node, value: l.sqnrDb!, fill: l.sqnrDb! < 10 ? COLORS.bad : l.sqnrDb! < 20 ? COLORS.warn : COLORS.good, note: `${l.sqnrDb!.toFixed(1)} dB` })), 'dB'), '')],
          notes: [`measured by kit quantize on ${n(q!.evaluation?.images ?? 0)} test images; layers not listed are exact`],
        }
      : { id: 'sqnr', heading: 'Per-layer SQNR', absent: 'no SQNR measured: run kit quantize with an evaluation set' },
  );

  if (c) {
    const names = c.layers.map((l) => l.name);
    const verdict = c.memoryPlan.arenaBytes === c.memoryPlan.lowerBound ? 'at the in-place bound' : `${n(c.memoryPlan.arenaBytes - c.memoryPlan.lowerBound)} B above the in-place bound`;
    // Folders written before fusion have no layer-wise bound: their plan was layer by layer.
    const layerwise = c.memoryPlan.layerwiseBound ?? c.memoryPlan.lowerBound;
    const fusedNote = c.memoryPlan.fused?.length ? `; fused: ${c.memoryPlan.fused.map((f) => f.fused.join(' + ')).join('; ')}` : '';
    const inPlaceNote = c.memoryPlan.inPlace?.length ? `; in place: ${c.memoryPlan.inPlace.map((w) => `${w.node} over ${w.input}`).join(', ')}` : '';
    sections.push({
      id: 'memory-plan',
      heading: `Memory plan: arena ${n(c.memoryPlan.arenaBytes)} B, ${verdict}`,
      charts: [chart(t, memoryPlanChart(c.memoryPlan, names), '')],
      notes: [
        `each bar is an activation buffer, from the layer that writes it to the last that reads it, at its arena offset; strategy ${c.memoryPlan.strategy}; scratch ${n(c.memoryPlan.scratchBytes)} B more`,
        `layer-wise bound ${n(layerwise)} B (every output in its own buffer)${fusedNote}${inPlaceNote}`,
      ],
    });
    const regions = c.regions.map((g) => ({ name: g.name, used: g.bytes, budget: g.budget }));
    sections.push({
      id: 'sizes',
      heading: `Flash and RAM on ${c.board}${c.fits ? '' : ' (DOES NOT FIT)'}`,
      charts: [
        chart(t, budgetBars([{ name: 'flash', used: c.flash.total, budget: c.flash.budget }, { name: 'RAM', used: c.ram.total, budget: c.ram.budget }, ...regions])),
        chart(t, horizontalBars('flash per layer (constants + code)', c.layers.map((l) => ({ name: l.name, value: l.constBytes + l.codeBytes })), 'B')),
        chart(t, horizontalBars('RAM per layer (live arena + scratch)', c.layers.map((l) => ({ name: l.name, value: l.ramBytes, fill: '#5b9bd5' })), 'B')),
      ],
      table: {
        header: ['#', 'layer', 'op', 'output', 'MACs', 'flash: const B', `code B${c.measured ? '' : ' (est.)'}`, 'RAM B'],
        rows: c.layers.map((l) => [String(l.index), l.name, l.op, l.output.join('x'), n(l.macs), n(l.constBytes), n(l.codeBytes), n(l.ramBytes)]),
      },
      notes: [
        `flash: weights ${n(c.flash.weights)} + code ${n(c.flash.code)} (${c.measured ? `measured with ${c.codeSource}` : 'estimate'}) + harness ${n(c.flash.harness)} = ${n(c.flash.total)} B`,
        `RAM: arena ${n(c.ram.arena)} + scratch ${n(c.ram.scratch)} + harness ${n(c.ram.harness)} + stack ${n(c.ram.stack)} = ${n(c.ram.total)} B`,
        ...c.problems,
      ],
    });
    const l = v?.latency;
    const perImage = l?.medianInstructions != null ? `${n(l.medianInstructions)} instructions per image (median, exact under QEMU -icount)` : l?.medianCycles != null ? `${n(l.medianCycles)} cycles per image (median)` : null;
    const p = v?.profile;
    sections.push({
      id: 'instructions',
      heading: 'Work per layer',
      charts: [
        chart(t, horizontalBars('MACs per layer', c.layers.map((x) => ({ name: x.name, value: x.macs, fill: '#8e6bb8' })), 'MACs')),
        ...(p ? [chart(t, horizontalBars(`${p.unit} per layer (kit verify --profile)`, p.layers.map((x) => ({ name: x.name, value: x.count, note: `${(100 * x.share).toFixed(1)} %` })), p.unit))] : []),
      ],
      ...(p
        ? {
            table: {
              header: ['#', 'layer', 'op', p.unit, 'MACs', `${p.unit}/MAC`, 'share'],
              rows: [
                ...p.layers.map((x) => [String(x.index), x.name, x.op, n(x.count), n(x.macs), x.perMac === null ? '' : x.perMac.toFixed(2), `${(100 * x.share).toFixed(1)} %`]),
                ['', 'outside the layers', '', n(p.outside), '', '', ''],
                ['', 'total (profiled)', '', n(p.total), n(p.macs), p.macs ? (p.total / p.macs).toFixed(2) : '', '100 %'],
              ],
            },
          }
        : {}),
      notes: [
        p
          ? `profiled on ${p.board}: image #${p.image}, the median of ${p.images}; ${p.unprofiledTotal !== null && p.hookPerMark !== null ? `the normal firmware needs ${n(p.unprofiledTotal)} ${p.unit} for it, each layer's figure holds one mark (${p.hookPerMark.toFixed(1)} ${p.unit})` : 'each layer holds the cost of one counter read'}`
          : 'instructions or cycles per layer: not profiled (kit verify --profile measures them); MACs per layer are exact and show where the time goes',
        ...(perImage ? [`whole image on ${v!.board}: ${perImage}`] : []),
      ],
    });
  } else {
    for (const [id, heading] of [['memory-plan', 'Memory plan'], ['sizes', 'Flash and RAM'], ['instructions', 'Work per layer']]) sections.push({ id, heading, absent: 'no C project yet: run kit codegen' });
  }

  const h = v?.latency.histogram;
  sections.push(
    h && h.counts.length
      ? {
          id: 'latency',
          heading: `Latency on ${v!.board}: median ${h.unit === 'instructions' ? `${n(v!.latency.medianInstructions ?? 0)} instructions` : `${v!.latency.medianMs.toFixed(3)} ms`}`,
          charts: [chart(t, histogramChart('latency histogram', h.edges, h.counts, h.unit), '')],
          notes: h.unit === 'instructions' ? [`${v!.latency.medianMs.toFixed(1)} ms at ${(v!.latency.clockHz / 1e6).toFixed(0)} MHz if one instruction per cycle`] : [],
        }
      : { id: 'latency', heading: 'Latency', absent: 'not verified on a device yet: run kit verify' },
  );
  return sections;
}

export function renderHtmlReport(s: ReportSources, templates = new Templates()): string {
  const parts = [s.scheme, s.board ? `on ${s.board}` : null, s.verify ? `${n(s.verify.images)} images verified` : null].filter(Boolean);
  return templates.render('page.html.hbs', {
    title: `kit report: ${s.model}`,
    subtitle: parts.join(' · '),
    sections: buildSections(s, templates),
    kitVersion: KIT_VERSION,
  });
}
