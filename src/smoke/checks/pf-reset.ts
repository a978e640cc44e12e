/**
 * The opt-in group that takes the PF down and up (`--allow-pf-reset`, pf.reset): with a configuration
 * applied (MAC when allowed, MTU, a VLAN unless a port VLAN or DCB forbids it, multicast), the VF must see
 * the PF's reset (RSTI/RSTD or a ping) within 5 s, and re-apply its configuration within the bound once
 * the PF is up again; the configuration is taken back afterwards. An interruption (Ctrl-C) ends both
 * waits at once and never takes the PF down: a PF it took down is brought up again on the way out.
 */
import { isIxgbevfError } from '../../errors.js';
import { resetAndNegotiate } from '../../vf/bring-up.js';
import type { CheckDef, HeldRun } from '../context.js';
import { PENDING } from '../restores.js';
import { TEST_MTU, TEST_MULTICAST, TEST_VLAN, fail, pass, sameMac, show, skip, sleep, throwIfInterrupted, waitForView } from '../table.js';

export const pfResetCheck: CheckDef<HeldRun> = {
  id: 'pf.reset',
  group: 'pf-reset',
  title: 'PF down/up → reset detected, configuration re-applied',
  async run(run) {
    if (run.opts.allowPfReset !== true) return skip('opt-in: takes the PF interface down and up (traffic stops); run with --allow-pf-reset');
    const { pf, initialView: view0 } = run;
    if (pf === null || view0 === null) return skip('no PF view (see env.pf-view): pass --pf <ifname>');
    const { reset: reset0, macs, resetBoundMs: boundMs, pending } = run;
    const signal = run.opts.signal;
    const vf = run.handle.vf;
    /** false when the PF runs DCB (it refuses every VF VLAN, ixgbe_set_vf_vlan_msg). */
    const vlansAllowed = run.trafficClasses <= 1;
    const canSetMac = reset0.permanentMac === null || view0.trust === true;
    const apply = async (): Promise<void> => {
      if (canSetMac) await vf.setMac(macs.test);
      await vf.setMtu(TEST_MTU);
      const pv = view0.portVlan ?? 0;
      if (pv === 0 && vlansAllowed) await vf.setVlan(TEST_VLAN, true);
      await vf.setMulticast(TEST_MULTICAST);
    };
    const cleanup = async (): Promise<void> => {
      if ((view0.portVlan ?? 0) === 0 && vlansAllowed) await vf.setVlan(TEST_VLAN, false).catch(() => undefined);
      await vf.setMulticast([]).catch(() => undefined);
      const original = reset0.permanentMac ?? view0.mac;
      if (canSetMac && original !== null) await vf.setMac(original).catch(() => undefined);
    };
    await resetAndNegotiate(vf);
    await apply();
    let seen = false;
    const onReset = (): void => {
      seen = true;
    };
    vf.on('pf-reset', onReset);
    const detected = async (): Promise<boolean> => {
      if (seen || vf.needsReset) return true;
      const r = await vf.checkPfEvents().catch(() => ({ pfReset: false }));
      if (r.pfReset) return true;
      return seen || vf.needsReset;
    };
    let down = false;
    try {
      throwIfInterrupted(signal); // never take the PF down after Ctrl-C
      const t0 = performance.now();
      pending.add(PENDING.pfDown, { what: `${pf.pfName} is down (pf.reset took it down)`, restore: `ip link set ${pf.pfName} up` });
      await pf.interfaceDown();
      down = true;
      let detectMs: number | null = null;
      while (performance.now() - t0 < 5000) {
        throwIfInterrupted(signal);
        if (await detected()) {
          detectMs = performance.now() - t0;
          break;
        }
        await sleep(20, signal);
      }
      await pf.interfaceUp();
      down = false;
      pending.done(PENDING.pfDown);
      const tUp = performance.now();
      let attempts = 0;
      let lastErr: unknown = null;
      let recovered = false;
      while (performance.now() - tUp < boundMs) {
        throwIfInterrupted(signal);
        attempts += 1;
        try {
          await resetAndNegotiate(vf);
          await apply();
          recovered = true;
          break;
        } catch (err) {
          lastErr = err;
          if (!isIxgbevfError(err) || err.exitCode !== 4) throw err;
          await sleep(200, signal);
        }
      }
      const recoverMs = performance.now() - tUp;
      const details = { detectMs: detectMs === null ? null : Math.round(detectMs), recoverMs: Math.round(recoverMs), attempts, boundMs };
      if (detectMs === null) return fail(`the PF went down but the VF saw no reset within 5 s (no RSTI/RSTD, no ping)`, 'dmesg | grep -i vf', details);
      if (!recovered) {
        return fail(`reset detected after ${Math.round(detectMs)} ms, but the configuration was not re-applied within ${boundMs} ms: ${(lastErr as Error | null)?.message ?? ''}`, `ip link show ${pf.pfName} (up, carrier?); dmesg`, details);
      }
      if (canSetMac) {
        const after = await waitForView(pf, (x) => sameMac(x.mac, macs.test), 2000, signal);
        if (!sameMac(after.mac, macs.test)) return fail(`re-applied, but the PF's view shows ${show(after.mac)} instead of ${macs.test}`, undefined, details);
      }
      return pass(`reset detected after ${Math.round(detectMs)} ms; configuration (MAC, MTU, VLAN, multicast) re-applied ${Math.round(recoverMs)} ms after the PF came up (${attempts} attempt${attempts === 1 ? '' : 's'}, bound ${boundMs} ms)`, details);
    } finally {
      vf.off('pf-reset', onReset);
      if (down) await pf.interfaceUp().then(() => pending.done(PENDING.pfDown), () => undefined);
      else pending.done(PENDING.pfDown); // up again, or never taken down
      if (!vf.needsReset) await cleanup();
    }
  },
};
