import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { KitError } from '../errors.js';
import { extractArchive } from './archive.js';
import { cifarBatchFiles, CIFAR_ARCHIVE_NAME, CIFAR_BIN_DIRNAME } from './cifar-binary.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const CIFAR10_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

export interface DownloadOptions {
  /** Folder that receives cifar-10-binary.tar.gz and the extracted cifar-10-batches-bin/. */
  dir: string;
  /** Default: $KIT_CIFAR10_URL, else the official Toronto URL. */
  url?: string;
  /** Expected md5 of the archive (default: the official one). */
  md5?: string;
  /** Bytes received so far (counting a resumed part) and the full size when the server says it. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Coarse phases, for a status line around the progress bar. */
  onStage?: (stage: 'downloading' | 'verifying' | 'extracting') => void;
  /** How often a transfer cut off mid-way is resumed before giving up (default 3). */
  retries?: number;
  /** Pause before each resume (default 1000 ms). */
  retryDelayMs?: number;
  /** A connection that sends nothing for this long counts as dropped (default 30000 ms). */
  idleTimeoutMs?: number;
}

/** A transfer that broke after it started: the .part is kept and the next attempt resumes it. */
class Interrupted extends Error {}

const REASONS: Record<string, string> = {
  ENOTFOUND: 'DNS lookup failed (offline?)',
  EAI_AGAIN: 'DNS lookup failed (offline?)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** fetch hides the useful part ("ECONNREFUSED") in `cause` behind a generic "fetch failed". */
function describe(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  const code = err?.cause?.code ?? err?.code;
  return (code && REASONS[code]) || err?.cause?.message || err?.message || String(e);
}

function md5File(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('md5');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', fail)
      .on('end', () => done(hash.digest('hex')));
  });
}

function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

interface Transfer {
  url: string;
  part: string;
  unreachable: (reason: string) => KitError;
  onProgress?: DownloadOptions['onProgress'];
  idleTimeoutMs: number;
}

/** One HTTP request that appends to (206) or rewrites (200) the .part file. */
async function transferOnce(t: Transfer): Promise<void> {
  const have = sizeOf(t.part);
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(new Error(`no data for ${t.idleTimeoutMs / 1000} s`)), t.idleTimeoutMs);
  };
  arm();
  try {
    let res: Response;
    try {
      // identity: some servers label .gz files Content-Encoding: gzip, and fetch would then
      // unzip the archive on the fly, breaking both the checksum and byte offsets for Range.
      const headers: Record<string, string> = { 'accept-encoding': 'identity' };
      if (have > 0) headers.range = `bytes=${have}-`;
      res = await fetch(t.url, { headers, signal: ctl.signal });
    } catch (e) {
      throw t.unreachable(describe(e));
    }
    // 416: nothing left past `have`, i.e. the part is already whole (e.g. a run killed while
    // hashing it); the checksum decides.
    if (res.status === 416 && have > 0) return void (await res.body?.cancel());
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw t.unreachable(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    let start = 0;
    let total = Number.isFinite(length) ? length : undefined;
    if (res.status === 206) {
      const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (!m || Number(m[1]) !== have) {
        await res.body?.cancel();
        rmSync(t.part, { force: true });
        throw new Interrupted('the server resumed at the wrong offset; starting over');
      }
      start = have;
      total = m[2] !== '*' ? Number(m[2]) : total !== undefined ? have + total : undefined;
    }
    // A 200 is the whole file even when we asked for a range (server ignores Range): start over.
    const out = createWriteStream(t.part, { flags: start > 0 ? 'a' : 'w' });
    let received = start;
    const body = res.body;
    let broke: unknown;
    // A read error ends the stream normally instead of failing the pipeline: pipeline would
    // destroy the file stream and drop chunks still queued for writing, and every byte that
    // reached us should be on disk for the resume.
    async function* counted() {
      if (!body) return;
      try {
        for await (const chunk of body) {
          arm();
          received += chunk.length;
          t.onProgress?.(received, total);
          yield chunk;
        }
      } catch (e) {
        broke = e;
      }
    }
    try {
      await pipeline(Readable.from(counted()), out);
    } catch (e) {
      throw new KitError('write-failed', 'data', `cannot write ${t.part}: ${describe(e)}`, 'free some disk space or pick another --dir');
    }
    if (broke !== undefined) throw new Interrupted(describe(broke));
    if (total !== undefined && received < total) throw new Interrupted(`connection closed after ${received} of ${total} bytes`);
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads `url` to `dest` through `dest.part`, resuming after drops, and renames only a verified file. */
async function downloadVerified(url: string, dest: string, md5: string, dir: string, o: DownloadOptions): Promise<void> {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    throw new KitError('bad-url', 'data', `${url} is not a valid URL`, 'check the download URL ($KIT_CIFAR10_URL)');
  }
  const manual = `download ${CIFAR_ARCHIVE_NAME} by hand into ${dir} or point --data at a CIFAR-10 folder`;
  const part = `${dest}.part`;
  const t: Transfer = {
    url,
    part,
    unreachable: (reason) => new KitError('download-failed', 'data', `cannot reach ${host}: ${reason}`, manual),
    onProgress: o.onProgress,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
  };
  const retries = o.retries ?? 3;
  o.onStage?.('downloading');
  for (let attempt = 0; ; attempt++) {
    try {
      await transferOnce(t);
      break;
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      if (attempt >= retries) {
        throw new KitError(
          'download-interrupted',
          'data',
          `download from ${host} broke off: ${e.message}; ${sizeOf(part)} bytes kept in ${part}`,
          'run `kit data cifar10` again to resume',
        );
      }
      await sleep(o.retryDelayMs ?? 1000);
    }
  }
  o.onStage?.('verifying');
  const got = await md5File(part);
  if (got !== md5.toLowerCase()) {
    rmSync(part, { force: true });
    throw new KitError('checksum-mismatch', 'data', `${url} gave a file with md5 ${got}, expected ${md5}; deleted the download`, `run it again, or ${manual}`);
  }
  renameSync(part, dest);
}

function isExtracted(dir: string): boolean {
  try {
    cifarBatchFiles(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * `kit data cifar10`: fetches the official CIFAR-10 binary archive into `dir` (resumable, md5
 * checked), extracts it, and returns the path of `<dir>/cifar-10-batches-bin`. Work already done
 * is skipped: an extracted folder is returned as is, a valid archive is not downloaded again.
 */
export async function downloadCifar10(opts: DownloadOptions): Promise<string> {
  const dir = resolve(opts.dir);
  const extracted = join(dir, CIFAR_BIN_DIRNAME);
  if (isExtracted(extracted)) return extracted;
  mkdirSync(dir, { recursive: true });
  const url = opts.url || process.env.KIT_CIFAR10_URL || CIFAR10_URL;
  const md5 = opts.md5 ?? CIFAR10_MD5;
  const archive = join(dir, CIFAR_ARCHIVE_NAME);
  if (existsSync(archive)) {
    opts.onStage?.('verifying');
    // Only a verified download is ever renamed to this name, so a mismatch is someone else's broken copy.
    if ((await md5File(archive)) !== md5.toLowerCase()) rmSync(archive);
  }
  if (!existsSync(archive)) await downloadVerified(url, archive, md5, dir, opts);
  opts.onStage?.('extracting');
  // An incomplete folder (files deleted or truncated by hand) is rebuilt from the verified archive.
  rmSync(extracted, { recursive: true, force: true });
  return extractArchive(archive, extracted, { subdir: CIFAR_BIN_DIRNAME });
}
