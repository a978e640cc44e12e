/**
 * An untyped error inside the daemon (a bug) reaches the client as ERR_INTERNAL, exit 1: its cause is one
 * line on the wire, as every error's (a client prints `ixgbevf: error: <cause>`; a multi-line message broke
 * that line and the --json reader's one-line contract), and the original error is kept as its cause.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asIxgbevfError } from '../../src/daemon/errors.js';
import { errorToWire } from '../../src/daemon/protocol.js';
import { ExitCode } from '../../src/errors.js';

test('an untyped multi-line error becomes one ERR_INTERNAL line (exit 1), with the original as its cause', () => {
  const original = new TypeError('  cannot read x\n    of undefined\r\n  at somewhere  ');
  const e = asIxgbevfError(original);
  assert.equal(e.code, 'ERR_INTERNAL');
  assert.equal(e.exitCode, ExitCode.bug);
  assert.equal(e.message, 'internal error: cannot read x of undefined at somewhere');
  assert.equal(e.cause, original);
  const wire = errorToWire(e);
  assert.doesNotMatch(wire.message, /\n|\r/);
  assert.equal(typeof wire.hint, 'string');
});

test('a thrown non-Error value is one line too; a typed error passes through unchanged', () => {
  assert.equal(asIxgbevfError('a\nb').message, 'internal error: a b');
  const typed = asIxgbevfError(new TypeError('x'));
  assert.equal(asIxgbevfError(typed), typed);
});
