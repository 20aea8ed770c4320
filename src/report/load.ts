/**
 * What the HTML report draws, gathered from a kit output folder: a trained model folder (kit.json),
 * a quantized one (report.json) or a generated C project (kit-codegen.json), whichever is given;
 * the stages below and above it are found from there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CODEGEN_MANIFEST, readCodegenManifest } from '../codegen/codegen-manifest.js';
import type { CodegenFigures } from '../codegen/figures.js';
import { CIFAR10_CLASSES } from '../data/types.js';
import type { VerifyReport } from '../device/verify/verify.js';
import { KitError } from '../errors.js';
import { QUANT_REPORT_SCHEMA, REPORT_FILE } from '../quantize/artefact.js';
import { checkSchemaVersion } from '../util/schema-version.js';
import { SCHEMA_VERSION as GRAPH_SCHEMA_VERSION } from '../ir/schema.js';
import type { QuantizationReport } from '../quantize/report.js';
import { MISCLASSIFIED_PNG, readImageStrip, stripImages } from './thumbnails.js';

export const VERIFY_REPORT = 'verify-report.json';
/**
 * The version of verify-report.json this kit writes and reads (absent in reports of older kits: read
 * as 1). `profile` (kit verify --profile) is an optional section added within version 1: a report
 * without it is still read, and a kit that does not know it ignores it, so neither needs refusing.
 */
export const VERIFY_REPORT_SCHEMA = 1;

export interface ReportSources {
  model: string;
  scheme: string | null;
  board: string | null;
  classes: string[];
  quantization: QuantizationReport | null;
  codegen: CodegenFigures | null;
  verify: VerifyReport | null;
  /** PNG data URLs of verify.misclassified, in its order (may be fewer). */
  thumbnails: string[];
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * A versioned JSON file of a kit stage: null when missing or unreadable (a report is optional), a
 * one-line refusal when a kit wrote it in a schema version this kit does not read.
 */
function readVersioned<T>(file: string, known: number, rerun: string): T | null {
  const json = readJson<T & { schema?: unknown; kitVersion?: unknown }>(file);
  if (json === null || typeof json !== 'object') return null;
  checkSchemaVersion({ file, found: json.schema ?? known, known, writtenBy: json.kitVersion, stage: 'cli', rerun });
  return json;
}

export const readVerifyReport = (file: string) => readVersioned<VerifyReport>(file, VERIFY_REPORT_SCHEMA, 'kit verify');

const subdirs = (dir: string) =>
  readdirSync(dir, { withFileTypes: true })
    // Dot folders are another run's work in progress (src/util/atomic-folder.ts).
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => join(dir, d.name))
    .sort();

/** A generated project under a quantized folder, preferring one that was verified. */
function projectUnder(quantized: string): string | null {
  const projects = subdirs(quantized).filter((d) => existsSync(join(d, CODEGEN_MANIFEST)));
  return projects.find((d) => existsSync(join(d, VERIFY_REPORT))) ?? projects[0] ?? null;
}

function quantizedUnder(model: string): string | null {
  const folders = subdirs(model).filter((d) => existsSync(join(d, REPORT_FILE)));
  return folders.find((d) => projectUnder(d) !== null) ?? folders[0] ?? null;
}

/** Meta of a quantized folder's graph.json (model name, classes), if readable. */
function quantizedMeta(quantized: string): { model?: string; scheme?: string; classes?: string[] } {
  const file = join(quantized, 'graph.json');
  const graph = readJson<{ manifest?: { schemaVersion?: unknown; kitVersion?: unknown; meta?: { model?: string; scheme?: string; classes?: string[] } } }>(file);
  if (graph?.manifest) checkSchemaVersion({ file, found: graph.manifest.schemaVersion, known: GRAPH_SCHEMA_VERSION, writtenBy: graph.manifest.kitVersion, stage: 'cli', rerun: 'kit quantize' });
  return graph?.manifest?.meta ?? {};
}

/**
 * `verify`/`strip`: a verify report and its thumbnail strip not yet on disk (kit verify renders the
 * page before it writes the three files together); `strip: null` means it has none.
 */
export function loadReportSources(dir: string, opts: { verifyFile?: string; verify?: VerifyReport; strip?: Uint8Array | null } = {}): ReportSources {
  const root = resolve(dir);
  if (!existsSync(root)) throw new KitError('report-missing', 'cli', `no folder ${dir}`, 'give kit report a model, quantized or codegen folder');
  let project: string | null = null;
  let quantized: string | null = null;
  if (existsSync(join(root, CODEGEN_MANIFEST))) {
    project = root;
    quantized = readCodegenManifest(root).quantizedDir;
  } else if (existsSync(join(root, REPORT_FILE))) {
    quantized = root;
    project = projectUnder(root);
  } else if (existsSync(join(root, 'kit.json'))) {
    quantized = quantizedUnder(root);
    project = quantized ? projectUnder(quantized) : null;
  } else {
    throw new KitError('report-nothing', 'cli', `${dir} holds no kit output (kit.json, ${REPORT_FILE} or ${CODEGEN_MANIFEST})`, 'run kit quantize / codegen / verify first, or point at their folder');
  }
  const manifest = project ? readCodegenManifest(project) : null;
  const verifyFile = opts.verifyFile ?? (project ? join(project, VERIFY_REPORT) : null);
  const verify = opts.verify ?? (verifyFile ? readVerifyReport(verifyFile) : null);
  const meta = quantized ? quantizedMeta(quantized) : {};
  const quantization = quantized ? readVersioned<QuantizationReport>(join(quantized, REPORT_FILE), QUANT_REPORT_SCHEMA, 'kit quantize') : null;
  const modelDir = quantized ? dirname(quantized) : root;
  return {
    model: meta.model ?? readJson<{ model?: string }>(join(modelDir, 'kit.json'))?.model ?? basename(modelDir),
    scheme: meta.scheme ?? quantization?.scheme ?? null,
    board: manifest?.board ?? verify?.board ?? null,
    classes: meta.classes ?? [...CIFAR10_CLASSES],
    quantization,
    codegen: manifest?.figures ?? null,
    verify,
    thumbnails: !verify ? [] : opts.strip !== undefined ? (opts.strip ? stripImages(opts.strip, verify.misclassified.length) : []) : verifyFile ? readImageStrip(join(dirname(verifyFile), MISCLASSIFIED_PNG), verify.misclassified.length) : [],
  };
}
