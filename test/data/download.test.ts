/**
 * downloadCifar10 against a node:http server on 127.0.0.1 that serves a small generated
 * cifar-10-binary.tar.gz: never the network, every wait bounded.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadCifar10, type DownloadOptions } from '../../src/data/download.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { assertSameImages, kitError, tarGz, tmpDir, useTmpCache, writeCifarBinary, type CifarFixture } from './fixtures.js';

useTmpCache();

type Mode = 'normal' | 'drop-first' | 'ignore-range' | '404' | 'stall' | 'stall-body';
const ARCHIVE = 'cifar-10-binary.tar.gz';
const T = { timeout: 15_000 };

let fx: CifarFixture;
let body: Buffer;
let md5: string;
let half: number;
let server: Server;
let url: string;
let mode: Mode = 'normal';
let dropped = false;
let ranges: (string | undefined)[] = [];
let acceptEncoding: string | undefined;

/** Serves `body` with Range support; `mode` makes it misbehave in the ways a real server or network can. */
function handle(req: { headers: { range?: string; 'accept-encoding'?: string } }, res: import('node:http').ServerResponse): void {
  ranges.push(req.headers.range);
  acceptEncoding = req.headers['accept-encoding'];
  if (mode === 'stall') return;
  if (mode === '404') return void res.writeHead(404, 'Not Found').end();
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m && mode !== 'ignore-range') {
    const start = Number(m[1]);
    if (start >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
    return void res.end(body.subarray(start));
  }
  res.writeHead(200, { 'content-length': body.length });
  if (mode === 'stall-body') return void res.write(body.subarray(0, half));
  if (mode === 'drop-first' && !dropped) {
    dropped = true;
    // Half the file, flushed, then the connection dies: what a dropped Wi-Fi looks like.
    res.write(body.subarray(0, half), () => setTimeout(() => res.socket?.destroy(), 50));
    return;
  }
  res.end(body);
}

