/** `ixgbevf smoke` through the CLI (in-process, sim): human table, summary line, --json shape, exit codes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;

test('smoke sim: a table of checks and the summary line, exit 0', async () => {
  const r = await runCli(['smoke', 'sim']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^ixgbevf smoke sim: 82599 VF \(ixgbevf\), PF sim-pf0 vf 0, API 1\.7, interrupts$/m);
  assert.match(r.stdout, /\[pass\] reset\.answer/);
  assert.match(r.stdout, /\[skip\] pf\.reset +opt-in/);
  const m = SUMMARY.exec(r.stdout);
  assert.ok(m, 'summary line');
  assert.equal(m[2], '0');
  assert.equal(r.stdout.trimEnd().split('\n').at(-1), m[0], 'the summary is the last line');
});

test('smoke --json: one document with checks, summary, ok and exitCode', async () => {
  const r = await runCli(['smoke', 'sim', '--json', '--allow-pf-changes']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout) as {
    tool: string;
    vf: string;
    model: string;
    api: string;
    mode: string;
    options: Record<string, boolean>;
    checks: { id: string; group: string; title: string; status: string; reason: string; ms: number }[];
    summary: { passed: number; failed: number; skipped: number };
    ok: boolean;
    exitCode: number;
  };
  assert.equal(doc.tool, 'ixgbevf smoke');
  assert.equal(doc.vf, 'sim');
  assert.equal(doc.api, '1.7');
  assert.deepEqual(doc.options, { allowPfChanges: true, allowPfReset: false, bind: false });
  assert.equal(doc.ok, true);
  assert.equal(doc.exitCode, 0);
  assert.equal(doc.summary.passed + doc.summary.failed + doc.summary.skipped, doc.checks.length);
  for (const c of doc.checks) {
    assert.deepEqual(Object.keys(c).filter((k) => ['id', 'group', 'title', 'status', 'reason', 'ms'].includes(k)).sort(), ['group', 'id', 'ms', 'reason', 'status', 'title']);
    assert.ok(['pass', 'fail', 'skip'].includes(c.status));
  }
  assert.equal(doc.checks.find((c) => c.id === 'pf.trust-off')?.status, 'pass');
});

test('smoke sim:pf=down: exit 4, the failed check prints its fix, summary counts one failure', async () => {
  const r = await runCli(['smoke', 'sim:pf=down']);
  assert.equal(r.code, 4);
  assert.match(r.stdout, /\[FAIL\] reset\.answer/);
  assert.match(r.stdout, /fix: open the simulated VF with the PF setting `pf=up` \(e\.g\. `sim:pf=up`\)/);
  assert.equal(SUMMARY.exec(r.stdout)?.[2], '1');
  assert.match(r.stdout, /send the --json output and the PF's kernel log/);
  assert.match(r.stdout.trimEnd().split('\n').at(-1) ?? '', SUMMARY, 'the summary is the last line, failures too');
});

test('smoke sim:pf=down --json: ok false, exitCode 4 in the document too', async () => {
  const r = await runCli(['smoke', 'sim:pf=down', '--json']);
  assert.equal(r.code, 4);
  const doc = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; summary: { failed: number } };
  assert.equal(doc.ok, false);
  assert.equal(doc.exitCode, 4);
  assert.equal(doc.summary.failed, 1);
});

test('smoke --poll: mode poll, irq check skipped', async () => {
  const r = await runCli(['smoke', 'sim', '--poll', '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout) as { mode: string; checks: { id: string; status: string }[] };
  assert.equal(doc.mode, 'poll');
  assert.equal(doc.checks.find((c) => c.id === 'irq.msix')?.status, 'skip');
});

test('smoke with the igb family: ixgbe-only checks are skipped naming the family', async () => {
  const r = await runCli(['smoke', 'sim:family=i350']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /\[skip\] query\.queues +ixgbe-only: GET_QUEUES does not exist in the igb family \(I350 VF\)/);
});

test('bad input: --pf and --reset-bound are validated (exit 2), bad VF spec too', async () => {
  assert.equal((await runCli(['smoke', 'sim', '--pf', '-bad'])).code, 2);
  assert.equal((await runCli(['smoke', 'sim', '--reset-bound', 'soon'])).code, 2);
  assert.equal((await runCli(['smoke', 'sim:colour=red'])).code, 2);
  const j = await runCli(['smoke', 'sim', '--pf', 'has space', '--json']);
  assert.equal(j.code, 2);
  assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'ERR_INVALID_IFNAME');
});

test('smoke --help names the opt-in flags and the docs', async () => {
  const r = await runCli(['smoke', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--pf <ifname>', '--bind', '--allow-pf-changes', '--allow-pf-reset', '--poll', '--json']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /docs\/hardware\.md/);
});
