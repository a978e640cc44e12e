/**
 * The real `ixgbevf` process in hostile surroundings: a signal while a directly opened VF waits for a PF
 * that never answers (a long --timeout must not outlast Ctrl-C): a typed one-line error, exit 3; a hangup
 * (SIGHUP: the terminal or SSH session closed) ends a waiting command as SIGTERM does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnCliGuarded } from '../helpers/cli-proc.js';

const STACK = /\n\s+at |node:internal|Node\.js v\d/;

for (const [sig, args] of [
  ['SIGINT', ['info', 'sim:pf=silent']],
  ['SIGTERM', ['set-mac', 'sim:pf=silent', '02:00:00:00:00:01']],
  ['SIGINT', ['link', 'sim:pf=silent']],
] as const) {
  test(`${sig} while ${args[0]} waits on a PF that never answers (--timeout 10 min): ERR_INTERRUPTED, exit 3, one JSON document, at once`, async () => {
    // --verbose traces the request on stderr: the signal comes once the VF waits for the PF's answer. The
    // old code ignored the signal until the 10-minute budget ran out (then called it ERR_MBX_TIMEOUT): the
    // guard kills it and `hung` fails the test.
    const p = spawnCliGuarded([...args, '--timeout', '600000', '--json', '--verbose'], {}, 20_000);
    await p.waitFor(/mbx VF→PF/);
    p.child.kill(sig);
    const r = await p.done;
    assert.equal(r.hung, false, 'ended by the signal, not by the guard');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string; exitCode: number } };
    assert.equal(doc.error.code, 'ERR_INTERRUPTED');
    assert.equal(doc.error.exitCode, 3);
    assert.doesNotMatch(doc.error.message, /did not answer within/);
    assert.match(doc.error.hint, /^ixgbevf info sim:pf=silent$/);
    assert.doesNotMatch(r.stderr, STACK);
  });
}

test('SIGINT while waiting on a silent PF, text mode: the one-line error names the interruption, exit 3', async () => {
  const p = spawnCliGuarded(['info', 'sim:pf=silent', '--timeout', '600000', '--verbose'], {}, 20_000);
  await p.waitFor(/mbx VF→PF/);
  p.child.kill('SIGINT');
  const r = await p.done;
  assert.equal(r.hung, false);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^ixgbevf: error: interrupted \(Ctrl-C \/ SIGTERM\) while waiting for the PF to answer for sim:pf=silent[^\n]*\n {2}fix: ixgbevf info sim:pf=silent\n$/m);
});

for (const [args, ready] of [
  [['watch', 'sim', '--json'], /"type":"watching"/],
  [['set-mac', 'sim', '02:00:00:00:00:01', '--hold'], /holding sim/],
] as const) {
  test(`SIGHUP (the terminal or SSH session closed) ends ${args.join(' ')} as SIGTERM does: the VF released, exit 0, not killed by the signal`, async () => {
    const p = spawnCliGuarded([...args], {}, 20_000);
    await p.waitFor(ready);
    p.child.kill('SIGHUP');
    const r = await p.done;
    assert.equal(r.hung, false);
    assert.equal(r.signal, null, 'ended by itself, not by the signal');
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, STACK);
  });
}
