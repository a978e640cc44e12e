/**
 * The smoke engine's interruption (`SmokeOptions.signal`, the CLI's Ctrl-C / SIGTERM) against `sim`: an
 * abort before the run, at a check boundary, while the PF is down and while pf.reset waits for it to come
 * back. Each time the check that runs ends (skip, "interrupted … while it ran"), every check left is
 * skipped ("interrupted … not run"), the release steps run to their end (pf.restore too when the PF was
 * changed), and the report says `interrupted`, exit 3 unless a check failed first. `SmokeOptions.pending`
 * lists what is changed and not put back yet, and is empty once the release ran. The aborts come from the
 * run's own progress (a check recorded, a PF operation called), never from a timer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PendingRestores,
  SMOKE_CHECKS,
  formatSmokeReport,
  simPfSide,
  type PendingRestore,
  type PfSide,
  type SmokeCheck,
  type SmokeOptions,
} from '../../src/smoke/index.js';
import { smokeOnSim, type SmokeRunResult } from '../helpers/smoke-run.js';

const NOT_RUN = 'interrupted (Ctrl-C / SIGTERM): not run';
const STOPPED = 'interrupted (Ctrl-C / SIGTERM) while it ran: stopped, not judged';
const RELEASE = ['release.restore', 'release.view', 'release.driver'];

interface Run extends SmokeRunResult {
  pending: PendingRestores;
}

async function smoke(spec: string, opts: Partial<SmokeOptions> = {}): Promise<Run> {
  const pending = opts.pending ?? new PendingRestores();
  return { ...(await smokeOnSim(spec, { ...opts, pending })), pending };
}

const ids = (r: Run, pred: (c: SmokeCheck) => boolean): string[] => r.report.checks.filter(pred).map((c) => c.id);

/** The checks after `id` in run order that are not release steps, all skipped as not run. */
function assertRestNotRun(r: Run, expected: string[]): void {
  assert.deepEqual(ids(r, (c) => c.reason === NOT_RUN).sort(), [...expected].sort());
}

function assertReleaseRan(r: Run): void {
  for (const id of RELEASE) {
    const c = r.byId[id]!;
    assert.ok(c !== undefined, `${id} in the report`);
    assert.doesNotMatch(c.reason, /interrupted/, `${id} ran: ${c.reason}`);
  }
}

function assertInterrupted(r: Run, exitCode = 3): void {
  assert.equal(r.report.interrupted, true);
  assert.equal(r.report.ok, false);
  assert.equal(r.report.exitCode, exitCode);
  assert.deepEqual(r.report.checks.map((c) => c.id), SMOKE_CHECKS.map((c) => c.id), 'the whole table, in order');
  assert.deepEqual(r.pending.list(), [], 'nothing left pending once the release ran');
}

/** A simulated PF side that calls `hooks` around its operations (to abort, or to hold the PF down). */
function hookedPf(hooks: { afterDown?: (pf: PfSide) => void; up?: (real: () => Promise<void>) => Promise<void> }): SmokeOptions['pfSide'] {
  return (handle, pfName, vfIndex) => {
    const pf = simPfSide(handle.sim!, pfName ?? 'sim-pf0', vfIndex!);
    return {
      ...pf,
      interfaceDown: async () => {
        await pf.interfaceDown();
        hooks.afterDown?.(pf);
      },
      interfaceUp: () => (hooks.up === undefined ? pf.interfaceUp() : hooks.up(() => pf.interfaceUp())),
    };
  };
}

describe('no interruption', () => {
  test('pending names each change while it is in force and nothing at the end; the report has no `interrupted` key, ok and exit as before', async () => {
    const pending = new PendingRestores();
    const during: Record<string, string[]> = {};
    const r = await smoke('sim', {
      allowPfChanges: true,
      allowPfReset: true,
      signal: new AbortController().signal,
      pending,
      onCheck: (c) => void (during[c.id] = pending.list().map((p) => p.restore)),
    });
    assert.deepEqual(during['reset.answer'], [], 'nothing changed yet');
    assert.deepEqual(during['pf.trust-on'], ['ip link set sim-pf0 vf 0 trust off; ip link set sim-pf0 vf 0 mac 00:00:00:00:00:00', 'ip link set sim-pf0 vf 0 mac 00:00:00:00:00:00']);
    assert.deepEqual(during['pf.restore'], ['ip link set sim-pf0 vf 0 mac 00:00:00:00:00:00'], 'the PF settings are back; the test MAC may still be in the view');
    assert.deepEqual(during['release.restore'], []);
    assert.equal('interrupted' in r.report, false);
    assert.equal(r.report.ok, true);
    assert.equal(r.report.exitCode, 0);
    const text = formatSmokeReport(r.report);
    assert.doesNotMatch(text.join('\n'), /interrupted/);
    assert.match(text.at(-1)!, /^\d+ passed, 0 failed, \d+ skipped$/);
    assert.deepEqual(r.pending.list(), []);
  });
});

