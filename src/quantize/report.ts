import { dtypeBytes, numElements, type Graph } from '../ir/graph.js';
import { nodeCost } from '../ops/cost.js';
import { INT32_MAX } from './fixed-point.js';
import type { Comparison } from './evaluate.js';

export interface LayerReport {
  node: string;
  op: string;
  /** Source layers folded or fused into the node. */
  fused: string[];
  output: string;
  shape: number[];
  macs: number;
  /** Bytes of 8-bit weights (and the input lookup table) of the node. */
  weightBytes: number;
  /** Bytes of int32 biases. */
  biasBytes: number;
  /** Worst-case |int32 accumulator| and the bits left before it could overflow. */
  accumulatorBound: number;
  headroomBits: number | null;
  /** Float vs dequantized integer output, dB; null if not measured or exactly equal. */
  sqnrDb: number | null;
}

export interface QuantizationReport {
  scheme: string;
  bits: number;
  calibration: { method: string; images: number; percentile?: number };
  evaluation: { images: number; floatTop1: number; quantTop1: number; agreement: number } | null;
  layers: LayerReport[];
  totals: { macs: number; weightBytes: number; biasBytes: number; floatParamBytes: number };
}

/** Collect the report of a quantized graph (and, if given, of its comparison with the float graph). */
export function buildReport(
  floatGraph: Graph,
  quantGraph: Graph,
  calibration: QuantizationReport['calibration'],
  comparison?: Comparison,
): QuantizationReport {
  const layers: LayerReport[] = quantGraph.nodes.map((node) => {
    const cost = nodeCost(quantGraph, node);
    const bound = node.accumulatorBound ?? 0;
    const output = node.outputs[0];
    return {
      node: node.name,
      op: node.op,
      fused: node.fused ?? [],
      output,
      shape: quantGraph.tensors[output].shape,
      ...cost,
      accumulatorBound: bound,
      headroomBits: bound > 0 ? Math.log2(INT32_MAX / bound) : null,
      sqnrDb: comparison?.sqnrDb.get(output) ?? null,
    };
  });
  const floatParamBytes = Object.values(floatGraph.tensors)
    .filter((t) => t.data)
    .reduce((s, t) => s + numElements(t.shape) * dtypeBytes(t.dtype), 0);
  return {
    scheme: quantGraph.scheme ?? 'unknown',
    bits: 8,
    calibration,
    evaluation: comparison
      ? { images: comparison.count, floatTop1: comparison.floatTop1, quantTop1: comparison.quantTop1, agreement: comparison.agreement }
      : null,
    layers,
    totals: {
      macs: layers.reduce((s, l) => s + l.macs, 0),
      weightBytes: layers.reduce((s, l) => s + l.weightBytes, 0),
      biasBytes: layers.reduce((s, l) => s + l.biasBytes, 0),
      floatParamBytes,
    },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

/** The report as console text: a per-layer table and a summary. */
export function renderReport(r: QuantizationReport): string {
  const rows = [['layer', 'op', 'output', 'MACs', '8-bit B', 'acc bound', 'headroom', 'SQNR dB']];
  for (const l of r.layers) {
    rows.push([
      l.node,
      l.op,
      l.shape.join('x'),
      l.macs ? l.macs.toLocaleString('en-US') : '',
      l.weightBytes ? String(l.weightBytes) : '',
      l.accumulatorBound ? String(l.accumulatorBound) : '',
      l.headroomBits !== null ? `${l.headroomBits.toFixed(1)} b` : '',
      l.sqnrDb !== null ? l.sqnrDb.toFixed(1) : r.evaluation ? 'exact' : '',
    ]);
  }
  const t = r.totals;
  const lines = [
    table(rows),
    '',
    `scheme ${r.scheme} (${r.bits}-bit), calibration ${r.calibration.method} on ${r.calibration.images} images (none of them evaluated)` +
      (r.calibration.percentile !== undefined ? ` (p${r.calibration.percentile})` : ''),
    `${t.macs.toLocaleString('en-US')} MACs/image; ${t.weightBytes.toLocaleString('en-US')} B of 8-bit weights and tables + ${t.biasBytes.toLocaleString('en-US')} B of int32 biases (float32 model: ${t.floatParamBytes.toLocaleString('en-US')} B)`,
  ];
  if (r.evaluation) {
    const e = r.evaluation;
    lines.push(`top-1 on ${e.images} images: float ${pct(e.floatTop1)}, integer ${pct(e.quantTop1)} (${((e.quantTop1 - e.floatTop1) * 100).toFixed(2)} pts), agreement ${pct(e.agreement)}`);
  }
  return lines.join('\n');
}
