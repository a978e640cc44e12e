/**
 * `ixgbevf smoke` on the simulated VF: a failed check's fix is phrased for the command line, as the VF
 * commands phrase theirs, and when the fix is a change of the sim spec it names the smoke command that runs
 * the test on that spec, with the user's other options kept; that command runs and passes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';

interface Doc {
  ok: boolean;
  exitCode: number;
  checks: { id: string; status: string; hint?: string; error?: { code: string } }[];
}

/** The `ixgbevf …` command a hint ends with, as argv. */
function smokeCommandIn(hint: string | undefined): string[] {
  const m = /: ixgbevf (smoke (?:\S+ )*\S+)$/.exec(hint ?? '');
  assert.ok(m, `the fix names the smoke command to run: ${hint}`);
  return m[1]!.split(' ');
}

for (const [spec, code, expected] of [
  ['sim:pf=down', 'ERR_PF_IN_RESET', 'sim:pf=up'],
  ['sim:pf=silent', 'ERR_MBX_TIMEOUT', 'sim'],
  ['sim:family=82576,pf=silent', 'ERR_MBX_TIMEOUT', 'sim:family=82576'],
  ['sim:pf=down,family=I350', 'ERR_PF_IN_RESET', 'sim:family=I350,pf=up'],
] as const) {
  test(`smoke ${spec}: reset.answer fails (${code}) and its fix is an ixgbevf smoke command on ${expected} that passes`, async () => {
    const r = await runCli(['smoke', spec, '--poll', '--json', '--timeout', '200']);
    assert.equal(r.code, 4);
    const doc = JSON.parse(r.stdout) as Doc;
    const failed = doc.checks.filter((c) => c.status === 'fail');
    assert.deepEqual(failed.map((c) => [c.id, c.error?.code]), [['reset.answer', code]]);
    const argv = smokeCommandIn(failed[0]!.hint);
    assert.deepEqual(argv, ['smoke', expected, '--poll', '--json', '--timeout', '200'], 'the spec changed, every option kept');
    const again = await runCli(argv);
    assert.equal(again.code, 0, again.stdout);
    assert.equal((JSON.parse(again.stdout) as Doc).ok, true);
  });
}

test('the table prints the same fix under the failed check', async () => {
  const r = await runCli(['smoke', 'sim:pf=down']);
  assert.equal(r.code, 4);
  const fix = r.stdout.split('\n').find((l) => /^\s+fix: /.test(l));
  assert.match(fix ?? '', /: ixgbevf smoke sim:pf=up$/);
});

test('a check skipped for the simulated PF\'s API (sim:api=1.1) names the smoke command on a spec with that API, options kept', async () => {
  const r = await runCli(['smoke', 'sim:api=1.1', '--poll', '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout) as Doc;
  const reta = doc.checks.find((c) => c.id === 'query.reta')!;
  assert.equal(reta.status, 'skip');
  assert.match(reta.hint ?? '', /: ixgbevf smoke sim:api=1\.2 --poll --json /);
});
