/**
 * A Ctrl-C that lands while the VF reset waits for a PF that never answers (sim:pf=silent): the reset
 * runs to its --timeout and fails, the run stops there as it would have anyway, and the report says
 * interrupted (as the notice on stderr did) while keeping the failed check's exit code (4) and its cause
 * as the reason the checks left were not run. The signal is sent on the mailbox trace of VF_RESET, not on
 * a timer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smokeOnSim } from '../helpers/smoke-run.js';

test('signal during reset.answer on a silent PF: interrupted: true, ok false, exit 4 (the failure), the reset failure named as why the rest did not run', async () => {
  const ac = new AbortController();
  const { report, byId } = await smokeOnSim('sim:pf=silent', {
    timeoutMs: 200,
    signal: ac.signal,
    onTrace: (ev) => {
      if (ev.direction === 'vf-to-pf') ac.abort();
    },
  });
  assert.equal(byId['reset.answer']?.status, 'fail');
  assert.equal(byId['reset.answer']?.error?.code, 'ERR_MBX_TIMEOUT');
  assert.equal(report.interrupted, true);
  assert.equal(report.ok, false);
  assert.equal(report.exitCode, 4, 'the failed check keeps its exit code');
  assert.match(byId['api.version']!.reason, /the VF reset failed/);
});

test('the same run without a signal: no interrupted key', async () => {
  const { report } = await smokeOnSim('sim:pf=silent', { timeoutMs: 50, signal: new AbortController().signal });
  assert.equal('interrupted' in report, false);
  assert.equal(report.exitCode, 4);
});
