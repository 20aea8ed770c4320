import { z } from 'zod';

/**
 * On-disk format of a saved graph: `graph.json` holds a manifest and the graph with every constant
 * replaced by a reference into `graph.bin` (little-endian, each tensor 8-byte aligned).
 */
export const SCHEMA_VERSION = 1;
export const FORMAT = 'kit-graph';

const dtype = z.enum(['float32', 'int32', 'int8', 'uint8']);

export const quantSchema = z.object({
  scale: z.array(z.number().positive()).min(1),
  zeroPoint: z.array(z.number().int()).min(1),
  axis: z.number().int().min(0).optional(),
});

export const dataRefSchema = z.object({
  offset: z.number().int().min(0),
  length: z.number().int().min(0),
});

export const tensorSchema = z.object({
  shape: z.array(z.number().int().positive()),
  dtype,
  quant: quantSchema.optional(),
  data: dataRefSchema.optional(),
});

export const nodeSchema = z.object({
  name: z.string().min(1),
  op: z.string().min(1),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  attrs: z.record(z.string(), z.unknown()),
  intParams: z.record(z.string(), z.unknown()).optional(),
  fused: z.array(z.string()).optional(),
  accumulatorBound: z.number().min(0).optional(),
});

export const graphSchema = z.object({
  version: z.number().int(),
  kind: z.enum(['float', 'quantized']),
  scheme: z.string().optional(),
  tensors: z.record(z.string(), tensorSchema),
  nodes: z.array(nodeSchema).min(1),
  inputs: z.array(z.string()).length(1),
  outputs: z.array(z.string()).length(1),
});

export const sourceFileSchema = z.object({ path: z.string(), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type SourceFile = z.infer<typeof sourceFileSchema>;

export const manifestSchema = z.object({
  format: z.literal(FORMAT),
  schemaVersion: z.number().int(),
  kitVersion: z.string(),
  createdAt: z.string(),
  blob: z.object({ file: z.string(), bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  /** The files the graph was built from (model.json, weights, kit.json), for provenance. */
  source: z.object({ files: z.array(sourceFileSchema) }),
  /** Stage-specific facts (scheme, calibration, normalization, classes...). */
  meta: z.record(z.string(), z.unknown()),
  /**
   * sha256 of the folder's other files (report.json, float/graph.json), so that a reader can tell a
   * folder whose files come from different runs. Absent in folders of older kits.
   */
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const graphFileSchema = z.object({ manifest: manifestSchema, graph: graphSchema });

/** Just enough to tell an old or foreign file from a corrupt one before the full parse. */
export const versionProbeSchema = z.object({
  manifest: z.object({ format: z.string(), schemaVersion: z.number(), kitVersion: z.string().optional() }),
});
