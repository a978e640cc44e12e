/**
 * The opt-in check groups that change the PF: `--allow-pf-changes` (admin MAC + trust off/on, then
 * everything put back: pf.trust-off, pf.trust-on, pf.restore) and `--allow-pf-reset` (PF down/up: the
 * reset is detected and the configuration re-applied: pf.reset).
 */
import { NotSupportedError, PfNackError, isIxgbevfError } from '../errors.js';
import { resetAndNegotiate } from '../vf/bring-up.js';
import type { Remedy } from '../vf/nack.js';
import type { ResetResult, VfApi } from '../vf/types.js';
import { TEST_MTU, TEST_MULTICAST, TEST_VLAN, Table, fail, fmtBool, pass, sameMac, show, skip, sleep, waitForView, type Outcome, type WithCheck } from './checks.js';
import type { PfSide, PfVfView } from './pf-side.js';
import type { SmokeOptions } from './types.js';

export async function pfChangeChecks(
  table: Table,
  opts: SmokeOptions,
  vf: VfApi,
  pf: PfSide | null,
  view0: PfVfView | null,
  reset0: ResetResult,
  macs: { test: string; other: string; admin: string },
): Promise<void> {
  const ids = ['pf.trust-off', 'pf.trust-on', 'pf.restore'];
  if (opts.allowPfChanges !== true) {
    for (const id of ids) table.record(id, skip('opt-in: changes PF settings (admin MAC, trust); run with --allow-pf-changes'));
    return;
  }
  if (pf === null || view0 === null) {
    for (const id of ids) table.record(id, skip('no PF view (see env.pf-view): pass --pf <ifname>'));
    return;
  }
  const original = { adminMac: reset0.permanentMac, trust: view0.trust ?? false, viewMac: view0.mac };
  let touched = false;
  try {
    await table.run('pf.trust-off', async () => {
      touched = true;
      await pf.setAdminMac(macs.admin);
      await pf.setTrust(false);
      const r = await resetAndNegotiate(vf);
      if (!sameMac(r.permanentMac, macs.admin)) return fail(`after \`ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${macs.admin}\` the reset gave ${show(r.permanentMac)}`);
      try {
        await vf.setMac(macs.other);
      } catch (err) {
        if (err instanceof PfNackError) {
          const remedies = Array.isArray(err.details.remedies) ? (err.details.remedies as Remedy[]) : [];
          const namesTrust = remedies.some((x) => x.kind === 'pf-vf' && x.setting === 'trust' && x.value === 'on');
          if (err.hint === undefined || !namesTrust) return fail(`refused, but the fix does not name trust on: ${err.hint ?? 'none'}`);
          return pass(`set-mac ${macs.other} refused (admin MAC ${macs.admin}, trust off); hint: ${err.hint}`, { hint: err.hint });
        }
        throw err;
      }
      return fail(`the PF accepted set-mac ${macs.other} although admin MAC ${macs.admin} is set and trust is off`, `dmesg | grep -i vf`);
    });
    await table.run('pf.trust-on', async () => {
      try {
        await pf.setTrust(true);
      } catch (err) {
        if (err instanceof NotSupportedError) return skip(`the PF does not support trust: ${err.message}`);
        throw err;
      }
      await resetAndNegotiate(vf); // a trust change drops clear-to-send on ixgbe
      await vf.setMac(macs.other);
      const v = await waitForView(pf, (x) => sameMac(x.mac, macs.other));
      if (!sameMac(v.mac, macs.other)) return fail(`trusted set-mac ${macs.other} ACKed but the view shows ${show(v.mac)}`);
      return pass(`trusted: set-mac ${macs.other} accepted over admin MAC ${macs.admin}, shown in the PF's view`);
    });
  } finally {
    if (touched) {
      await table.run('pf.restore', () => restorePf(vf, pf, original));
    } else if (!table.has('pf.restore')) {
      table.record('pf.restore', skip('nothing was changed'));
    }
  }
}

