import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiVersion } from '../../src/hw/api.js';
import type { LinuxIxgbePf } from '../../src/sim/index.js';
import { ready, vfRig } from '../helpers/mbx-vf.js';

const ixgbe = (pf: unknown): LinuxIxgbePf => pf as LinuxIxgbePf;
const GET_PF_LINK_STATE = 0x11;

describe('E610 link at API ≥ 1.6 (ixgbevf_check_mac_link_vf)', () => {
  it('the simulated E610 VFLINKS is stale: 10G up whatever the PF link', async () => {
    const rig = vfRig('sim:family=e610,link=down');
    const raw = rig.sim.regs.read32(rig.sim.family.regs.links) >>> 0;
    assert.equal(raw, 0x70000000);
  });

  it('PF link down: checkLink() asks the PF and says down; VFLINKS would have said 10G up', async () => {
    const rig = await ready(vfRig('sim:family=e610,link=down'));
    assert.equal(rig.vf.api, ApiVersion.V1_7);
    assert.deepEqual(rig.vf.link(), { up: false, speedMbps: null, source: 'GET_PF_LINK_STATE' }, 'not asked yet: down, as ixgbevf');
    assert.deepEqual(await rig.vf.checkLink(), { up: false, speedMbps: null, source: 'GET_PF_LINK_STATE' });
    assert.deepEqual(rig.tx.at(-1), [GET_PF_LINK_STATE, 0, 0]);
    await ixgbe(rig.sim.pf).setLinkUp(true);
    assert.deepEqual(await rig.vf.checkLink(), { up: true, speedMbps: 10000, source: 'GET_PF_LINK_STATE' });
    assert.deepEqual(rig.vf.link(), { up: true, speedMbps: 10000, source: 'GET_PF_LINK_STATE' }, 'link() reports the last PF answer');
  });

  it('a link ping makes the VF ask the PF: the link event carries the PF link, not the stale VFLINKS', async () => {
    const rig = await ready(vfRig('sim:family=e610'));
    await ixgbe(rig.sim.pf).setLinkUp(false);
    for (let i = 0; i < 20 && rig.links.length === 0; i += 1) await rig.settle();
    assert.deepEqual(rig.links, [{ up: false, speedMbps: null, source: 'GET_PF_LINK_STATE' }]);
    assert.ok(rig.tx.some((w) => w[0] === GET_PF_LINK_STATE));
  });

  it('E610 below 1.6 (a PF agreeing to 1.4) and other families read VFLINKS, as ixgbevf does', async () => {
    const old = await ready(vfRig('sim:family=e610,api=1.4'));
    assert.equal(old.vf.api, ApiVersion.V1_4);
    assert.equal((await old.vf.checkLink()).source, 'VFLINKS');
    assert.deepEqual(old.tx, []);
    const x550 = await ready(vfRig('sim:family=x550,link=down'));
    assert.deepEqual(await x550.vf.checkLink(), { up: false, speedMbps: null, source: 'VFLINKS' });
    const igb = await ready(vfRig('sim:family=82576'));
    assert.equal((await igb.vf.checkLink()).source, 'STATUS');
  });
});
