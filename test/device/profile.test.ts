/** buildProfile's arithmetic on given counter marks: units, the median image, the hook's cost, refusals. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emulatedInstructions, loadBoard } from '../../src/device/boards.js';
import { buildProfile } from '../../src/device/profile/profile.js';
import { renderProfile } from '../../src/device/profile/render.js';
import { kitError } from '../kit-error.js';

const layers = [
  { name: 'lut', op: 'normalize_input', macs: 0 },
  { name: 'conv', op: 'conv2d', macs: 1000 },
  { name: 'flat', op: 'flatten', macs: 0 },
];
// SysTick at 25 MHz under -icount shift 3: 5 instructions a tick.
const m4 = loadBoard('qemu-cortex-m4');
const info = { tickHz: 25_000_000, clockHz: 25_000_000, profileMarks: 4 };

test('profile: SysTick ticks become instructions; the median image is shown; layers + outside = total; the marks\' cost against the unprofiled count', () => {
  const runs = [
    { index: 7, ticks: 530, marks: [2, 100, 500, 505], unprofiledTicks: 514 },
    { index: 3, ticks: 520, marks: [2, 100, 490, 495], unprofiledTicks: 504 },
    { index: 9, ticks: 540, marks: [2, 100, 510, 515], unprofiledTicks: 524 },
  ];
  const p = buildProfile({ board: 'qemu-cortex-m4', layers, runs, info, instructions: emulatedInstructions(m4) });
  assert.equal(p.unit, 'instructions');
  assert.equal(p.image, 7);
  assert.deepEqual(p.layers.map((l) => l.count), [490, 2000, 25]);
  assert.equal(p.total, 2650);
  assert.equal(p.outside, 2650 - (505 - 2) * 5);
  assert.equal(p.layers[1].perMac, 2);
  assert.equal(p.layers[0].perMac, null);
  assert.equal(p.unprofiledTotal, 2570);
  assert.equal(p.hookPerMark, 20);
  assert.deepEqual([p.totalMin, p.totalMax, p.images, p.macs], [2600, 2700, 3, 1000]);
  const text = renderProfile(p);
  assert.match(text, /^1  conv +conv2d +2,000  1,000 +2\.00 +75\.5%$/m);
  assert.match(text, /the 4 marks add 80, 20\.0 per mark/);
});

test('profile: cycles on a real board\'s counter, no unprofiled count on a port; a firmware of another project is refused', () => {
  const p = buildProfile({ board: 'esp32', layers, runs: [{ index: 0, ticks: 1000, marks: [0, 100, 900, 950] }], info: { tickHz: 240_000_000, clockHz: 240_000_000, profileMarks: 4 } });
  assert.equal(p.unit, 'cycles');
  assert.equal(p.hookPerMark, null);
  assert.match(renderProfile(p), /unprofiled firmware not run/);
  // Wall time (the host board's nanoseconds): an unprofiled run is shown, but the difference is not the marks' cost.
  const host = buildProfile({ board: 'host', layers, runs: [{ index: 0, ticks: 1000, marks: [0, 100, 900, 950], unprofiledTicks: 1200 }], info: { tickHz: 1e9, clockHz: 0, profileMarks: 4 } });
  assert.deepEqual([host.unit, host.unprofiledTotal, host.hookPerMark], ['ns', 1200, null]);
  assert.match(renderProfile(host), /not exact counts, so the marks' cost is not measured/);
  assert.throws(
    () => buildProfile({ board: 'esp32', layers, runs: [{ index: 0, ticks: 10, marks: [0, 1, 2] }], info: { ...info, profileMarks: 3 } }),
    kitError('profile-mismatch', /sends 3 marks but the project has 3 layers \(4 marks\)/),
  );
});
