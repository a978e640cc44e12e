/**
 * A library user learns from the VF's events when the PF is back. The README's recipe is: on `pf-reset`,
 * `resetAndNegotiate(vf)` and re-apply. A reset tried while the PF is still down (ip link set <pf> down)
 * fails with ERR_PF_IN_RESET; the PF's return (PFRSTD: RSTD, and its ping) must then raise the next
 * `pf-reset`, so the user's listener runs again. Found against the stock ixgbe PF in the rig: the failed
 * reset had left the VF's mailbox interrupt masked (the reset masks it until RSTI clears), so after
 * `ip link set <pf> up` no event ever came; only the CLI and the daemon re-armed it themselves. As
 * ixgbevf_reinit_locked re-enables its interrupts in ixgbevf_up() after a failed ixgbevf_reset().
 * Simulated VF, interrupt mode; igb and ixgbe.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resetAndNegotiate } from '../../src/vf/bring-up.js';
import { Vf } from '../../src/vf/vf.js';
import { createSimulatedVf } from '../../src/sim/index.js';

/** The next `pf-reset` of `vf`, or 'none' when it has not come within `ms` (a bound, not a measurement). */
function nextPfReset(vf: Vf, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      vf.off('pf-reset', onReset);
      resolve('none');
    }, ms);
    const onReset = (reason: string): void => {
      clearTimeout(timer);
      resolve(reason);
    };
    vf.once('pf-reset', onReset);
  });
}

for (const spec of ['sim', 'sim:family=82576']) {
  test(`${spec}: after a reset that found the PF down, the PF coming up raises pf-reset, and the bring-up then works`, async () => {
    const sim = createSimulatedVf(spec);
    const vf = new Vf({ regs: sim.regs, irqs: sim.irqs, family: sim.family, resetTimeoutMs: 30, simulated: true });
    try {
      await resetAndNegotiate(vf);
      const down = nextPfReset(vf, 5_000);
      await sim.pf.interfaceDown();
      assert.notEqual(await down, 'none', 'the PF going down raises pf-reset');

      await assert.rejects(vf.reset(), (err: Error & { code?: string }) => err.code === 'ERR_PF_IN_RESET');
      assert.equal(vf.needsReset, true);

      const up = nextPfReset(vf, 5_000);
      await sim.pf.interfaceUp();
      const reason = await up;
      assert.notEqual(reason, 'none', 'the PF coming back raises pf-reset (the mailbox interrupt is armed again after the failed reset)');

      const again = await resetAndNegotiate(vf);
      assert.equal(vf.needsReset, false);
      assert.equal(again.permanentMac, null);
      await vf.setMac('02:00:00:00:00:31');
    } finally {
      vf.close();
    }
  });
}
