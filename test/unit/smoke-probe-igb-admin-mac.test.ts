/**
 * The smoke engine on an igb-family VF whose PF set an administrator MAC (`ip link set <pf> vf N mac M`, a
 * common production setup) and does not trust it: igb refuses every set-mac from that VF, the same MAC
 * included (igb_set_vf_mac_addr, modelled by the simulated igb PF), so config.set-mac is a skip with that
 * reason, not a failure (exit 5) of a PF behaving as the kernel does. ixgbe still has to ACK the re-set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smokeOnSim } from '../helpers/smoke-run.js';

const ADMIN = '02:aa:aa:aa:aa:aa';

for (const family of ['82576', 'I350']) {
  test(`igb (${family}) with an admin MAC, VF not trusted: config.set-mac is skipped as expected, the run passes (exit 0)`, async () => {
    const { report, byId } = await smokeOnSim(`sim:family=${family},mac=${ADMIN}`);
    assert.equal(byId['reset.mac']?.status, 'pass', byId['reset.mac']?.reason);
    const c = byId['config.set-mac']!;
    assert.equal(c.status, 'skip', c.reason);
    assert.match(c.reason, /igb refuses every set-mac/);
    assert.equal(c.error, undefined);
    assert.deepEqual(report.checks.filter((x) => x.status === 'fail').map((x) => x.id), []);
    assert.equal(report.exitCode, 0);
    assert.equal(report.ok, true);
  });
}

test('igb with an admin MAC and trust on: set-mac of the test MAC is accepted and shown (not skipped)', async () => {
  const { byId } = await smokeOnSim(`sim:family=82576,mac=${ADMIN},trust=on`);
  assert.equal(byId['config.set-mac']?.status, 'pass', byId['config.set-mac']?.reason);
});

test('ixgbe (82599) with an admin MAC, VF not trusted: re-setting the admin MAC is ACKed (skip says accepted)', async () => {
  const { report, byId } = await smokeOnSim(`sim:family=82599,mac=${ADMIN}`);
  assert.equal(byId['config.set-mac']?.status, 'skip');
  assert.match(byId['config.set-mac']!.reason, /was accepted/);
  assert.equal(report.exitCode, 0);
});
