/**
 * The RSTI wait of a VF reset (interrupts masked, so on timers) checks less often the longer the PF's
 * own reset lasts: the pause doubles from 0.5 ms up to VF_RESET_RSTI_MAX_POLL_MS. Before, it read
 * VFMAILBOX every 0.5 ms for the whole 1-s budget — ~2000 timer wakeups and register reads per attempt
 * while a PF was down (the igb rig: thousands over a 20-s PF outage). Virtual clock: counts, not times.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PfResetTimeoutError } from '../../src/errors.js';
import { VF_RESET_RSTI_MAX_POLL_MS, VF_RESET_RSTI_TIMEOUT_MS } from '../../src/hw/mailbox.js';
import { noIrqs } from '../../src/io.js';
import { waitUntil } from '../../src/mbx/wait.js';
import { VirtualClock } from '../../src/sim/clock.js';
import type { LinuxIxgbePf } from '../../src/sim/index.js';
import { Vf } from '../../src/vf/vf.js';
import { vfRig } from '../helpers/mbx-vf.js';

test('waitUntil with maxPollIntervalMs: the pause doubles up to the cap; the condition is still seen within one cap of becoming true', async () => {
  const readyAt = 300;
  const clock = new VirtualClock();
  let checks = 0;
  const ok = await waitUntil(() => (++checks, clock.now() >= readyAt), 1000, { clock, irqs: noIrqs, pollIntervalMs: 0.5, maxPollIntervalMs: 16 });
  assert.equal(ok, true);
  assert.ok(clock.now() - readyAt <= 16, `seen ${clock.now() - readyAt} ms late`);
  assert.ok(checks <= 30, `${checks} checks for a 300-ms wait`);

  const flat = new VirtualClock();
  let flatChecks = 0;
  await waitUntil(() => (++flatChecks, flat.now() >= readyAt), 1000, { clock: flat, irqs: noIrqs, pollIntervalMs: 0.5 });
  assert.ok(flatChecks >= 500, `without a cap the interval stays 0.5 ms (${flatChecks} checks)`);
});

test('a VF reset while the PF is down reads VFMAILBOX at most a few dozen rounds in its 1-s budget, not ~2000, and still fails with ERR_PF_IN_RESET after the whole budget', async () => {
  const rig = vfRig('sim:pf=down');
  const { regs, family, irqs } = rig.sim;
  let reads = 0;
  const vf = new Vf({
    regs: { read32: (o) => (o === family.regs.mailbox && ++reads, regs.read32(o)), write32: (o, v) => regs.write32(o, v) },
    irqs,
    family,
    clock: rig.clock,
    interrupts: false,
  });
  const t0 = rig.clock.now();
  await assert.rejects(vf.reset(), (e: unknown) => e instanceof PfResetTimeoutError && e.code === 'ERR_PF_IN_RESET');
  assert.ok(rig.clock.now() - t0 >= VF_RESET_RSTI_TIMEOUT_MS, 'the whole budget was waited');
  assert.ok(reads <= 160, `${reads} VFMAILBOX reads in a 1-s RSTI wait (two a round while RSTI shows)`);
  assert.ok(reads >= VF_RESET_RSTI_TIMEOUT_MS / VF_RESET_RSTI_MAX_POLL_MS / 2, `still checked through the budget (${reads} reads)`);
});

test('the PF comes up 300 ms into the wait: the reset completes within one pause of it (beyond what a reset of an up PF takes)', async () => {
  const base = vfRig('sim');
  const b0 = base.clock.now();
  await base.vf.reset();
  const resetTakes = base.clock.now() - b0;

  const rig = vfRig('sim:pf=down');
  const resetting = rig.vf.reset();
  const upAt = rig.clock.now() + 300;
  while (rig.clock.now() < upAt) await new Promise<void>((r) => setImmediate(r));
  const pfUp = rig.clock.now();
  await (rig.sim.pf as LinuxIxgbePf).interfaceUp();
  const result = await resetting;
  assert.equal(result.permanentMac, null);
  const late = rig.clock.now() - pfUp - resetTakes;
  assert.ok(late <= VF_RESET_RSTI_MAX_POLL_MS, `reset done ${rig.clock.now() - pfUp} ms after the PF came up (a reset takes ${resetTakes} ms)`);
});
