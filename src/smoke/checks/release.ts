/**
 * The release group, run by the engine whatever happened before: the PF's view of the VF put back while
 * the VF is held (release.restore), the view after release (release.view, reported, not judged), and the
 * VF's driver put back when --bind moved it (release.driver).
 */
import type { VfHandle } from '../../open/types.js';
import type { ResetResult } from '../../vf/types.js';
import type { CheckDef, HeldRun } from '../context.js';
import type { PfSide, PfVfView } from '../pf-side.js';
import { PENDING } from '../restores.js';
import { fail, fmtBool, pass, sameMac, show, skip, sleep, waitForView, type Outcome } from '../table.js';
import type { LeftChange } from '../types.js';

/**
 * Puts the PF's view of the VF back while the VF is still held. The only PF-view knob the default checks
 * touch is the VF's MAC: ixgbe keeps a VF's stored MAC after the VF is released (ixgbe_vf_reset_event
 * keeps vf_mac_addresses), so a test MAC set where there was none stays in `ip link show` for good; igb
 * forgets a MAC the VF set when the VF is released (igb_vf_reset_event). A MAC the VF had chosen before
 * is put back by the VF itself; "no MAC" can only be put back from the PF
 * (`ip link set <pf> vf <n> mac 00:00:00:00:00:00`, ixgbe_ndo_set_vf_mac): with --allow-pf-changes the
 * test does it, without it the summary names it.
 */
export async function restoreView(handle: VfHandle, pf: PfSide | null, view0: PfVfView | null, allowPfChanges: boolean, left: LeftChange[]): Promise<Outcome> {
  if (pf === null || view0 === null) return skip('no PF view (see env.pf-view): nothing to compare with');
  const vf = handle.vf;
  let v = await pf.view();
  if (sameMac(v.mac, view0.mac)) return pass(`mac ${show(v.mac)} as before the test`);
  if (handle.family.kind === 'igbvf') {
    return pass(`mac ${show(v.mac)} while held (was ${show(view0.mac)}); igb forgets a MAC the VF set when the VF is released`);
  }
  if (view0.mac !== null) {
    // A MAC the VF (not the administrator) had: the VF puts it back itself.
    await vf.setMac(view0.mac);
    v = await waitForView(pf, (x) => sameMac(x.mac, view0.mac));
    if (sameMac(v.mac, view0.mac)) return pass(`mac ${show(v.mac)} put back by the VF`);
  }
  const restore = `ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${view0.mac ?? '00:00:00:00:00:00'}`;
  if (!allowPfChanges && pf.kind === 'sim') {
    return skip(`the simulated PF keeps mac ${show(v.mac)} for this VF after release, as ixgbe does (it had ${show(view0.mac)}); the simulated PF ends with this process, so nothing is left changed`);
  }
  if (!allowPfChanges) {
    left.push({ what: `${pf.pfName} vf ${pf.vfIndex} mac`, now: v.mac, before: view0.mac, restore });
    return skip(`the PF keeps mac ${show(v.mac)} for this VF after release (it had ${show(view0.mac)}); putting that back is a PF change (--allow-pf-changes): \`${restore}\``);
  }
  await pf.setAdminMac(view0.mac);
  v = await waitForView(pf, (x) => sameMac(x.mac, view0.mac));
  if (!sameMac(v.mac, view0.mac)) {
    left.push({ what: `${pf.pfName} vf ${pf.vfIndex} mac`, now: v.mac, before: view0.mac, restore });
    return fail(`\`${restore}\` left the view at mac ${show(v.mac)}`, restore);
  }
  return pass(`mac ${show(v.mac)} put back from the PF (\`${restore}\`)`);
}

