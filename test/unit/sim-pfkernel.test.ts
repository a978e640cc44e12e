import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, NotSupportedError, PfNackError } from '../../src/errors.js';
import { ApiVersion } from '../../src/hw/api.js';
import { PF_KERNEL_GENERATIONS, newestApiOfPfKernel } from '../../src/hw/pf-kernel.js';
import { parseSimSpec, type LinuxIxgbePf } from '../../src/sim/index.js';
import { ready, vfRig } from '../helpers/mbx-vf.js';

const ixgbe = (pf: unknown): LinuxIxgbePf => pf as LinuxIxgbePf;
const NEGOTIATE = 0x08;

describe('sim: PF kernel generations (pfkernel=)', () => {
  it('the table: 6.1 and 6.12 top out at 1.4, newest at 1.7; 1.5 is never accepted', () => {
    assert.equal(newestApiOfPfKernel('6.1'), ApiVersion.V1_4);
    assert.equal(newestApiOfPfKernel('6.12'), ApiVersion.V1_4);
    assert.equal(newestApiOfPfKernel('newest'), ApiVersion.V1_7);
    for (const t of Object.values(PF_KERNEL_GENERATIONS)) assert.equal(t.negotiableApis.includes(ApiVersion.V1_5), false, t.generation);
  });

  it('pfkernel=6.12: 1.7, 1.6, 1.5 are refused, 1.4 agreed — the transcript of the stock 6.12 PF', async () => {
    const rig = vfRig('sim:pfkernel=6.12');
    await rig.vf.reset();
    rig.tx.length = 0;
    assert.equal(await rig.vf.negotiateApi(), ApiVersion.V1_4);
    assert.deepEqual(
      rig.tx.filter((w) => w[0] === NEGOTIATE).map((w) => w[1]),
      [ApiVersion.V1_7, ApiVersion.V1_6, ApiVersion.V1_5, ApiVersion.V1_4],
    );
    assert.equal(ixgbe(rig.sim.pf).pfKernel.generation, '6.12');
  });

  it('pfkernel=6.1: no FEATURES_NEGOTIATE, no MDD restore ping, no E610; newest E610 answers GET_PF_LINK_STATE', async () => {
    const rig = await ready(vfRig('sim:pfkernel=6.1,family=x550'));
    assert.equal(rig.vf.api, ApiVersion.V1_4);
    await assert.rejects(rig.vf.getPfLinkState(), NotSupportedError);
    await assert.rejects(rig.vf.negotiateFeatures(0), NotSupportedError);
    await assert.rejects(ixgbe(rig.sim.pf).mddEvent(), NotSupportedError);
    assert.throws(() => parseSimSpec('sim:pfkernel=6.12,family=e610'), /family=e610 needs pfkernel=newest \(the 6.12 ixgbe driver has no E610 support\)/);
    const newest = await ready(vfRig('sim:family=e610'));
    assert.equal(newest.vf.api, ApiVersion.V1_7);
    assert.equal((await newest.vf.getPfLinkState()).source, 'GET_PF_LINK_STATE');
  });

  it('spec: default newest, api capped by the generation, bad values refused', () => {
    assert.equal(parseSimSpec('sim').pfKernel, 'newest');
    assert.equal(parseSimSpec('sim:pfkernel=6.12').newestApi, ApiVersion.V1_4);
    assert.equal(parseSimSpec('sim:pfkernel=6.12,api=1.2').newestApi, ApiVersion.V1_2);
    const invalid = (spec: string, re: RegExp): void =>
      assert.throws(() => parseSimSpec(spec), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'ERR_INVALID_SIM_SPEC' && re.test(e.message));
    invalid('sim:pfkernel=6.12,api=1.7', /newer than a pfkernel=6.12 ixgbe PF speaks \(up to 1.4\)/);
    invalid('sim:pfkernel=5.10', /pfkernel=5.10 is not one of 6.1, 6.12, newest/);
    invalid('sim:family=82576,pfkernel=6.1', /ixgbe families only/);
  });
});

describe('sim: DCB / traffic classes (tcs=, deftc=)', () => {
  it('GET_QUEUES reports TRANS_VLAN = tcs and DEF_QUEUE = the default TC; SET_VLAN is refused with the true reason', async () => {
    const rig = await ready(vfRig('sim:tcs=4,deftc=1'));
    assert.deepEqual(await rig.vf.getQueues(), { txQueues: 4, rxQueues: 4, transparentVlan: 4, defaultQueue: 1 });
    await assert.rejects(
      rig.vf.setVlan(10, true),
      (e: unknown) => e instanceof PfNackError && /runs DCB with 4 traffic classes/.test(e.message) && e.hint === undefined,
    );
    assert.equal(rig.vf.needsReset, false, 'reported, nothing broken');
    await rig.vf.setMac('02:00:00:00:00:09');
  });

  it('8 TCs: 8 queues per pool (ixgbe_set_dcb_sriov_queues); no DCB: TRANS_VLAN 0 and VLANs accepted', async () => {
    const rig = await ready(vfRig('sim:tcs=8,deftc=7'));
    assert.deepEqual(await rig.vf.getQueues(), { txQueues: 8, rxQueues: 8, transparentVlan: 8, defaultQueue: 7 });
    const plain = await ready(vfRig('sim'));
    assert.equal((await plain.vf.getQueues()).transparentVlan, 0);
    await plain.vf.setVlan(10, true);
  });

  it('spec: deftc needs tcs ≥ 2 and must name one of them', () => {
    assert.throws(() => parseSimSpec('sim:deftc=1'), /deftc=1 needs tcs=/);
    assert.throws(() => parseSimSpec('sim:tcs=2,deftc=2'), /deftc=2 needs tcs=/);
    assert.throws(() => parseSimSpec('sim:tcs=9'), /out of range 0..8/);
    assert.deepEqual([parseSimSpec('sim:tcs=3,deftc=2').trafficClasses, parseSimSpec('sim:tcs=3,deftc=2').defaultTc], [3, 2]);
  });
});

describe('smoke on a DCB PF', () => {
  it('query.queues reports the traffic classes, config.vlan skips with the reason, nothing fails', async () => {
    const { runSmoke } = await import('../../src/smoke/engine.js');
    const { openVf } = await import('../../src/open/open-vf.js');
    const r = await runSmoke({ spec: 'sim:tcs=4,deftc=1', openVf, allowPfReset: true, resetBoundMs: 5000 });
    const byId = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    assert.match(byId['query.queues']!.reason, /DCB on the PF: 4 traffic classes, default TC 1/);
    assert.equal(byId['config.vlan']!.status, 'skip');
    assert.match(byId['config.vlan']!.reason, /runs DCB with 4 traffic classes/);
    assert.equal(byId['pf.reset']!.status, 'pass', byId['pf.reset']!.reason);
    assert.equal(r.summary.failed, 0, JSON.stringify(r.checks.filter((c) => c.status === 'fail')));
  });
});
