import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beta1At, learningRateAt } from '../../src/train/lr-schedule.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${a} vs ${b}`);

test('one-cycle follows PyTorch OneCycleLR defaults', () => {
  const r = { epochs: 1, batch: 1, lr: 2e-3, schedule: 'one-cycle' as const };
  // 1000 steps: warm-up ends at step 299 (peak), ends at peak / 25 / 1e4 on the last step.
  close(learningRateAt(r, 0, 1000), 2e-3 / 25);
  close(learningRateAt(r, 299, 1000), 2e-3);
  close(learningRateAt(r, 999, 1000), 2e-3 / 25 / 1e4);
  // Halfway through the warm-up the cosine is at the midpoint of initial and peak.
  close(learningRateAt(r, 149.5, 1000), (2e-3 / 25 + 2e-3) / 2);
  assert.ok(learningRateAt(r, 500, 1000) < learningRateAt(r, 400, 1000));
});

test('constant stays constant', () => {
  const r = { epochs: 1, batch: 1, lr: 1e-4, schedule: 'constant' as const };
  close(learningRateAt(r, 0, 10), 1e-4);
  close(learningRateAt(r, 9, 10), 1e-4);
});

test('one-cycle cycles Adam beta1 against the rate, as OneCycleLR does (0.95 -> 0.85 at the peak -> 0.95)', () => {
  const r = { epochs: 1, batch: 1, lr: 2e-3, schedule: 'one-cycle' as const };
  close(beta1At(r, 0, 1000), 0.95);
  close(beta1At(r, 299, 1000), 0.85);
  close(beta1At(r, 149.5, 1000), 0.9);
  close(beta1At(r, 999, 1000), 0.95);
  assert.ok(beta1At(r, 400, 1000) < beta1At(r, 500, 1000));
  close(beta1At({ ...r, schedule: 'constant' }, 500, 1000), 0.9);
});
