/** The smoke engine (src/smoke) against `sim`: every check's pass, fail and skip paths. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EnvironmentError } from '../../src/errors.js';
import { openVf } from '../../src/open/open-vf.js';
import type { OpenOptions, VfHandle } from '../../src/open/types.js';
import { runSmoke, SMOKE_CHECKS, simPfSide, type PfSide } from '../../src/smoke/index.js';
import { SMOKE_MACS, smokeOnSim, type SmokeRunResult } from '../helpers/smoke-run.js';

const statusOf = (r: SmokeRunResult, id: string): string => `${r.byId[id]?.status}: ${r.byId[id]?.reason}`;

function assertStatus(r: SmokeRunResult, ids: readonly string[], status: 'pass' | 'fail' | 'skip'): void {
  for (const id of ids) assert.equal(r.byId[id]?.status, status, `${id} → ${statusOf(r, id)}`);
}

describe('default sim (82599, API 1.7, no admin MAC)', () => {
  test('nothing fails, the core checks pass, exit 0, the table is complete and ordered', async () => {
    const r = await smokeOnSim('sim');
    assert.equal(r.report.summary.failed, 0, JSON.stringify(r.report.checks.filter((c) => c.status === 'fail')));
    assert.equal(r.report.exitCode, 0);
    assert.equal(r.report.ok, true);
    assert.deepEqual(r.report.checks.map((c) => c.id), SMOKE_CHECKS.map((c) => c.id));
    assertStatus(r, ['env.open', 'env.pf-view', 'reset.answer', 'reset.mac', 'api.version', 'api.coverage', 'query.queues', 'query.link-state', 'query.link-register', 'config.set-mac', 'config.macvlan', 'config.mtu', 'config.vlan', 'config.multicast', 'config.xcast', 'irq.msix', 'release.view'], 'pass');
    assert.equal(r.report.api, '1.7');
    assert.equal(r.report.model, '82599');
    const s = r.report.summary;
    assert.equal(s.passed + s.failed + s.skipped, SMOKE_CHECKS.length);
    for (const c of r.report.checks) assert.ok(c.reason.length > 0, `${c.id} has a reason`);
  });

  test('skips say why: query_rss off, E610-only, sim has no PCI device, opt-in groups', async () => {
    const r = await smokeOnSim('sim');
    assert.match(r.byId['query.reta']!.reason, /query_rss is off/);
    assert.match(r.byId['query.reta']!.hint ?? '', /sim:rss=on/);
    assert.match(r.byId['query.pf-link']!.reason, /E610-only/);
    assert.match(r.byId['env.driver']!.reason, /simulated/);
    for (const id of ['pf.trust-off', 'pf.trust-on', 'pf.restore']) assert.match(r.byId[id]!.reason, /opt-in.*--allow-pf-changes/);
    assert.match(r.byId['pf.reset']!.reason, /opt-in.*--allow-pf-reset/);
  });

  test('set-mac shows in the PF view; api.coverage lists every operation the API allows as tried', async () => {
    const r = await smokeOnSim('sim');
    assert.match(r.byId['config.set-mac']!.reason, /02:aa:00:00:00:01 appeared/);
    const details = r.byId['api.coverage']!.details as { tried: string[]; missing: string[] };
    assert.deepEqual(details.missing, []);
    for (const op of ['SET_MAC_ADDR', 'SET_MULTICAST', 'SET_VLAN', 'SET_LPE', 'SET_MACVLAN', 'API_NEGOTIATE', 'GET_QUEUES', 'GET_RETA', 'GET_RSS_KEY', 'UPDATE_XCAST_MODE', 'GET_LINK_STATE', 'GET_PF_LINK_STATE', 'FEATURES_NEGOTIATE']) {
      assert.ok(details.tried.includes(op), `${op} tried`);
    }
  });

  test('the xcast check reports the granted mode (untrusted: multi)', async () => {
    const r = await smokeOnSim('sim');
    assert.equal((r.byId['config.xcast']!.details as { granted: string }).granted, 'multi');
    assert.match(r.byId['config.xcast']!.reason, /granted multi \(VF not trusted\)/);
    const t = await smokeOnSim('sim:trust=on');
    assert.equal((t.byId['config.xcast']!.details as { granted: string }).granted, 'allmulti');
  });

  test('the original MAC is put back when there was one (trusted VF with an admin MAC)', async () => {
    const r = await smokeOnSim('sim:mac=02:00:00:00:00:aa,trust=on');
    assertStatus(r, ['config.set-mac'], 'pass');
    assert.match(r.byId['config.set-mac']!.reason, /02:00:00:00:00:aa restored/);
    assert.equal(r.handle!.sim!.vfInfo().mac, '02:00:00:00:00:aa');
  });
});

describe('PF down', () => {
  test('reset.answer fails with the `ip link set <pf> up` hint, exit 4, the rest is skipped with the reason', async () => {
    const r = await smokeOnSim('sim:pf=down');
    assertStatus(r, ['reset.answer'], 'fail');
    assert.match(r.byId['reset.answer']!.hint ?? '', /sim:pf=up/);
    assert.doesNotMatch(r.byId['reset.answer']!.hint ?? '', /sim-pf0/);
    assert.equal(r.byId['reset.answer']!.error?.code, 'ERR_PF_IN_RESET');
    assert.equal(r.report.exitCode, 4);
    assert.equal(r.report.ok, false);
    assert.equal(r.report.summary.failed, 1);
    for (const id of ['reset.mac', 'api.version', 'config.set-mac', 'pf.reset']) assert.match(r.byId[id]!.reason, /reset failed/, id);
    assert.equal(r.report.api, null);
  });
});

describe('older PF: sim:api=1.1', () => {
  test('API-dependent checks skip naming the version; GET_QUEUES (1.1) still runs', async () => {
    const r = await smokeOnSim('sim:api=1.1');
    assert.equal(r.report.summary.failed, 0);
    assert.equal(r.report.api, '1.1');
    assertStatus(r, ['api.version', 'query.queues', 'api.coverage'], 'pass');
    for (const id of ['query.reta', 'query.rss-key', 'query.link-state', 'query.pf-link', 'config.xcast']) {
      assert.equal(r.byId[id]!.status, 'skip', statusOf(r, id));
      assert.match(r.byId[id]!.reason, /needs mailbox API 1\.\d; the PF agreed to 1\.1/, id);
    }
    assert.match(r.byId['api.coverage']!.reason, /needs API ≥ 1\.2/);
  });
});

describe('igb family', () => {
  test('ixgbe-only checks skip with a reason naming the family; the rest pass', async () => {
    const r = await smokeOnSim('sim:family=82576', { allowPfChanges: true, allowPfReset: true });
    assert.equal(r.report.summary.failed, 0, JSON.stringify(r.report.checks.filter((c) => c.status === 'fail')));
    assert.equal(r.report.familyKind, 'igbvf');
    for (const id of ['api.version', 'query.queues', 'query.reta', 'query.rss-key', 'query.link-state', 'query.pf-link', 'config.macvlan']) {
      assert.equal(r.byId[id]!.status, 'skip', statusOf(r, id));
      assert.match(r.byId[id]!.reason, /ixgbe-only/, id);
      assert.match(r.byId[id]!.reason, /igb family \(82576 VF\)/, id);
    }
    assertStatus(r, ['reset.answer', 'config.set-mac', 'config.mtu', 'config.vlan', 'config.multicast', 'config.xcast', 'pf.trust-off', 'pf.trust-on', 'pf.restore', 'pf.reset'], 'pass');
    assert.deepEqual((r.byId['api.coverage']!.details as { tried: string[] }).tried.sort(), ['SET_LPE', 'SET_MAC_ADDR', 'SET_MULTICAST', 'SET_PROMISC', 'SET_VLAN']);
  });
});

describe('--allow-pf-changes', () => {
  test('admin MAC + trust off: set-mac refused with the trust hint; trust on: accepted; everything restored', async () => {
    const r = await smokeOnSim('sim:mac=02:00:00:00:00:aa,trust=off', { allowPfChanges: true });
    assert.equal(r.report.summary.failed, 0, JSON.stringify(r.report.checks.filter((c) => c.status === 'fail')));
    assertStatus(r, ['pf.trust-off', 'pf.trust-on', 'pf.restore'], 'pass');
    assert.match(r.byId['pf.trust-off']!.reason, /refused/);
    assert.match(String((r.byId['pf.trust-off']!.details as { hint: string }).hint), /sim:trust=on/);
    // default checks: the admin MAC untrusted VF cannot change its MAC → skipped with the reason, not failed
    assert.equal(r.byId['config.set-mac']!.status, 'skip');
    assert.match(r.byId['config.set-mac']!.reason, /administrator MAC \(02:00:00:00:00:aa\).*not trusted/);
    const view = r.handle!.sim!.vfInfo();
    assert.equal(view.mac, '02:00:00:00:00:aa', 'admin MAC restored');
    assert.equal(view.trust, false, 'trust restored');
  });

  test('no admin MAC originally: the admin MAC is cleared again', async () => {
    const r = await smokeOnSim('sim', { allowPfChanges: true });
    assertStatus(r, ['pf.trust-off', 'pf.trust-on', 'pf.restore'], 'pass');
    const view = r.handle!.sim!.vfInfo();
    assert.equal(view.trust, false);
    assert.equal(view.adminMac, false);
  });

  test('a PF that accepts the MAC despite admin MAC + trust off fails pf.trust-off', async () => {
    // A PF side whose setTrust(false) is a lie: trust stays on, so the PF accepts the MAC.
    const r = await smokeOnSim('sim:trust=on', {
      allowPfChanges: true,
      pfSide: (h, pf, i) => {
        const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
        return { ...real, setTrust: async (on: boolean) => (on ? real.setTrust(on) : undefined) };
      },
    });
    assert.equal(r.byId['pf.trust-off']!.status, 'fail', statusOf(r, 'pf.trust-off'));
    assert.match(r.byId['pf.trust-off']!.reason, /accepted set-mac/);
    assert.equal(r.report.exitCode, 1);
  });

  test('a PF without trust support: pf.trust-on skips with the reason', async () => {
    const { NotSupportedError } = await import('../../src/errors.js');
    const r = await smokeOnSim('sim', {
      allowPfChanges: true,
      pfSide: (h, pf, i) => {
        const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
        return {
          ...real,
          setTrust: async (on: boolean) => {
            if (on) throw new NotSupportedError('the PF driver of sim-pf0 does not support VF trust');
          },
        };
      },
    });
    assert.equal(r.byId['pf.trust-on']!.status, 'skip');
    assert.match(r.byId['pf.trust-on']!.reason, /does not support trust/);
    assert.equal(r.byId['pf.restore']!.status, 'pass', statusOf(r, 'pf.restore'));
  });
});

describe('--allow-pf-reset', () => {
  for (const poll of [false, true]) {
    test(`PF down/up: reset detected, configuration re-applied within the bound (${poll ? 'poll' : 'interrupts'})`, async () => {
      const r = await smokeOnSim('sim', { allowPfReset: true, poll });
      assert.equal(r.byId['pf.reset']!.status, 'pass', statusOf(r, 'pf.reset'));
      const d = r.byId['pf.reset']!.details as { detectMs: number | null; recoverMs: number; boundMs: number };
      assert.notEqual(d.detectMs, null);
      assert.ok(d.recoverMs <= d.boundMs);
      assert.equal(r.handle!.sim!.vfInfo().pfUp, true, 'PF up again');
      assert.equal(r.report.summary.failed, 0);
    });
  }

  test('a PF that never comes back within the bound fails, and the PF is brought up anyway', async () => {
    let ups = 0;
    const r = await smokeOnSim('sim', {
      allowPfReset: true,
      resetBoundMs: 300,
      pfSide: (h, pf, i) => {
        const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
        return {
          ...real,
          interfaceUp: async () => {
            ups += 1; // the first "up" does nothing: the PF stays down
            if (ups > 1) await real.interfaceUp();
          },
        };
      },
    });
    assert.equal(r.byId['pf.reset']!.status, 'fail', statusOf(r, 'pf.reset'));
    assert.match(r.byId['pf.reset']!.reason, /not re-applied within 300 ms/);
    assert.equal(r.report.exitCode, 1);
  });
});

describe('--poll', () => {
  test('the same checks pass; irq.msix skips naming --poll', async () => {
    const r = await smokeOnSim('sim', { poll: true });
    assert.equal(r.report.summary.failed, 0);
    assert.equal(r.report.mode, 'poll');
    assert.equal(r.byId['irq.msix']!.status, 'skip');
    assert.match(r.byId['irq.msix']!.reason, /--poll/);
    assertStatus(r, ['reset.answer', 'config.set-mac', 'config.xcast', 'api.coverage'], 'pass');
  });
});

describe('wrong answers fail', () => {
  test("a PF view that does not show the VF's MAC fails config.set-mac (exit 1)", async () => {
    const r = await smokeOnSim('sim', {
      pfSide: (h, pf, i) => {
        const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
        return { ...real, view: async () => ({ ...(await real.view()), mac: null }) };
      },
    });
    assert.equal(r.byId['config.set-mac']!.status, 'fail', statusOf(r, 'config.set-mac'));
    assert.match(r.byId['config.set-mac']!.reason, /ACKed but the PF's view shows none/);
    assert.equal(r.report.exitCode, 1);
    assert.equal(r.report.ok, false);
  });

  test('a permanent MAC that differs from the PF view fails reset.mac', async () => {
    const r = await smokeOnSim('sim:mac=02:00:00:00:00:aa', {
      pfSide: (h, pf, i) => {
        const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
        return { ...real, view: async () => ({ ...(await real.view()), mac: '02:00:00:00:00:bb' }) };
      },
    });
    assert.equal(r.byId['reset.mac']!.status, 'fail', statusOf(r, 'reset.mac'));
  });

  test('GET_LINK_STATE enabled while the view says disable fails query.link-state', async () => {
    const r = await smokeOnSim('sim', {
      pfSide: (h, pf, i) => {
        const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
        return { ...real, view: async () => ({ ...(await real.view()), linkState: 'disable' }) };
      },
    });
    assert.equal(r.byId['query.link-state']!.status, 'fail', statusOf(r, 'query.link-state'));
  });

  test('no PF side: PF-view checks skip with the --pf hint', async () => {
    const r = await smokeOnSim('sim', { pfSide: () => null });
    assert.equal(r.byId['env.pf-view']!.status, 'skip');
    assert.match(r.byId['env.pf-view']!.reason, /--pf/);
    assert.equal(r.byId['reset.mac']!.status, 'skip');
    assert.equal(r.report.summary.failed, 0);
  });
});

describe('real-host environment (fake host and VFIO open)', () => {
  const ADDR = '0000:03:10.0';
  const host = (driver: string | null, calls: string[]) => ({
    diagnose: async () => ({ target: ADDR as never, ok: true, checks: [{ id: 'iommu', status: 'pass' as const, message: 'IOMMU enabled' }] }),
    readDriver: async () => driver,
    bind: async () => {
      calls.push('bind');
      return { previousDriver: driver, changed: true };
    },
    restore: async (_vf: string, d: string | null) => {
      calls.push(`restore:${String(d)}`);
      return { driver: d };
    },
  });
  const failingOpen = async (): Promise<VfHandle> => {
    throw new EnvironmentError('ERR_VFIO_OPEN', 'cannot open /dev/vfio/7: permission denied', { hint: 'sudo ixgbevf bind 0000:03:10.0 --user $USER' });
  };

  test('not on vfio-pci without --bind: env.driver fails (exit 3) with the bind hint', async () => {
    const calls: string[] = [];
    const r = await runSmoke({ spec: ADDR, openVf: failingOpen, host: host('ixgbevf', calls), macs: SMOKE_MACS });
    const c = r.checks.find((x) => x.id === 'env.driver')!;
    assert.equal(c.status, 'fail');
    assert.match(c.hint ?? '', /ixgbevf bind 0000:03:10.0/);
    assert.equal(r.exitCode, 3);
    assert.deepEqual(calls, []);
  });

  test('--bind moves the VF to vfio-pci and puts it back even when the open fails', async () => {
    const calls: string[] = [];
    const r = await runSmoke({ spec: ADDR, openVf: failingOpen, host: host('ixgbevf', calls), bind: true, macs: SMOKE_MACS });
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    assert.equal(byId['env.driver']!.status, 'pass');
    assert.equal(byId['env.open']!.status, 'fail');
    assert.equal(byId['env.open']!.error?.code, 'ERR_VFIO_OPEN');
    assert.equal(byId['release.driver']!.status, 'pass');
    assert.deepEqual(calls, ['bind', 'restore:ixgbevf']);
    assert.match(byId['reset.answer']!.reason, /could not be opened/);
    assert.equal(r.exitCode, 3);
  });

  test('doctor failures fail env.doctor with their fixes', async () => {
    const calls: string[] = [];
    const h = {
      ...host('vfio-pci', calls),
      diagnose: async () => ({ target: ADDR as never, ok: false, checks: [{ id: 'iommu', status: 'fail' as const, message: 'no IOMMU enabled', fix: 'add intel_iommu=on' }] }),
    };
    const r = await runSmoke({ spec: ADDR, openVf: failingOpen, host: h, macs: SMOKE_MACS });
    const c = r.checks.find((x) => x.id === 'env.doctor')!;
    assert.equal(c.status, 'fail');
    assert.match(c.reason, /no IOMMU/);
    assert.match(c.hint ?? '', /intel_iommu=on/);
  });

  test('a VFIO VF (sim behind it) with --pf naming another PF fails env.pf-view', async () => {
    const calls: string[] = [];
    const open = async (_s: string, o?: OpenOptions): Promise<VfHandle> => {
      const h = await openVf('sim', o);
      return { ...h, id: ADDR, kind: 'vfio', pfName: 'enp3s0f0' };
    };
    const pfSide = (h: VfHandle, pf: string | null, i: number | null): PfSide => simPfSide(h.sim!, pf ?? '?', i ?? 0);
    const r = await runSmoke({ spec: ADDR, openVf: open, host: host('vfio-pci', calls), pf: 'eth9', pfSide, macs: SMOKE_MACS });
    const c = r.checks.find((x) => x.id === 'env.pf-view')!;
    assert.equal(c.status, 'fail');
    assert.match(c.reason, /--pf eth9 is not this VF's PF: sysfs says enp3s0f0/);
    const ok = await runSmoke({ spec: ADDR, openVf: open, host: host('vfio-pci', calls), pfSide, macs: SMOKE_MACS });
    assert.equal(ok.summary.failed, 0, JSON.stringify(ok.checks.filter((x) => x.status === 'fail')));
    assert.equal(ok.checks.find((x) => x.id === 'env.doctor')!.status, 'pass');
  });
});

describe('a PF that never answers: reset.answer fails with the fix the VF commands give', () => {
  test('sim:pf=silent: the key named, exit 4', async () => {
    const r = await smokeOnSim('sim:pf=silent', { timeoutMs: 50 });
    const c = r.byId['reset.answer']!;
    assert.equal(c.status, 'fail');
    assert.match(c.reason, /did not answer within 50 ms.*pf=silent/);
    assert.equal(c.hint, 'drop pf=silent from the sim spec');
    assert.equal(r.report.exitCode, 4);
  });

  test('a real VF (VFIO handle, silent PF behind it): ixgbevf doctor <vf>, not a question', async () => {
    const ADDR = '0000:03:10.0';
    const open = async (_s: string, o?: OpenOptions): Promise<VfHandle> => {
      const h = await openVf('sim:pf=silent', o);
      return { ...h, id: ADDR, kind: 'vfio', pfName: 'enp3s0f0', sim: undefined };
    };
    const host = {
      diagnose: async () => ({ target: ADDR as never, ok: true, checks: [] }),
      readDriver: async () => 'vfio-pci',
      bind: async () => ({ previousDriver: 'vfio-pci', changed: false }),
      restore: async (_vf: string, d: string | null) => ({ driver: d }),
    };
    const r = await runSmoke({ spec: ADDR, openVf: open, host, timeoutMs: 50, macs: SMOKE_MACS });
    const c = r.checks.find((x) => x.id === 'reset.answer')!;
    assert.equal(c.status, 'fail');
    assert.match(c.hint ?? '', /^ixgbevf doctor 0000:03:10\.0 {3}\(checks the PF's driver and that enp3s0f0 is up; /);
    assert.doesNotMatch(c.hint ?? '', /\?/);
  });
});

describe("release.restore: the PF's view of the VF put back (ixgbe keeps a VF's MAC after release)", () => {
  const asHostPf = (h: VfHandle, _pf: string | null, i: number | null): PfSide => ({ ...simPfSide(h.sim!, 'enp1s0f0', i ?? 0), kind: 'ip' });

  test('without --allow-pf-changes: the summary names what is left changed and the command that restores it', async () => {
    const r = await smokeOnSim('sim', { pfSide: asHostPf });
    assert.equal(r.byId['release.restore']!.status, 'skip', statusOf(r, 'release.restore'));
    assert.deepEqual(r.report.leftChanged, [
      { what: 'enp1s0f0 vf 0 mac', now: SMOKE_MACS.test, before: null, restore: 'ip link set enp1s0f0 vf 0 mac 00:00:00:00:00:00' },
    ]);
    const { formatSmokeReport } = await import('../../src/smoke/index.js');
    assert.ok(
      formatSmokeReport(r.report).includes(`left changed on the PF: enp1s0f0 vf 0 mac ${SMOKE_MACS.test} (was none); restore: ip link set enp1s0f0 vf 0 mac 00:00:00:00:00:00`),
    );
    assert.equal(r.report.exitCode, 0);
  });

  test('with --allow-pf-changes: the MAC is cleared from the PF while the VF is held; nothing left changed', async () => {
    const r = await smokeOnSim('sim', { pfSide: asHostPf, allowPfChanges: true });
    assert.equal(r.byId['release.restore']!.status, 'pass', statusOf(r, 'release.restore'));
    assert.deepEqual(r.report.leftChanged, []);
    const view = r.handle!.sim!.vfInfo();
    assert.equal(view.mac, null);
    assert.equal(view.trust, false);
    assert.equal(r.report.summary.failed, 0, JSON.stringify(r.report.checks.filter((c) => c.status === 'fail')));
  });

  test('sim PF: nothing outlives the process (no left-changed entry); igb forgets the MAC on release', async () => {
    const r = await smokeOnSim('sim');
    assert.deepEqual(r.report.leftChanged, []);
    assert.match(r.byId['release.restore']!.reason, /simulated PF ends with this process/);
    const igb = await smokeOnSim('sim:family=82576');
    assert.equal(igb.byId['release.restore']!.status, 'pass', statusOf(igb, 'release.restore'));
    assert.match(igb.byId['release.restore']!.reason, /igb forgets/);
  });
});
