/**
 * A new user's first run: the README's demo on a machine without the emulated board's tools
 * (the emulator and its cross compiler hidden from PATH) falls back to the host board, says in
 * one line what the emulated board needs, and ends verified; then the HTML report it wrote is
 * opened from disk in headless Chromium (Debian's chromium, no download), which must render every
 * section without a console error or a network request, into a screenshot that is not blank.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import type { VerifyReport } from '../../src/device/verify/verify.js';
import { SECTION_IDS } from '../../src/report/html.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'kit-first-contact-'));
after(() => rmSync(work, { recursive: true, force: true }));
const demo = join(work, 'demo');

const HIDDEN = /^(qemu-system-|arm-none-eabi-)/;

/** A PATH with every program of this one except the emulators and the Arm cross compiler. */
function pathWithoutEmulator(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (HIDDEN.test(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

const haveCc = await run('cc', ['--version']).then(() => true, () => false);
const CHROMIUM = process.env.KIT_CHROMIUM ?? '/usr/bin/chromium';

test('without the emulator the demo runs on the host board, says what the emulated board needs, and verifies', { skip: haveCc ? false : 'needs cc', timeout: 900_000 }, async () => {
  const r = await run('bash', [join(ROOT, 'scripts', 'demo.sh')], {
    cwd: work,
    env: { ...process.env, PATH: pathWithoutEmulator(), KIT_DEMO_OUT: demo, KIT_CACHE_DIR: join(work, 'cache') },
    maxBuffer: 64 * 1024 * 1024,
  });
  const notes = r.stderr.split('\n').filter((l) => l.startsWith('demo:'));
  assert.equal(notes.length, 1, r.stderr);
  assert.match(notes[0], /qemu-system-arm arm-none-eabi-gcc not found, so this runs on the host board; the emulated Cortex-M4 needs qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi/);
  assert.match(r.stdout, /demo: verified on host; open .*report\.html\n$/);
  const report = JSON.parse(readFileSync(join(demo, 'resnet8', 'int8', 'c-host', 'verify-report.json'), 'utf8')) as VerifyReport;
  assert.equal(report.board, 'host');
  assert.equal(report.images, 200);
  assert.equal(report.agreement.bitExact, 1);
  // The bundled model measured 87.0 % on the device over these 200 images (README).
  assert.ok(report.accuracy.device! >= 0.8, `on-device accuracy ${report.accuracy.device}`);
});

test('the HTML report renders every section in headless Chromium, offline and without console errors', { skip: existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (Debian: apt-get install chromium; kit setup installs it)`, timeout: 300_000 }, async (t) => {
  const file = join(demo, 'report.html');
  if (!existsSync(file)) return t.skip('the demo did not run');
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'nothing loaded from the network');
  assert.doesNotMatch(html, /<script/);

  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(mkdtempSync(join(work, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (q) => !/^(file|data):/.test(q.url()) && requests.push(q.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    for (const id of SECTION_IDS) {
      const section = page.locator(`section#${id}`);
      assert.equal(await section.count(), 1, `section ${id}`);
      const box = await section.boundingBox();
      assert.ok(box && box.height > 40 && box.width > 300, `section ${id} is laid out: ${JSON.stringify(box)}`);
      assert.ok((await section.locator('h2').innerText()).length > 5);
    }
    // Charts drawn, thumbnails decoded (32x32 PNG data URLs).
    assert.ok((await page.locator('section#confusion svg rect').count()) >= 100);
    assert.ok((await page.locator('section#memory-plan svg rect').count()) >= 5);
    const thumbs = await page.locator('section#misclassified img').evaluateAll((imgs) => imgs.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).complete]));
    assert.ok(thumbs.length > 0);
    for (const [w, done] of thumbs) assert.deepEqual([w, done], [32, true]);

    const shot = PNG.sync.read(await page.screenshot({ fullPage: true }));
    // Not blank: many colours, and most rows of the page hold something besides the background.
    const colours = new Set<number>();
    for (let i = 0; i < shot.data.length; i += 4 * 7) colours.add((shot.data[i] << 16) | (shot.data[i + 1] << 8) | shot.data[i + 2]);
    assert.ok(colours.size > 200, `${colours.size} colours`);
    assert.ok(shot.height > 2000, `page height ${shot.height}`);

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  } finally {
    await context.close();
  }
});
