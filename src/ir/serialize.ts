import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { KitError } from '../errors.js';
import { dtypeBytes, numElements, type DType, type Graph, type TensorData, type TensorSpec } from './graph.js';
import { sha256 } from './hash.js';
import { kitVersion } from './kit-version.js';
import { FORMAT, graphFileSchema, SCHEMA_VERSION, versionProbeSchema, type Manifest, type SourceFile } from './schema.js';
import { validateGraph } from './validate.js';
import { fsSeam } from '../util/fs-seam.js';

export const GRAPH_FILE = 'graph.json';
export const BLOB_FILE = 'graph.bin';

export interface SaveOptions {
  source?: SourceFile[];
  meta?: Record<string, unknown>;
  /** sha256 of the folder's other files, by path relative to it (already written). */
  files?: Record<string, string>;
}

function assertLittleEndian(): void {
  // Typed arrays use the host's byte order; the file format is little-endian.
  if (endianness() !== 'LE') throw new KitError('platform', 'quantize', 'kit graph files need a little-endian host');
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Write `graph.json` (manifest + graph) and `graph.bin` (all constants) into `dir`. */
export async function saveGraph(dir: string, graph: Graph, options: SaveOptions = {}): Promise<Manifest> {
  assertLittleEndian();
  validateGraph(graph);
  const ids = Object.keys(graph.tensors).filter((id) => graph.tensors[id].data);
  let size = 0;
  const refs = new Map<string, { offset: number; length: number }>();
  for (const id of ids) {
    const data = graph.tensors[id].data!;
    refs.set(id, { offset: size, length: data.byteLength });
    size = align8(size + data.byteLength);
  }
  const blob = new Uint8Array(size);
  for (const id of ids) {
    const data = graph.tensors[id].data!;
    blob.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), refs.get(id)!.offset);
  }
  const tensors: Record<string, unknown> = {};
  for (const [id, t] of Object.entries(graph.tensors)) {
    tensors[id] = { shape: t.shape, dtype: t.dtype, ...(t.quant ? { quant: t.quant } : {}), ...(t.data ? { data: refs.get(id) } : {}) };
  }
  const manifest: Manifest = {
    format: FORMAT,
    schemaVersion: SCHEMA_VERSION,
    kitVersion: kitVersion(),
    createdAt: new Date().toISOString(),
    blob: { file: BLOB_FILE, bytes: blob.byteLength, sha256: sha256(blob) },
    source: { files: options.source ?? [] },
    meta: options.meta ?? {},
    ...(options.files ? { files: options.files } : {}),
  };
  // graph.json goes last: it is the manifest that vouches for the other files.
  fsSeam.mkdir(dir);
  fsSeam.writeFile(join(dir, BLOB_FILE), blob);
  fsSeam.writeFile(join(dir, GRAPH_FILE), JSON.stringify({ manifest, graph: { ...graph, tensors } }, null, 1) + '\n');
  return manifest;
}

function corrupt(file: string, what: string): KitError {
  return new KitError('artefact-corrupt', 'quantize', `${file} ${what}`, 're-run kit quantize to rebuild it');
}

/** Read and check a saved graph: every problem is a one-line KitError. */
export async function loadGraph(dir: string): Promise<{ graph: Graph; manifest: Manifest }> {
  assertLittleEndian();
  const file = join(dir, GRAPH_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new KitError('artefact-missing', 'quantize', `no kit graph in ${dir} (${GRAPH_FILE} not found)`, 'run kit quantize first');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corrupt(file, 'is not valid JSON (truncated or edited?)');
  }
  const probe = versionProbeSchema.safeParse(json);
  if (!probe.success || probe.data.manifest.format !== FORMAT) throw corrupt(file, 'is not a kit graph file');
  const { schemaVersion, kitVersion: madeBy } = probe.data.manifest;
  if (schemaVersion !== SCHEMA_VERSION) {
    const age = schemaVersion < SCHEMA_VERSION ? 'an older' : 'a newer';
    throw new KitError(
      'artefact-version',
      'quantize',
      `${file} was written by ${age} kit (${madeBy ?? 'unknown version'}, format v${schemaVersion}); this kit ${kitVersion()} reads format v${SCHEMA_VERSION}`,
      schemaVersion < SCHEMA_VERSION ? 're-run kit quantize with this kit' : 'upgrade kit',
    );
  }
  const parsed = graphFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(file, `is malformed at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { manifest, graph: g } = parsed.data;
  const blobFile = join(dir, manifest.blob.file);
  let blob: Buffer;
  try {
    blob = await readFile(blobFile);
  } catch {
    throw new KitError('artefact-missing', 'quantize', `${blobFile} is missing`, 're-run kit quantize to rebuild it');
  }
  if (blob.byteLength !== manifest.blob.bytes) throw corrupt(blobFile, `is ${blob.byteLength} bytes but should be ${manifest.blob.bytes} (truncated?)`);
  if (sha256(blob) !== manifest.blob.sha256) throw corrupt(blobFile, 'does not match its checksum (corrupted or edited)');
  await checkListedFiles(dir, manifest);
  const tensors: Record<string, TensorSpec> = {};
  for (const [id, t] of Object.entries(g.tensors)) {
    const spec: TensorSpec = { shape: t.shape, dtype: t.dtype, ...(t.quant ? { quant: t.quant } : {}) };
    if (t.data) spec.data = readTensor(blobFile, blob, id, t.dtype, numElements(t.shape), t.data);
    tensors[id] = spec;
  }
  const graph: Graph = { ...g, tensors };
  validateGraph(graph);
  return { graph, manifest };
}

/** A folder whose files come from different runs (or were edited) is refused, naming the file. */
async function checkListedFiles(dir: string, manifest: Manifest): Promise<void> {
  for (const [rel, hash] of Object.entries(manifest.files ?? {})) {
    const file = join(dir, rel);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      throw new KitError('artefact-mixed', 'quantize', `${file} is missing, but ${join(dir, GRAPH_FILE)} lists it`, 're-run the stage that wrote this folder');
    }
    if (sha256(bytes) !== hash) {
      throw new KitError('artefact-mixed', 'quantize', `${dir} is a mixed folder: ${rel} is not the one ${GRAPH_FILE} was written with (another run's, or edited)`, 're-run the stage that wrote this folder, into a new --out or over this one');
    }
  }
}

function readTensor(file: string, blob: Buffer, id: string, dtype: DType, count: number, ref: { offset: number; length: number }): TensorData {
  if (ref.length !== count * dtypeBytes(dtype) || ref.offset + ref.length > blob.byteLength) {
    throw corrupt(file, `has no room for tensor '${id}'`);
  }
  // Copy into a fresh, aligned buffer: the Buffer's own offset need not be a multiple of 4.
  const bytes = new Uint8Array(blob.subarray(ref.offset, ref.offset + ref.length));
  switch (dtype) {
    case 'float32': return new Float32Array(bytes.buffer);
    case 'int32': return new Int32Array(bytes.buffer);
    case 'int8': return new Int8Array(bytes.buffer);
    case 'uint8': return bytes;
  }
}
