import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiVersion } from '../../src/hw/api.js';
import { resetAndNegotiate } from '../../src/vf/bring-up.js';
import { vfRig } from '../helpers/mbx-vf.js';

const ids = (tx: number[][]): number[] => tx.map((w) => w[0]! & 0xffff);

describe('bring-up parity with the stock ixgbevf (resetAndNegotiate)', () => {
  it('ixgbe at 1.7: VF_RESET, API_NEGOTIATE, FEATURES_NEGOTIATE (ixgbevf_set_features), GET_QUEUES — and the queues come back', async () => {
    const rig = vfRig('sim');
    const r = await resetAndNegotiate(rig.vf);
    assert.deepEqual(ids(rig.tx), [0x01, 0x08, 0x12, 0x09]);
    assert.deepEqual(rig.tx[3], [0x09, 0, 0, 0, 0]);
    assert.deepEqual(r, { permanentMac: null, mcFilterType: 0, api: ApiVersion.V1_7, queues: { txQueues: 4, rxQueues: 4, transparentVlan: 0, defaultQueue: 0 } });
  });

  it('a 6.12 PF: the refused versions, then 1.4 and GET_QUEUES (the rig transcript)', async () => {
    const rig = vfRig('sim:pfkernel=6.12');
    await resetAndNegotiate(rig.vf);
    assert.deepEqual(ids(rig.tx), [0x01, 0x08, 0x08, 0x08, 0x08, 0x09]);
  });

  it('API 1.0 PF: no GET_QUEUES (ixgbevf_get_queues sends nothing below 1.1); igb: the reset alone', async () => {
    const old = vfRig('sim:api=1.0');
    const r = await resetAndNegotiate(old.vf);
    assert.equal(ids(old.tx).includes(0x09), false);
    assert.equal(r.queues, null);
    const igb = vfRig('sim:family=82576');
    assert.equal((await resetAndNegotiate(igb.vf)).api, ApiVersion.V1_0);
    assert.deepEqual(ids(igb.tx), [0x01]);
  });

  it('the smoke engine brings the VF up with the same messages in the same order', async () => {
    const { runSmoke } = await import('../../src/smoke/engine.js');
    const { openVf } = await import('../../src/open/open-vf.js');
    const sent: number[] = [];
    await runSmoke({ spec: 'sim', openVf, onTrace: (e) => e.direction === 'vf-to-pf' && sent.push(e.words[0]! & 0xffff) });
    assert.deepEqual(sent.slice(0, 4), [0x01, 0x08, 0x12, 0x09]);
  });
});