before(async () => {
  const src = tmpDir('dl-src');
  fx = writeCifarBinary(src);
  // Incompressible padding makes the archive span many chunks, so progress and resume are real.
  writeFileSync(join(fx.dir, 'readme.html'), randomBytes(256 * 1024));
  body = readFileSync(tarGz(join(tmpDir('dl-arc'), ARCHIVE), src, ['cifar-10-batches-bin']));
  md5 = createHash('md5').update(body).digest('hex');
  half = body.length >> 1;
  server = createServer(handle);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${ARCHIVE}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

function setup(m: Mode): string {
  mode = m;
  dropped = false;
  ranges = [];
  return tmpDir('dl');
}

const opts = (dir: string, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({ dir, url, md5, retryDelayMs: 10, idleTimeoutMs: 2000, ...extra });

function assertDownloaded(dir: string, result: string): void {
  assert.equal(result, join(dir, 'cifar-10-batches-bin'));
  assert.ok(!existsSync(join(dir, `${ARCHIVE}.part`)), 'no .part left');
  assert.equal(createHash('md5').update(readFileSync(join(dir, ARCHIVE))).digest('hex'), md5);
  const ds = loadDataset(result);
  assertSameImages(ds.train, fx.train);
  assertSameImages(ds.test, fx.test);
}

test('download: fetches, verifies, extracts, reports progress', T, async () => {
  const dir = setup('normal');
  const progress: [number, number | undefined][] = [];
  const stages: string[] = [];
  const result = await downloadCifar10(opts(dir, { onProgress: (r, t) => progress.push([r, t]), onStage: (s) => stages.push(s) }));
  assertDownloaded(dir, result);
  assert.deepEqual(ranges, [undefined]);
  assert.equal(acceptEncoding, 'identity', 'an archive must not be unzipped in transit');
  assert.ok(progress.length > 1);
  assert.deepEqual(progress.at(-1), [body.length, body.length]);
  assert.deepEqual(stages, ['downloading', 'verifying', 'extracting']);
});

test('download: a transfer cut off mid-way resumes with a Range request', T, async () => {
  const dir = setup('drop-first');
  const progress: number[] = [];
  const result = await downloadCifar10(opts(dir, { onProgress: (r) => progress.push(r) }));
  assertDownloaded(dir, result);
  // The server sends `half` bytes and then cuts the connection; how many of them reached the file
  // before the cut depends on scheduling, so the resume point is any offset up to `half`. The
  // checksum in assertDownloaded proves the resumed bytes were joined at the right place.
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  const resumeAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
  assert.ok(resumeAt > 0 && resumeAt <= half, `resumed at ${ranges[1]}, expected 1..${half}`);
  assert.equal(Math.max(...progress), body.length);
});

test('download: with no retries left, the .part is kept and the next run resumes it', T, async () => {
  const dir = setup('drop-first');
  await assert.rejects(downloadCifar10(opts(dir, { retries: 0 })), kitError('download-interrupted', /broke off: .* bytes kept in .*\.part$/));
  // How many of the `half` bytes sent before the cut reached the file depends on scheduling;
  // whatever was kept is exactly where the next run resumes.
  const kept = statSync(join(dir, `${ARCHIVE}.part`)).size;
  assert.ok(kept > 0 && kept <= half, `kept ${kept} bytes, expected 1..${half}`);
  assertDownloaded(dir, await downloadCifar10(opts(dir)));
  assert.deepEqual(ranges, [undefined, `bytes=${kept}-`]);
});

test('download: a server that ignores Range (200, not 206) is read from the start', T, async () => {
  const dir = setup('ignore-range');
  writeFileSync(join(dir, `${ARCHIVE}.part`), Buffer.alloc(1000, 0xee));
  assertDownloaded(dir, await downloadCifar10(opts(dir)));
  assert.deepEqual(ranges, ['bytes=1000-']);
});

test('download: a complete .part (416 on resume) is verified, not fetched again', T, async () => {
  const dir = setup('normal');
  writeFileSync(join(dir, `${ARCHIVE}.part`), body);
  assertDownloaded(dir, await downloadCifar10(opts(dir)));
  assert.deepEqual(ranges, [`bytes=${body.length}-`]);
});

test('download: a checksum mismatch deletes the download and says so', T, async () => {
  const dir = setup('normal');
  await assert.rejects(downloadCifar10(opts(dir, { md5: '0'.repeat(32) })), kitError('checksum-mismatch', new RegExp(`md5 ${md5}, expected 0{32}; deleted`)));
  assert.ok(!existsSync(join(dir, `${ARCHIVE}.part`)));
  assert.ok(!existsSync(join(dir, ARCHIVE)));
});

test('download: connection refused names the host and the manual way', T, async () => {
  const dir = setup('normal');
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((done) => closed.close(done));
  await assert.rejects(downloadCifar10(opts(dir, { url: `http://127.0.0.1:${port}/${ARCHIVE}` })), (e: unknown) => {
    kitError('download-failed', new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}: connection refused$`))(e);
    assert.match((e as { hint: string }).hint, new RegExp(`by hand into ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} or point --data`));
    return true;
  });
});

test('download: an HTTP error, a silent server and a stalled transfer are one-line errors', T, async () => {
  const dir = setup('404');
  await assert.rejects(downloadCifar10(opts(dir)), kitError('download-failed', /^cannot reach 127\.0\.0\.1:\d+: HTTP 404 Not Found$/));
  mode = 'stall';
  await assert.rejects(downloadCifar10(opts(dir, { idleTimeoutMs: 300 })), kitError('download-failed', /: no data for 0\.3 s$/));
  mode = 'stall-body';
  await assert.rejects(downloadCifar10(opts(dir, { idleTimeoutMs: 300, retries: 0 })), kitError('download-interrupted', /broke off: no data for 0\.3 s; \d+ bytes kept/));
});

test('download: work already done is skipped; $KIT_CIFAR10_URL overrides the URL', T, async () => {
  const dir = setup('normal');
  writeFileSync(join(dir, ARCHIVE), body);
  process.env.KIT_CIFAR10_URL = 'http://127.0.0.1:9/never-used';
  assertDownloaded(dir, await downloadCifar10({ dir, md5 }));
  assert.deepEqual(ranges, [], 'a valid archive is not downloaded again');
  assertDownloaded(dir, await downloadCifar10({ dir, md5: 'f'.repeat(32) }));

  const fresh = setup('normal');
  process.env.KIT_CIFAR10_URL = url;
  assertDownloaded(fresh, await downloadCifar10({ dir: fresh, md5 }));
  assert.equal(ranges.length, 1);
  delete process.env.KIT_CIFAR10_URL;
});
