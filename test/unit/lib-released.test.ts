/**
 * The kernel asking for a VF back (VFIO's request notifier: unbind, `sriov_numvfs=0`) while a library user
 * holds it. Found in the ixgbe rig: after `echo 0 > sriov_numvfs` a setMac waited out the whole mailbox
 * budget and failed with ERR_MBX_TIMEOUT, whose hint blames the PF ("is the PF driver loaded and its
 * interface up?"), because ixgbe stops answering once it disables SR-IOV. openVf marks the Vf released on
 * that event (Vf.released()); from then on a new call fails at once with DeviceGoneError ERR_RELEASED
 * (exit 7) and a hint to close the handle; after close() it is ERR_CLOSED. (The event itself is VFIO's:
 * the rig test in test/vm/ixgbe-e2e.test.mjs covers the wiring; here the simulated VF.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceGoneError } from '../../src/errors.js';
import { createSimulatedVf } from '../../src/sim/index.js';
import { resetAndNegotiate } from '../../src/vf/bring-up.js';
import { Vf } from '../../src/vf/vf.js';

async function codeOf(call: () => unknown): Promise<DeviceGoneError> {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof DeviceGoneError, String(err));
    return err;
  }
  assert.fail('the call succeeded');
}

test('after released(), new calls fail at once with ERR_RELEASED and a hint to close; after close(), ERR_CLOSED', async () => {
  const sim = createSimulatedVf('sim');
  const vf = new Vf({ regs: sim.regs, irqs: sim.irqs, family: sim.family, simulated: true });
  await resetAndNegotiate(vf);
  const sentBefore = sim.pf.sent.length;
  vf.released();
  for (const call of [() => vf.setMac('02:00:00:00:00:07'), () => vf.setVlan(3, true), () => vf.reset(), () => vf.negotiateApi(), () => vf.checkPfEvents(), () => vf.getQueues(), () => resetAndNegotiate(vf)]) {
    const err = await codeOf(call);
    assert.equal(err.code, 'ERR_RELEASED');
    assert.equal(err.exitCode, 7);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.hint ?? '', /handle\.close\(\)/);
  }
  assert.equal(sim.pf.sent.length, sentBefore, 'nothing more reached the PF');
  vf.close();
  assert.equal((await codeOf(() => vf.setMac('02:00:00:00:00:07'))).code, 'ERR_CLOSED');
});
