/**
 * Every op's rounding against hand-derived values (rounding-cases.ts): the integer reference
 * interpreter, and the generated C compiled with gcc, must both give them exactly. The other golden
 * tests compare the C with the interpreter; these compare both with values neither produced.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { generateC } from '../../src/codegen/index.js';
import { runBatch } from '../../src/ir/interpreter.js';
import { opNames } from '../../src/ops/registry.js';
import { compileModel, runModel, tmpDir } from '../codegen/helpers.js';
import { missing } from '../tools.js';
import { COMPOSED_OF, NO_ROUNDING, ROUNDING_CASES, type RoundingCase } from './rounding-cases.js';

const SCHEMES = ['int8', 'uint8'] as const;

test('every op either has hand-derived rounding cases or is listed as unable to round', () => {
  for (const op of opNames()) {
    if (op in COMPOSED_OF) {
      for (const part of COMPOSED_OF[op]) assert.ok(part in ROUNDING_CASES, `op '${op}' is composed of '${part}', which has no hand-derived rounding cases`);
      continue;
    }
    assert.ok(op in ROUNDING_CASES || op in NO_ROUNDING, `op '${op}' has no hand-derived rounding cases: add them to test/ops/rounding-cases.ts (or list it in NO_ROUNDING with the reason)`);
  }
});

/** The first index where two value lists differ, as a message. */
function firstDifference(got: ArrayLike<number>, c: RoundingCase): string {
  const i = c.expected.findIndex((v, k) => v !== got[k]);
  return `output ${i}: got ${got[i]}, hand-derived ${c.expected[i]}`;
}

describe('rounding: the integer reference gives the hand-derived values', () => {
  for (const [op, cases] of Object.entries(ROUNDING_CASES)) {
    for (const scheme of SCHEMES) {
      for (const c of cases(scheme)) {
        test(c.name, () => {
          const { outputs } = runBatch(c.graph, c.images, c.count);
          assert.equal(outputs.length, c.expected.length, `${op}: output length`);
          assert.ok(c.expected.every((v, i) => v === outputs[i]), firstDifference(outputs, c));
        });
      }
    }
  }
});

describe('rounding: the generated C (gcc -O2) gives the hand-derived values', { skip: missing('gcc') }, () => {
  for (const scheme of SCHEMES) {
    test(`${scheme}: every op's cases`, async () => {
      const dir = tmpDir(`rounding-${scheme}`);
      let n = 0;
      for (const cases of Object.values(ROUNDING_CASES)) {
        for (const c of cases(scheme)) {
          const gen = await generateC({ graph: c.graph, board: 'host', outDir: join(dir, `model${n}`) });
          const bytes = runModel(compileModel(gen.outDir, join(dir, `model${n++}.bin`)), c.images);
          // The output's own type: quantize can change it (int8 <-> uint8).
          const signed = c.graph.tensors[c.graph.outputs[0]].dtype === 'int8';
          const got = signed ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
          assert.equal(got.length, c.expected.length, `${c.name}: output length`);
          assert.ok(c.expected.every((v, i) => v === got[i]), `${c.name}: ${firstDifference(got, c)}`);
        }
      }
    });
  }
});
