/**
 * A PF that does not answer (ERR_MBX_TIMEOUT, exit 4): on a real VF the fix is a command that checks what
 * usually causes it (`ixgbevf doctor <vf>`: the PF's driver and interface), not a question; the cause line
 * and the code stay the mailbox layer's. Used by the one-shot commands, `--hold`'s recovery and the daemon.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainError } from '../../src/daemon/explain.js';
import { MailboxTimeoutError } from '../../src/errors.js';
import { pfTimeout } from '../../src/mbx/failures.js';
import type { VfHandle } from '../../src/open/types.js';
import { run } from '../../src/cli/program.js';

function handle(kind: 'vfio' | 'sim'): VfHandle {
  return { id: kind === 'sim' ? 'sim' : '0000:03:10.1', kind, pfName: 'enp3s0f0', vfIndex: 1, vf: { lastReset: null } } as unknown as VfHandle;
}

/** The command part of a hint (before its parenthesised note) parses as an ixgbevf command line. */
async function parses(hint: string): Promise<void> {
  const words = hint.split('   (')[0]!.trim().split(/\s+/);
  assert.equal(words[0], 'ixgbevf');
  const out: string[] = [];
  const code = await run(words.slice(1), { stdout: (s) => out.push(s), stderr: (s) => out.push(s), env: {}, signal: new AbortController().signal, parseOnly: true });
  assert.equal(code, 0, `${hint}\n${out.join('')}`);
}

for (const sticky of [false, true]) {
  test(`a timeout on a real VF${sticky ? ' (igbvf: reset first)' : ''}: fix = ixgbevf doctor <vf>, same code, exit 4 and cause`, async () => {
    const err = pfTimeout('pf-message', 1000, sticky);
    const x = explainError(err, handle('vfio'), 'set-mac', '02:00:00:00:00:01');
    assert.ok(x instanceof MailboxTimeoutError);
    assert.equal(x.code, 'ERR_MBX_TIMEOUT');
    assert.equal(x.exitCode, 4);
    assert.equal(x.message, err.message);
    assert.match(x.hint ?? '', /^ixgbevf doctor 0000:03:10\.1 {3}\(checks the PF's driver and that enp3s0f0 is up; /);
    assert.match(x.hint ?? '', sticky ? /the VF is reset before its next use\)$/ : /the next request is sent normally\)$/);
    assert.equal((x.details as { vf?: string }).vf, '0000:03:10.1');
    await parses(x.hint!);
  });
}

test('a timeout on the simulated VF keeps the mailbox layer\'s words (no host to check)', () => {
  const err = pfTimeout('pf-message', 1000, false);
  assert.equal(explainError(err, handle('sim'), 'reset'), err);
});