async function restorePf(vf: VfApi, pf: PfSide, original: { adminMac: string | null; trust: boolean; viewMac: string | null }): Promise<Outcome> {
  const errors: string[] = [];
  await pf.setTrust(original.trust).catch((e: unknown) => {
    if (!(e instanceof NotSupportedError)) errors.push((e as Error).message);
  });
  await pf.setAdminMac(original.adminMac).catch((e: unknown) => errors.push((e as Error).message));
  let r: ResetResult | null = null;
  try {
    r = await resetAndNegotiate(vf);
    // Put back a MAC the VF (not the admin) had chosen.
    if (original.adminMac === null && original.viewMac !== null) await vf.setMac(original.viewMac);
  } catch (e) {
    errors.push(`VF re-reset: ${(e as Error).message}`);
  }
  const want = original.adminMac ?? original.viewMac;
  const v = await waitForView(pf, (x) => sameMac(x.mac, want) && (x.trust === null || x.trust === original.trust));
  const trustOk = v.trust === null || v.trust === original.trust;
  const macOk = sameMac(v.mac, want);
  const text = `trust ${fmtBool(v.trust)}, mac ${show(v.mac)}`;
  const fix = `ip link set ${pf.pfName} vf ${pf.vfIndex} trust ${original.trust ? 'on' : 'off'}; ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${original.adminMac ?? '00:00:00:00:00:00'}`;
  if (errors.length > 0 || !trustOk || !macOk) {
    return fail(`not fully restored: ${text} (wanted trust ${original.trust ? 'on' : 'off'}, mac ${show(want)})${errors.length ? `; ${errors.join('; ')}` : ''}`, fix);
  }
  return pass(`restored: ${text}${r !== null ? `; reset gives ${show(r.permanentMac)}` : ''}`);
}

export async function pfResetCheck(
  table: Table,
  opts: SmokeOptions,
  vf: VfApi,
  pf: PfSide | null,
  view0: PfVfView | null,
  reset0: ResetResult,
  macs: { test: string; other: string; admin: string },
  boundMs: number,
  /** false when the PF runs DCB (it refuses every VF VLAN, ixgbe_set_vf_vlan_msg). */
  vlansAllowed: boolean,
): Promise<void> {
  if (opts.allowPfReset !== true) {
    table.record('pf.reset', skip('opt-in: takes the PF interface down and up (traffic stops); run with --allow-pf-reset'));
    return;
  }
  if (pf === null || view0 === null) {
    table.record('pf.reset', skip('no PF view (see env.pf-view): pass --pf <ifname>'));
    return;
  }
  await table.run('pf.reset', async () => {
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
    const v = vf as WithCheck;
    const detected = async (): Promise<boolean> => {
      if (seen || vf.needsReset) return true;
      if (typeof v.checkPfEvents === 'function') {
        const r = await v.checkPfEvents().catch(() => ({ pfReset: false }));
        if (r.pfReset) return true;
      }
      return seen || vf.needsReset;
    };
    let down = false;
    try {
      const t0 = performance.now();
      await pf.interfaceDown();
      down = true;
      let detectMs: number | null = null;
      while (performance.now() - t0 < 5000) {
        if (await detected()) {
          detectMs = performance.now() - t0;
          break;
        }
        await sleep(20);
      }
      await pf.interfaceUp();
      down = false;
      const tUp = performance.now();
      let attempts = 0;
      let lastErr: unknown = null;
      let recovered = false;
      while (performance.now() - tUp < boundMs) {
        attempts += 1;
        try {
          await resetAndNegotiate(vf);
          await apply();
          recovered = true;
          break;
        } catch (err) {
          lastErr = err;
          if (!isIxgbevfError(err) || err.exitCode !== 4) throw err;
          await sleep(200);
        }
      }
      const recoverMs = performance.now() - tUp;
      const details = { detectMs: detectMs === null ? null : Math.round(detectMs), recoverMs: Math.round(recoverMs), attempts, boundMs };
      if (detectMs === null) return fail(`the PF went down but the VF saw no reset within 5 s (no RSTI/RSTD, no ping)`, 'dmesg | grep -i vf', details);
      if (!recovered) {
        return fail(`reset detected after ${Math.round(detectMs)} ms, but the configuration was not re-applied within ${boundMs} ms: ${(lastErr as Error | null)?.message ?? ''}`, `ip link show ${pf.pfName} (up, carrier?); dmesg`, details);
      }
      if (canSetMac) {
        const after = await waitForView(pf, (x) => sameMac(x.mac, macs.test));
        if (!sameMac(after.mac, macs.test)) return fail(`re-applied, but the PF's view shows ${show(after.mac)} instead of ${macs.test}`, undefined, details);
      }
      return pass(`reset detected after ${Math.round(detectMs)} ms; configuration (MAC, MTU, VLAN, multicast) re-applied ${Math.round(recoverMs)} ms after the PF came up (${attempts} attempt${attempts === 1 ? '' : 's'}, bound ${boundMs} ms)`, details);
    } finally {
      vf.off('pf-reset', onReset);
      if (down) await pf.interfaceUp().catch(() => undefined);
      if (!vf.needsReset) await cleanup();
    }
  });
}
