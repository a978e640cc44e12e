/**
 * Every failed smoke check carries `error` with a stable `code` and its exit code, and a fix: a wrong value
 * too (ERR_SMOKE_CHECK_FAILED, exit 1; the fix is the run with the trace, for the report), an untyped throw (ERR_INTERNAL, exit 1: a bug), and a --pf that is not
 * the VF's PF is bad input (ERR_WRONG_PF, exit 2) whose fix is the smoke command on the right PF.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openVf } from '../../src/open/open-vf.js';
import type { OpenOptions, VfHandle } from '../../src/open/types.js';
import { runSmoke, simPfSide, type PfSide } from '../../src/smoke/index.js';
import { SMOKE_MACS, smokeOnSim } from '../helpers/smoke-run.js';

const ADDR = '0000:03:10.0';
const host = {
  diagnose: async () => ({ target: ADDR as never, ok: true, checks: [] }),
  readDriver: async () => 'vfio-pci',
  bind: async () => ({ previousDriver: 'vfio-pci', changed: false }),
  restore: async (_vf: string, d: string | null) => ({ driver: d }),
};

test('a wrong value (the PF view shows a MAC the igb reset did not give): the failed check has code ERR_SMOKE_CHECK_FAILED, exit 1', async () => {
  // The PF view lies about the VF's MAC: reset.mac judges the values, no typed error is behind the failure.
  const lying = (h: VfHandle, pf: string | null, i: number | null): PfSide => {
    const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
    return { ...real, view: async () => ({ ...(await real.view()), mac: '02:bb:bb:bb:bb:bb' }) };
  };
  const { report, byId } = await smokeOnSim('sim:family=82576', { pfSide: lying });
  const c = byId['reset.mac']!;
  assert.equal(c.status, 'fail', c.reason);
  assert.deepEqual(c.error, { code: 'ERR_SMOKE_CHECK_FAILED', message: c.reason, exitCode: 1 });
  for (const f of report.checks.filter((x) => x.status === 'fail')) assert.equal(typeof f.error?.code, 'string', `${f.id} has a code`);
  assert.equal(report.exitCode, 1);
});

test('an untyped throw inside a check: code ERR_INTERNAL, exit 1', async () => {
  const report = await runSmoke({
    spec: ADDR,
    host,
    macs: SMOKE_MACS,
    openVf: async () => {
      throw new TypeError('boom');
    },
  });
  const c = report.checks.find((x) => x.id === 'env.open')!;
  assert.equal(c.status, 'fail');
  assert.equal(c.error?.code, 'ERR_INTERNAL');
  assert.equal(c.error?.exitCode, 1);
  assert.equal(report.exitCode, 1);
});

test('--pf naming another PF than sysfs: env.pf-view fails with ERR_WRONG_PF, exit 2, the fix is the smoke command on the right PF', async () => {
  const open = async (_s: string, o?: OpenOptions): Promise<VfHandle> => {
    const h = await openVf('sim', o);
    return { ...h, id: ADDR, kind: 'vfio', pfName: 'enp3s0f0' };
  };
  const pfSide = (h: VfHandle, pf: string | null, i: number | null): PfSide => simPfSide(h.sim!, pf ?? '?', i ?? 0);
  const report = await runSmoke({ spec: ADDR, openVf: open, host, pf: 'eth9', pfSide, macs: SMOKE_MACS });
  const c = report.checks.find((x) => x.id === 'env.pf-view')!;
  assert.equal(c.status, 'fail');
  assert.equal(c.error?.code, 'ERR_WRONG_PF');
  assert.equal(c.error?.exitCode, 2);
  assert.equal(c.hint, `ixgbevf smoke ${ADDR} --pf enp3s0f0`);
  assert.equal(report.exitCode, 2);
});

test('a wrong value whose check names no fix (GET_LINK_STATE says enabled, the view says disable): the fix is the run with the trace, for the report', async () => {
  const lying = (h: VfHandle, pf: string | null, i: number | null): PfSide => {
    const real = simPfSide(h.sim!, pf ?? 'sim-pf0', i ?? 0);
    return { ...real, view: async () => ({ ...(await real.view()), linkState: 'disable' }) };
  };
  const { report, byId } = await smokeOnSim('sim', { pfSide: lying });
  const c = byId['query.link-state']!;
  assert.equal(c.status, 'fail', c.reason);
  assert.equal(c.error?.code, 'ERR_SMOKE_CHECK_FAILED');
  assert.equal(c.hint, "ixgbevf smoke sim --verbose --json > smoke.json 2> smoke-trace.txt (send both with the PF's dmesg: docs/hardware.md)");
  for (const f of report.checks.filter((x) => x.status === 'fail')) assert.ok(f.hint !== undefined && f.error !== undefined, `${f.id}: a fix and a code`);
});