export async function releaseView(handle: VfHandle, pf: PfSide | null, view0: PfVfView | null, reset: ResetResult | null): Promise<Outcome> {
  if (pf === null) return skip('no PF view (see env.pf-view)');
  // vfio-pci resets the VF (FLR) when the device is released; give the PF a moment to process the VFLR.
  if (handle.kind === 'vfio') await sleep(300);
  const v = await pf.view();
  const admin = reset?.permanentMac ?? null;
  let verdict: string;
  if (handle.kind === 'sim') verdict = 'simulated VF: close() does not reset it';
  else if (handle.family.kind === 'ixgbevf') verdict = `ixgbe keeps the stored MAC across the VF reset (view: ${show(v.mac)})`;
  else {
    // igb forgets a MAC the VF chose on VF reset, and keeps the administrator's.
    verdict = sameMac(v.mac, admin) ? `as igb does on VF reset (MAC ${show(admin)})` : `igb usually shows ${show(admin)} after a VF reset; it shows ${show(v.mac)}`;
  }
  return pass(`reported (not judged): mac ${show(v.mac)}, trust ${fmtBool(v.trust)} (before: mac ${show(view0?.mac ?? null)}, trust ${fmtBool(view0?.trust ?? null)}); ${verdict}`, { before: view0, after: v });
}

/**
 * Once the VF is held and reset, the checks may leave a test MAC in the PF's view that the PF keeps after
 * release (ixgbe; igb forgets it, and the simulated PF ends with this process unless the test may change
 * it, as restoreView judges): pending until release.restore puts it back.
 */
export function notePendingMac(run: HeldRun): void {
  const { pf, initialView: view0, handle } = run;
  if (pf === null || view0 === null || handle.family.kind === 'igbvf') return;
  if (pf.kind === 'sim' && run.opts.allowPfChanges !== true) return;
  run.pending.add(PENDING.vfMac, {
    what: `${pf.pfName} vf ${pf.vfIndex} mac: the PF may keep a test MAC (it had ${show(view0.mac)})`,
    restore: `ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${view0.mac ?? '00:00:00:00:00:00'}`,
  });
}

export const releaseRestore: CheckDef<HeldRun> = {
  id: 'release.restore',
  group: 'release',
  title: "PF's view of the VF put back while the VF is held",
  async run(run) {
    const left = run.leftChanged.length;
    const outcome = await restoreView(run.handle, run.pf, run.initialView, run.opts.allowPfChanges === true, run.leftChanged);
    const kept = run.leftChanged[left];
    if (kept === undefined) run.pending.done(PENDING.vfMac);
    else run.pending.add(PENDING.vfMac, { what: `${kept.what} ${kept.now ?? 'none'} (was ${kept.before ?? 'none'})`, restore: kept.restore });
    return outcome;
  },
};

export const releaseViewCheck: CheckDef<HeldRun> = {
  id: 'release.view',
  group: 'release',
  title: "PF's view after release (reported, not judged)",
  run: (run) => releaseView(run.handle, run.pf, run.initialView, run.reset),
};

export const releaseDriver: CheckDef = {
  id: 'release.driver',
  group: 'release',
  title: 'VF driver put back (--bind)',
  async run({ opts, host, rebind, pending, table }) {
    if (rebind === null && opts.bind !== true) return skip('not asked (--bind moves the VF to vfio-pci and back)');
    if (rebind === null) {
      // env.driver passes without a rebind only when it found the VF on vfio-pci; a failed (or skipped) env.driver moved nothing.
      return skip(table.status('env.driver') === 'pass' ? 'the VF was already on vfio-pci: nothing to put back' : 'the VF was not moved to vfio-pci (see env.driver): nothing to put back');
    }
    const r = await host.restore(opts.spec, rebind.previous);
    if (r.driver !== rebind.previous) return fail(`the VF is now on ${r.driver ?? 'no driver'}, not ${rebind.previous ?? 'unbound'}`, rebind.previous === null ? `ixgbevf unbind ${opts.spec}` : `ixgbevf unbind ${opts.spec} --driver ${rebind.previous}`);
    pending.done(PENDING.driver);
    return pass(`back on ${r.driver ?? 'no driver'}`);
  },
};