describe('interrupted', () => {
  test('before the run: every check is skipped as not run, the VF is never opened, release.driver runs; exit 3', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await smoke('sim', { signal: ac.signal });
    assert.equal(r.handle, null, 'not opened');
    assertRestNotRun(r, SMOKE_CHECKS.map((c) => c.id).filter((id) => id !== 'release.driver'));
    assert.match(r.byId['release.driver']!.reason, /^not asked/);
    assertInterrupted(r);
    const text = formatSmokeReport(r.report);
    assert.ok(text.includes('interrupted (Ctrl-C / SIGTERM): the checks left were skipped; the release steps ran (ERR_INTERRUPTED)'), text.join('\n'));
    assert.match(text.at(-1)!, /^0 passed, 0 failed, 28 skipped \(interrupted\)$/);
    assert.ok(!text.some((l) => /a check failed/.test(l)));
  });

  test('at a check boundary (after config.mtu): the checks after it are not run, the release steps run; exit 3', async () => {
    const ac = new AbortController();
    const r = await smoke('sim', { signal: ac.signal, onCheck: (c) => c.id === 'config.mtu' && ac.abort() });
    assert.equal(r.byId['config.mtu']!.status, 'pass');
    assertRestNotRun(r, ['config.vlan', 'config.multicast', 'config.xcast', 'irq.msix', 'pf.trust-off', 'pf.trust-on', 'pf.restore', 'pf.reset', 'api.coverage']);
    assertReleaseRan(r);
    assertInterrupted(r);
  });

  test('after pf.trust-on changed the PF: pf.restore still runs and puts trust and the admin MAC back; pf.reset is not run', async () => {
    const ac = new AbortController();
    const seen: PendingRestore[][] = [];
    const pending = new PendingRestores();
    const r = await smoke('sim', {
      allowPfChanges: true,
      allowPfReset: true,
      signal: ac.signal,
      pending,
      onCheck: (c) => {
        if (c.id !== 'pf.trust-on') return;
        seen.push(pending.list());
        ac.abort();
      },
    });
    assert.equal(r.byId['pf.trust-on']!.status, 'pass');
    assert.equal(r.byId['pf.restore']!.status, 'pass', r.byId['pf.restore']!.reason);
    assert.match(r.byId['pf.restore']!.reason, /^restored: trust off, mac none/);
    assertRestNotRun(r, ['pf.reset', 'api.coverage']);
    assertReleaseRan(r);
    assertInterrupted(r);
    const view = r.handle!.sim!.vfInfo();
    assert.equal(view.trust, false, 'trust back off');
    assert.equal(view.mac, null, 'no MAC left in the PF view');
    // While pf.trust-on held the PF changed, pending named it with its restore command.
    assert.deepEqual(seen[0], [
      { what: 'sim-pf0 vf 0 trust and administrator MAC (pf.trust-off/on change them; they were trust off, mac none)', restore: 'ip link set sim-pf0 vf 0 trust off; ip link set sim-pf0 vf 0 mac 00:00:00:00:00:00' },
      { what: 'sim-pf0 vf 0 mac: the PF may keep a test MAC (it had none)', restore: 'ip link set sim-pf0 vf 0 mac 00:00:00:00:00:00' },
    ]);
  });

  test('while the PF is down (pf.reset): the check stops, the PF is brought up again, the checks left are not run; exit 3', async () => {
    const ac = new AbortController();
    const pending = new PendingRestores();
    let whileDown: PendingRestore[] = [];
    const r = await smoke('sim', {
      allowPfReset: true,
      signal: ac.signal,
      pending,
      pfSide: hookedPf({
        afterDown: () => {
          whileDown = pending.list();
          ac.abort();
        },
      }),
    });
    assert.equal(r.byId['pf.reset']!.status, 'skip');
    assert.equal(r.byId['pf.reset']!.reason, STOPPED);
    assert.equal(r.handle!.sim!.vfInfo().pfUp, true, 'the PF is up again');
    assert.deepEqual(whileDown[0], { what: 'sim-pf0 is down (pf.reset took it down)', restore: 'ip link set sim-pf0 up' }, 'the latest change first');
    assertRestNotRun(r, ['api.coverage']);
    assertReleaseRan(r);
    assertInterrupted(r);
  });

  test('while pf.reset waits for the PF to come back (bound 10 min): the wait ends at once, the release runs; exit 3', { timeout: 30_000 }, async () => {
    const ac = new AbortController();
    const r = await smoke('sim', {
      allowPfReset: true,
      resetBoundMs: 600_000,
      signal: ac.signal,
      // "ip link set up" taken, the PF stays in reset: every VF reset fails and pf.reset retries until its bound.
      pfSide: hookedPf({
        up: () => {
          setImmediate(() => ac.abort());
          return Promise.resolve();
        },
      }),
    });
    assert.equal(r.byId['pf.reset']!.reason, STOPPED);
    assertRestNotRun(r, ['api.coverage']);
    assertReleaseRan(r);
    assertInterrupted(r);
  });

  test('a check that failed before the interruption keeps its exit code (1: a wrong value); interrupted all the same', async () => {
    const ac = new AbortController();
    const r = await smoke('sim:mac=02:00:00:00:00:01', {
      signal: ac.signal,
      onCheck: (c) => c.id === 'reset.mac' && ac.abort(),
      // The PF's view shows another MAC than the reset gave: reset.mac fails.
      pfSide: (handle, pfName, vfIndex) => {
        const pf = simPfSide(handle.sim!, pfName ?? 'sim-pf0', vfIndex!);
        return { ...pf, view: async () => ({ ...(await pf.view()), mac: '02:00:00:00:00:99' }) };
      },
    });
    assert.equal(r.byId['reset.mac']!.status, 'fail');
    assertRestNotRun(r, ['api.version', 'api.coverage', 'query.queues', 'query.reta', 'query.rss-key', 'query.link-state', 'query.pf-link', 'query.link-register', 'config.set-mac', 'config.macvlan', 'config.mtu', 'config.vlan', 'config.multicast', 'config.xcast', 'irq.msix', 'pf.trust-off', 'pf.trust-on', 'pf.restore', 'pf.reset']);
    assertReleaseRan(r);
    assertInterrupted(r, 1);
    const text = formatSmokeReport(r.report).join('\n');
    assert.match(text, /a check failed/);
    assert.match(text, /interrupted \(Ctrl-C \/ SIGTERM\): the checks left were skipped/);
  });
});
