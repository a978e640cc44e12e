/**
 * The configuration and interrupt groups: what a VF may ask for itself, each put back afterwards — set-mac
 * (shown in the PF's view, the original restored), an extra unicast filter, the MTU, a VLAN, a multicast
 * list, the xcast mode (the granted mode reported) — and whether the replies came by MSI-X (irq.msix).
 */
import { PfNackError } from '../../errors.js';
import type { XcastModeName } from '../../vf/types.js';
import type { CheckDef, HeldRun } from '../context.js';
import { TEST_MTU, TEST_MULTICAST, TEST_VLAN, fail, pass, sameMac, show, skip, waitForView, type Outcome } from '../table.js';

async function setMacCheck({ handle, pf, initialView: view0, reset: reset0, macs, opts }: HeldRun): Promise<Outcome> {
  const vf = handle.vf;
  const test = macs.test;
  if (reset0.permanentMac !== null && view0?.trust !== true) {
    // A different MAC would be refused (that is pf.trust-off's business). Re-setting the admin MAC must be
    // ACKed by ixgbe (ixgbe_set_vf_mac_addr refuses only another MAC); igb refuses every MAC from an
    // untrusted VF once the administrator set one, the same one included (igb_set_vf_mac_addr): expected.
    try {
      await vf.setMac(reset0.permanentMac);
    } catch (err) {
      if (!(err instanceof PfNackError) || handle.family.kind !== 'igbvf') throw err;
      return skip(`an administrator MAC (${reset0.permanentMac}) is set and the VF is not trusted: igb refuses every set-mac then, re-setting ${reset0.permanentMac} too (expected; answered); --allow-pf-changes tests trust off/on`);
    }
    return skip(`an administrator MAC (${reset0.permanentMac}) is set and the VF is not trusted: the PF refuses other MACs (re-setting ${reset0.permanentMac} was accepted); --allow-pf-changes tests trust off/on`);
  }
  await vf.setMac(test);
  if (pf === null) {
    if (reset0.permanentMac !== null) await vf.setMac(reset0.permanentMac);
    return skip(`set-mac ${test} accepted, but there is no PF view to look at (--pf)`);
  }
  // An interruption ends the waits; release.restore puts the MAC back.
  const held = await waitForView(pf, (v) => sameMac(v.mac, test), 2000, opts.signal);
  if (!sameMac(held.mac, test)) return fail(`set-mac ${test} was ACKed but the PF's view shows ${show(held.mac)}`, `ip -d link show ${pf.pfName}; dmesg | grep -i vf`);
  const original = reset0.permanentMac ?? view0?.mac ?? null;
  if (original === null) {
    const keeps = handle.family.kind === 'ixgbevf' ? `ixgbe keeps showing ${test} after release until the VF's next driver sets its own MAC` : 'igb forgets it when the VF is released';
    return pass(`${test} appeared in the PF's view while held; there was no original MAC to put back (${keeps})`, { test });
  }
  await vf.setMac(original);
  const after = await waitForView(pf, (v) => sameMac(v.mac, original), 2000, opts.signal);
  if (!sameMac(after.mac, original)) return fail(`${test} appeared, but restoring ${original} left the view at ${show(after.mac)}`, `ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${original}`);
  return pass(`${test} appeared in the PF's view while held; ${original} restored`, { test, original });
}

export const configChecks: readonly CheckDef<HeldRun>[] = [
  { id: 'config.set-mac', group: 'config', title: "set-mac shows in the PF's view, original restored", run: setMacCheck },
  {
    id: 'config.macvlan',
    group: 'config',
    title: 'extra unicast filter (SET_MACVLAN)',
    async run({ handle, macs, reset, initialView }) {
      const vf = handle.vf;
      try {
        await vf.setMacvlan(1, macs.other);
        await vf.setMacvlan(0, null);
        return pass(`added ${macs.other} as an extra filter, then cleared the list`);
      } catch (err) {
        if (err instanceof PfNackError && reset.permanentMac !== null && initialView?.trust !== true) {
          await vf.setMacvlan(0, null).catch(() => undefined);
          return skip('the PF refused (administrator MAC set, VF not trusted): expected; answered', err.hint);
        }
        throw err;
      }
    },
  },
  {
    id: 'config.mtu',
    group: 'config',
    title: 'MTU (SET_LPE)',
    async run({ handle }) {
      await handle.vf.setMtu(TEST_MTU);
      return pass(`MTU ${TEST_MTU} (max frame ${TEST_MTU + 18}) accepted`);
    },
  },
  {
    id: 'config.vlan',
    group: 'config',
    title: 'VLAN add/del',
    async run({ handle, initialView, trafficClasses }) {
      const vf = handle.vf;
      try {
        await vf.setVlan(TEST_VLAN, true);
      } catch (err) {
        const pv = initialView?.portVlan ?? 0;
        if (err instanceof PfNackError && pv > 0) return skip(`the PF refused (port VLAN ${pv} set for this VF): expected; answered`, err.hint);
        if (err instanceof PfNackError && trafficClasses > 1) return skip(`the PF refused (it runs DCB with ${trafficClasses} traffic classes): expected; answered`);
        throw err;
      }
      await vf.setVlan(TEST_VLAN, false);
      return pass(`VLAN ${TEST_VLAN} added and removed`);
    },
  },
  {
    id: 'config.multicast',
    group: 'config',
    title: 'multicast list set/clear',
    async run({ handle }) {
      const r = await handle.vf.setMulticast(TEST_MULTICAST);
      await handle.vf.setMulticast([]);
      if (r.programmed !== TEST_MULTICAST.length) return fail(`${r.programmed} of ${TEST_MULTICAST.length} multicast addresses programmed`);
      return pass(`${TEST_MULTICAST.join(', ')} set, then the list cleared`);
    },
  },
  {
    id: 'config.xcast',
    group: 'config',
    title: 'xcast mode (granted mode reported)',
    async run({ handle, initialView }) {
      const trusted = initialView?.trust ?? null;
      const granted = await handle.vf.setXcastMode('allmulti');
      const back: XcastModeName = 'multi';
      await handle.vf.setXcastMode(back);
      const rank = { none: 0, multi: 1, allmulti: 2, promisc: 3 } as const;
      if (rank[granted] > rank.allmulti) return fail(`asked allmulti, the PF granted ${granted}`);
      if (trusted === true && granted !== 'allmulti') return fail(`asked allmulti as a trusted VF, the PF granted ${granted}`);
      const why = granted === 'allmulti' ? '' : trusted === false ? ' (VF not trusted)' : '';
      return pass(`asked allmulti, granted ${granted}${why}; set back to ${back}`, { requested: 'allmulti', granted });
    },
  },
  {
    id: 'irq.msix',
    group: 'interrupts',
    title: 'replies delivered through MSI-X',
    run({ opts, handle }) {
      if (opts.poll === true) return Promise.resolve(skip('--poll: interrupts not used; every other check ran by polling'));
      const c = handle.vf.counters;
      if (c.interrupts > 0) return Promise.resolve(pass(`${c.interrupts} mailbox interrupts for ${c.msgsRx} PF messages`, { counters: { ...c } }));
      return Promise.resolve(
        fail(`no mailbox interrupt arrived during ${c.msgsTx} requests: replies were found by the timer fallback`, 'check MSI-X: grep vfio /proc/interrupts; dmesg | grep -i -e dmar -e vfio; compare with --poll', {
          counters: { ...c },
        }),
      );
    },
  },
];
