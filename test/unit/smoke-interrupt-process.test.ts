/**
 * Ctrl-C / SIGTERM during `ixgbevf smoke`, on the real binary in a child process (src/cli/main.ts through
 * tsx, with test/helpers/smoke-hold.mjs holding the simulated PF where the test needs the run to wait).
 *
 * The first signal stops the check that runs (pf.reset, waiting for a PF that does not come back, its
 * --reset-bound 10 minutes), skips the checks left as interrupted and still runs the release steps; the
 * report is printed whole (one JSON document with --json), exit 3 (ERR_INTERRUPTED). A second signal
 * during the restore exits at once (130 / 143) and names, one line each, what is left changed and the
 * command that puts it back. With --bind over a fake sysfs tree, one Ctrl-C puts the VF back on its
 * driver. Before, smoke ignored the first signal: the run went on waiting (here: until the guard killed
 * it), and the second exited without a word. Every wait is on the child's output, never on a timer.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';
import type { SmokeHoldConfig } from '../helpers/smoke-hold-vf.js';
import { spawnHeldCli } from '../helpers/smoke-proc.js';

/** Both opt-in groups, and a reset bound far longer than any test: pf.reset waits until interrupted. */
const LONG_RUN = ['--allow-pf-changes', '--allow-pf-reset', '--reset-bound', '600000'];
const NOTICE = /^ixgbevf: smoke interrupted: stopping the checks, then restoring the VF and the PF \(Ctrl-C again abandons the restore\)$/m;
const HELD_PF_UP = /"event":"test-smoke-hold","op":"interfaceUp"/;
const HELD_RESTORE = /"event":"test-smoke-hold","op":"setAdminMac"/;

interface Doc {
  ok: boolean;
  interrupted?: boolean;
  exitCode: number;
  summary: { passed: number; failed: number; skipped: number };
  checks: { id: string; status: string; reason: string }[];
}

/** Runs `args`, sends `signals` in turn, each once the output matches its pattern; returns the end. */
async function interrupt(args: string[], hold: SmokeHoldConfig, signals: [RegExp, NodeJS.Signals][], env: NodeJS.ProcessEnv = {}) {
  const p = spawnHeldCli(args, hold, env);
  try {
    for (const [ready, sig] of signals) {
      await p.waitFor(ready);
      p.child.kill(sig);
    }
  } catch (err) {
    p.child.kill('SIGKILL');
    throw err;
  }
  const r = await p.done;
  assert.equal(r.hung, false, `the process had to be killed:\nstdout=${r.stdout}\nstderr=${r.stderr}`);
  return r;
}

function assertInterruptedDoc(doc: Doc): Map<string, { status: string; reason: string }> {
  const byId = new Map(doc.checks.map((c) => [c.id, c]));
  const is = (id: string, status: string, reason: RegExp): void => {
    const c = byId.get(id);
    assert.equal(c?.status, status, `${id}: ${JSON.stringify(c)}`);
    assert.match(c.reason, reason, id);
  };
  assert.equal(doc.interrupted, true);
  assert.equal(doc.ok, false);
  assert.equal(doc.exitCode, 3, 'ERR_INTERRUPTED: exit 3');
  assert.equal(doc.summary.failed, 0);
  assert.equal(doc.checks.length, 28, 'the whole table');
  is('pf.trust-off', 'pass', /refused/);
  is('pf.restore', 'pass', /^restored: trust off, mac none/);
  is('pf.reset', 'skip', /^interrupted \(Ctrl-C \/ SIGTERM\) while it ran: stopped, not judged$/);
  is('api.coverage', 'skip', /^interrupted \(Ctrl-C \/ SIGTERM\): not run$/);
  // The release steps ran (their own outcomes, not "interrupted").
  is('release.restore', 'pass', /^mac none put back from the PF/);
  is('release.view', 'pass', /^reported \(not judged\)/);
  is('release.driver', 'skip', /^not asked/);
  return byId;
}

test('one SIGINT while pf.reset waits: the check stops, the checks left are skipped (interrupted), the release steps run; the table, exit 3', { timeout: 60_000 }, async () => {
  const r = await interrupt(['smoke', 'sim', ...LONG_RUN], { holdPfUp: true }, [[HELD_PF_UP, 'SIGINT']]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, NOTICE, 'a notice at the first signal');
  assert.equal(r.stderr.match(/smoke interrupted/g)?.length, 1);
  assert.match(r.stdout, /^ {2}\[skip\] pf\.reset +interrupted \(Ctrl-C \/ SIGTERM\) while it ran: stopped, not judged$/m);
  assert.match(r.stdout, /^ {2}\[skip\] api\.coverage +interrupted \(Ctrl-C \/ SIGTERM\): not run$/m);
  assert.match(r.stdout, /^ {2}\[pass\] pf\.restore +restored: trust off, mac none/m);
  assert.match(r.stdout, /^ {2}\[pass\] release\.restore +mac none put back from the PF/m);
  assert.match(r.stdout, /^ {2}\[pass\] release\.view +reported/m);
  assert.match(r.stdout, /^ {2}\[skip\] release\.driver +not asked/m);
  assert.match(r.stdout, /^interrupted \(Ctrl-C \/ SIGTERM\): the checks left were skipped; the release steps ran \(ERR_INTERRUPTED\)$/m);
  assert.match(r.stdout, /^\d+ passed, 0 failed, \d+ skipped \(interrupted\)\n$/m);
  assert.doesNotMatch(r.stdout, /a check failed/);
});

