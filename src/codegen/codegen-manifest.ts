/**
 * kit-codegen.json, written beside the generated C: what `kit flash` and `kit verify` need to know
 * about a project without re-running codegen (its board, the quantized model it came from, the
 * model hash the device must report, and the sizes codegen computed).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { KitError } from '../errors.js';
import { kitVersion } from '../ir/kit-version.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkSchemaVersion } from '../util/schema-version.js';
import type { CodegenFigures } from './figures.js';
import { FORMATS } from './formats.js';

export const CODEGEN_MANIFEST = 'kit-codegen.json';

/** The version of kit-codegen.json this kit writes and reads (absent in projects of kits before 0.1.0's versioned manifests: read as 1). */
export const CODEGEN_MANIFEST_SCHEMA = 1;

const manifestSchema = z.object({
  format: z.literal('kit-codegen'),
  schema: z.literal(CODEGEN_MANIFEST_SCHEMA).optional(),
  kitVersion: z.string(),
  board: z.string().min(1),
  /** Absolute path of the quantized artefact folder. */
  quantizedDir: z.string().min(1),
  modelHash: z.string().regex(/^[0-9a-f]{64}$/),
  arenaBytes: z.number().int().nonnegative(),
  flashBytes: z.number().int().nonnegative(),
  ramBytes: z.number().int().nonnegative(),
  /** The memory plan and the per-layer table kit codegen printed (absent in projects of older kits). */
  figures: z.custom<CodegenFigures>((v) => typeof v === 'object' && v !== null && Array.isArray((v as CodegenFigures).layers)).optional(),
  /** The project format (kit codegen --format); absent in projects from before formats: the flat 'c' layout. */
  layout: z.enum(FORMATS).optional(),
});

export type CodegenManifest = z.infer<typeof manifestSchema>;

export function writeCodegenManifest(outDir: string, facts: Omit<CodegenManifest, 'format' | 'schema' | 'kitVersion'>): CodegenManifest {
  const manifest: CodegenManifest = { format: 'kit-codegen', schema: CODEGEN_MANIFEST_SCHEMA, kitVersion: kitVersion(), ...facts, quantizedDir: resolve(facts.quantizedDir) };
  writeFileAtomic(join(outDir, CODEGEN_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** The manifest of a generated project, or a one-line KitError saying what to run. */
export function readCodegenManifest(project: string): CodegenManifest {
  const file = join(project, CODEGEN_MANIFEST);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new KitError('project-missing', 'codegen', `${project} is not a kit codegen project (no ${CODEGEN_MANIFEST})`, 'run kit codegen QUANTIZED_DIR --board B --out DIR first');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KitError('project-corrupt', 'codegen', `${file} is not valid JSON`, 're-run kit codegen');
  }
  const probe = (json ?? {}) as { schema?: unknown; kitVersion?: unknown };
  checkSchemaVersion({ file, found: probe.schema ?? CODEGEN_MANIFEST_SCHEMA, known: CODEGEN_MANIFEST_SCHEMA, writtenBy: probe.kitVersion, stage: 'codegen', rerun: 'kit codegen' });
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KitError('project-corrupt', 'codegen', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, 're-run kit codegen');
  }
  return parsed.data;
}
