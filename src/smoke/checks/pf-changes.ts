/**
 * The opt-in group that changes PF settings (`--allow-pf-changes`): with an administrator MAC and trust off
 * the PF refuses another MAC and the hint names trust (pf.trust-off); with trust on it accepts it
 * (pf.trust-on); then everything is put back (pf.restore, run whenever pf.trust-off started).
 */
import { NotSupportedError, PfNackError } from '../../errors.js';
import { resetAndNegotiate } from '../../vf/bring-up.js';
import type { Remedy } from '../../vf/nack.js';
import type { ResetResult, VfApi } from '../../vf/types.js';
import type { CheckDef, HeldRun } from '../context.js';
import type { PfSide } from '../pf-side.js';
import { PENDING } from '../restores.js';
import { fail, fmtBool, pass, sameMac, show, skip, throwIfInterrupted, waitForView, type Outcome } from '../table.js';

const OPT_IN = 'opt-in: changes PF settings (admin MAC, trust); run with --allow-pf-changes';
const NO_VIEW = 'no PF view (see env.pf-view): pass --pf <ifname>';

/** Why this group does not run, or null when it does (opted in, with a PF view). */
function notRun({ opts, pf, initialView }: HeldRun): Outcome | null {
  if (opts.allowPfChanges !== true) return skip(OPT_IN);
  if (pf === null || initialView === null) return skip(NO_VIEW);
  return null;
}

/** The PF settings before the group changed them (admin MAC from the first reset, trust and MAC from the view). */
function original({ reset, initialView }: HeldRun): { adminMac: string | null; trust: boolean; viewMac: string | null } {
  return { adminMac: reset.permanentMac, trust: initialView?.trust ?? false, viewMac: initialView?.mac ?? null };
}

export const pfChangeChecks: readonly CheckDef<HeldRun>[] = [
  {
    id: 'pf.trust-off',
    group: 'pf-changes',
    title: 'admin MAC + trust off → set-mac refused with hint',
    async run(run) {
      const skipped = notRun(run);
      if (skipped !== null) return skipped;
      const pf = run.pf!;
      const { macs } = run;
      const vf = run.handle.vf;
      run.pfTouched = true;
      const was = original(run);
      run.pending.add(PENDING.pfSettings, {
        what: `${pf.pfName} vf ${pf.vfIndex} trust and administrator MAC (pf.trust-off/on change them; they were trust ${was.trust ? 'on' : 'off'}, mac ${show(was.adminMac)})`,
        restore: restoreCommand(pf, was),
      });
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
    },
  },
  {
    id: 'pf.trust-on',
    group: 'pf-changes',
    title: 'trust on → set-mac accepted',
    async run(run) {
      const skipped = notRun(run);
      if (skipped !== null) return skipped;
      const pf = run.pf!;
      const { macs } = run;
      const vf = run.handle.vf;
      throwIfInterrupted(run.opts.signal); // no further PF change after Ctrl-C: pf.restore puts back what trust-off changed
      try {
        await pf.setTrust(true);
      } catch (err) {
        if (err instanceof NotSupportedError) return skip(`the PF does not support trust: ${err.message}`);
        throw err;
      }
      await resetAndNegotiate(vf); // a trust change drops clear-to-send on ixgbe
      await vf.setMac(macs.other);
      const v = await waitForView(pf, (x) => sameMac(x.mac, macs.other), 2000, run.opts.signal);
      if (!sameMac(v.mac, macs.other)) return fail(`trusted set-mac ${macs.other} ACKed but the view shows ${show(v.mac)}`);
      return pass(`trusted: set-mac ${macs.other} accepted over admin MAC ${macs.admin}, shown in the PF's view`);
    },
  },
  {
    id: 'pf.restore',
    group: 'pf-changes',
    title: 'PF settings restored',
    async run(run) {
      const skipped = notRun(run);
      if (skipped !== null) return skipped;
      if (!run.pfTouched) return skip('nothing was changed');
      const outcome = await restorePf(run.handle.vf, run.pf!, original(run));
      if (outcome.status === 'pass') run.pending.done(PENDING.pfSettings);
      return outcome;
    },
    // Runs after an interruption too, whenever pf.trust-off changed the PF.
    restores: (run) => run.pfTouched,
  },
];

/** The commands that put the PF's trust and administrator MAC for the VF back. */
function restoreCommand(pf: PfSide, original: { adminMac: string | null; trust: boolean }): string {
  return `ip link set ${pf.pfName} vf ${pf.vfIndex} trust ${original.trust ? 'on' : 'off'}; ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${original.adminMac ?? '00:00:00:00:00:00'}`;
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
  const fix = restoreCommand(pf, original);
  if (errors.length > 0 || !trustOk || !macOk) {
    return fail(`not fully restored: ${text} (wanted trust ${original.trust ? 'on' : 'off'}, mac ${show(want)})${errors.length ? `; ${errors.join('; ')}` : ''}`, fix);
  }
  return pass(`restored: ${text}${r !== null ? `; reset gives ${show(r.permanentMac)}` : ''}`);
}

