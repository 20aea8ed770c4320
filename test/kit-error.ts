import assert from 'node:assert/strict';
import { KitError } from '../src/errors.js';

/** An assert.throws/rejects matcher: a one-line KitError with this code (and message pattern). */
export function kitError(code: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof KitError, `expected a KitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    assert.ok(!e.format().includes('\n'), `not one line: ${e.format()}`);
    return true;
  };
}