test('one SIGINT with --json: one parseable document, interrupted: true, exit 3', { timeout: 60_000 }, async () => {
  const r = await interrupt(['smoke', 'sim', ...LONG_RUN, '--json'], { holdPfUp: true }, [[HELD_PF_UP, 'SIGINT']]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, NOTICE);
  assertInterruptedDoc(JSON.parse(r.stdout) as Doc);
});

test('one SIGTERM: the same (stop, skip, release, one document), exit 3, not 143', { timeout: 60_000 }, async () => {
  const r = await interrupt(['smoke', 'sim', ...LONG_RUN, '--json'], { holdPfUp: true }, [[HELD_PF_UP, 'SIGTERM']]);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.signal, null);
  assert.match(r.stderr, NOTICE);
  assertInterruptedDoc(JSON.parse(r.stdout) as Doc);
});

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`a second ${sig} during the restore: exit ${code} at once, naming what is left changed and the command that restores it`, { timeout: 60_000 }, async () => {
    const r = await interrupt(['smoke', 'sim', ...LONG_RUN, '--json'], { holdPfUp: true, holdRestore: true }, [
      [HELD_PF_UP, sig],
      [HELD_RESTORE, sig],
    ]);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, NOTICE);
    const last = r.stderr.split('\n').filter((l) => l.startsWith('ixgbevf: smoke restore abandoned'));
    // The simulated PF ends with the process: no `ip link set sim-pf0 …` for an interface that does not exist.
    assert.deepEqual(last, ['ixgbevf: smoke restore abandoned: nothing is left changed: the simulated VF and its PF end with this process']);
    assert.equal(r.stdout, '', 'abandoned: no report');
  });
}

const VF = '0000:01:10.0';
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

/** An 82599 PF with its VF 0000:01:10.0 on ixgbevf; the child opens that address as a sim VF and its sysfs writes go through the tree's simulated kernel. */
function bindSetup(hold: SmokeHoldConfig): { f: FakeSys; hold: SmokeHoldConfig } {
  const f = new FakeSys(sriov82599({ vfDrivers: ['ixgbevf', 'ixgbevf'] }).spec);
  fakes.push(f);
  return { f, hold: { ...hold, sims: { [VF]: 'sim' }, kernel: { sysRoot: f.sysRoot, devRoot: f.devRoot, spec: f.spec } } };
}

test('smoke --bind on a fake sysfs tree: after one Ctrl-C the VF is back on ixgbevf (release.driver ran), exit 3', { timeout: 60_000 }, async () => {
  const { f, hold } = bindSetup({ holdPfUp: true });
  const r = await interrupt(['smoke', VF, '--bind', ...LONG_RUN, '--json'], hold, [[HELD_PF_UP, 'SIGINT']], f.env);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout) as Doc;
  const byId = new Map(doc.checks.map((c) => [c.id, c]));
  assert.match(byId.get('env.driver')!.reason, /bound to vfio-pci for the test \(was ixgbevf/);
  assert.equal(byId.get('pf.reset')?.status, 'skip');
  assert.match(byId.get('pf.reset')!.reason, /^interrupted/);
  assert.equal(byId.get('release.driver')?.status, 'pass', JSON.stringify(byId.get('release.driver')));
  assert.equal(byId.get('release.driver')!.reason, 'back on ixgbevf');
  assert.equal(f.driverOf(VF), 'ixgbevf', 'the VF is back on its driver');
  assert.equal(doc.interrupted, true);
});

test('smoke --bind, a second Ctrl-C during the restore: the VF stays on vfio-pci, and the printed unbind command puts it back', { timeout: 60_000 }, async () => {
  const { f, hold } = bindSetup({ holdPfUp: true, holdRestore: true });
  const r = await interrupt(['smoke', VF, '--bind', ...LONG_RUN], hold, [
    [HELD_PF_UP, 'SIGINT'],
    [HELD_RESTORE, 'SIGINT'],
  ], f.env);
  assert.equal(r.code, 130, r.stderr);
  const last = r.stderr.split('\n').filter((l) => l.startsWith('ixgbevf: smoke restore abandoned'));
  assert.deepEqual(last, [
    'ixgbevf: smoke restore abandoned: left changed: sim-pf0 vf 0 mac: the PF may keep a test MAC (it had none); restore: ip link set sim-pf0 vf 0 mac 00:00:00:00:00:00',
    `ixgbevf: smoke restore abandoned: left changed: ${VF} is on vfio-pci (was ixgbevf); restore: ixgbevf unbind ${VF} --driver ixgbevf`,
  ]);
  assert.equal(f.driverOf(VF), 'vfio-pci', 'abandoned: left where the lines say');
  const fix = await runCli(['unbind', VF, '--driver', 'ixgbevf'], { sysfs: f.opts });
  assert.equal(fix.code, 0, fix.stderr);
  assert.equal(f.driverOf(VF), 'ixgbevf', 'the printed command restores it');
});
