/**
 * The HTML report's pieces, in-process: thumbnails survive the PNG strip exactly, every section is
 * on the page even before anything was measured (saying which command fills it), and the charts
 * put the figures where they belong. The rendered page is checked in Chromium by
 * test/e2e/first-contact.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PNG } from 'pngjs';
import { histogram } from '../../src/device/verify/stats.js';
import { renderHtmlReport, SECTION_IDS } from '../../src/report/html.js';
import { loadReportSources } from '../../src/report/load.js';
import { memoryPlanChart } from '../../src/report/svg.js';
import { readImageStrip, writeImageStrip } from '../../src/report/thumbnails.js';
import { kitError } from '../kit-error.js';

const work = mkdtempSync(join(tmpdir(), 'kit-report-'));
after(() => rmSync(work, { recursive: true, force: true }));
const ROOT = join(import.meta.dirname, '..', '..');

const IMAGE_BYTES = 32 * 32 * 3;

test('thumbnails: the strip keeps every pixel, and each comes back as its own 32x32 PNG data URL', () => {
  const images = [0, 1, 2].map((k) => Uint8Array.from({ length: IMAGE_BYTES }, (_, i) => (i * 7 + k * 31) & 255));
  const file = join(work, 'strip.png');
  writeImageStrip(file, images, [32, 32, 3]);
  const urls = readImageStrip(file, 3);
  assert.equal(urls.length, 3);
  urls.forEach((url, k) => {
    assert.match(url, /^data:image\/png;base64,/);
    const png = PNG.sync.read(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
    assert.deepEqual([png.width, png.height], [32, 32]);
    const rgb = new Uint8Array(IMAGE_BYTES);
    for (let p = 0; p < 32 * 32; p++) rgb.set(png.data.subarray(4 * p, 4 * p + 3), 3 * p);
    assert.deepEqual(rgb, images[k]);
  });
  assert.deepEqual(readImageStrip(join(work, 'missing.png'), 3), []);
});

test('a trained folder with nothing measured yet: every section is there and says which command fills it', () => {
  const html = renderHtmlReport(loadReportSources(join(ROOT, 'test', 'fixtures', 'resnet8')));
  for (const id of SECTION_IDS) assert.match(html, new RegExp(`<section id="${id}">`));
  assert.match(html, /run kit quantize/);
  assert.match(html, /run kit codegen/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.throws(() => loadReportSources(work), kitError('report-nothing'));
});

test('memory plan chart: a buffer spans its layers at its offset, the bound and the arena are drawn', () => {
  const c = memoryPlanChart({ arenaBytes: 300, lowerBound: 200, buffers: [{ id: 'a', offset: 0, size: 100, first: 0, last: 1 }, { id: 'b', offset: 100, size: 200, first: 1, last: 3 }] }, ['l0', 'l1', 'l2', 'l3']);
  const [a, b] = c.rects;
  // 4 layers over 640 px: 160 px each; 300 B * 1.08 over 260 px.
  assert.deepEqual([Math.round(a.x), Math.round(a.w), Math.round(b.x), Math.round(b.w)], [71, 318, 231, 478]);
  assert.ok(b.y < a.y, 'the higher offset is drawn above');
  assert.ok(Math.abs(a.h - (100 / 324) * 260 + 1) < 1e-9);
  assert.deepEqual(c.texts.filter((t) => /arena|bound/.test(t.text)).map((t) => t.text), ['arena 300 B', 'bound 200 B']);
});

test('latency histogram: equal-width bins from the smallest to the largest, all values counted', () => {
  assert.deepEqual(histogram([1, 2, 3, 4], 3), { edges: [1, 2, 3, 4], counts: [1, 1, 2] });
  assert.deepEqual(histogram([5, 5, 5], 20), { edges: [5, 6], counts: [3] });
});
