/**
 * The smoke engine: runs every check of issue 6 against one VF and returns the table. Pure logic over
 * `openVf`, a `PfSide` and injectable host operations, so the whole thing runs against `sim` in unit
 * tests and against a real PF on a host or in the emulated rig.
 *
 * Safety: without `allowPfChanges` / `allowPfReset` nothing on the PF is changed except what a VF may
 * ask for itself (MAC, MTU, VLAN, multicast, xcast), and each of those is put back. Every opt-in change
 * is undone in a `finally`.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ExitCode, PfNackError } from '../errors.js';
import { ApiVersion, NEGOTIATION_ORDER, apiAtLeast, apiName } from '../hw/api.js';
import { messageId } from '../mbx/codec.js';
import type { VfHandle } from '../open-types.js';
import { bindToVfio, unbindDevice } from '../pci/bind.js';
import { readDriver } from '../pci/discovery.js';
import { diagnose } from '../pci/doctor.js';
import { Requirements, isPossibleOn } from '../vf/requirements.js';
import type { ResetResult, VfApi, XcastModeName } from '../vf/types.js';
import {
  SMOKE_CHECKS,
  TEST_MTU,
  TEST_MULTICAST,
  TEST_VLAN,
  Table,
  VALUE_FAILURE_EXIT,
  fail,
  familyName,
  fmtBool,
  pass,
  sameMac,
  show,
  skip,
  waitForView,
  type Outcome,
} from './checks.js';
import { pfChangeChecks, pfResetCheck } from './pf-checks.js';
import { ipPfSide, simPfSide, type PfSide, type PfVfView } from './pf-side.js';
import { putDriverBack, releaseView, restoreView } from './release.js';
import type { LeftChange, SmokeHost, SmokeOptions, SmokeReport } from './types.js';

export { SMOKE_CHECKS } from './checks.js';

const DEFAULT_RESET_BOUND_MS = 20_000;

function randomLaaMac(): string {
  const b = randomBytes(6);
  b[0] = 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function defaultMacs(): { test: string; other: string; admin: string } {
  const set = new Set<string>();
  while (set.size < 3) set.add(randomLaaMac());
  const [test, other, admin] = [...set] as [string, string, string];
  return { test, other, admin };
}

function defaultHost(opts: SmokeOptions): SmokeHost {
  const sysfs = opts.sysfs ?? {};
  return {
    diagnose: (vf) => diagnose(vf, sysfs),
    readDriver: (vf) => readDriver(vf as never, sysfs),
    bind: async (vf) => {
      const r = await bindToVfio(vf, sysfs);
      return { previousDriver: r.previousDriver, changed: r.changed };
    },
    restore: async (vf, driver) => {
      const r = await unbindDevice(vf, { ...sysfs, restore: driver ?? false });
      return { driver: r.driver };
    },
  };
}



/** Runs the smoke test; never throws for a failing check (bad options throw before anything runs). */
export async function runSmoke(opts: SmokeOptions): Promise<SmokeReport> {
  const started = performance.now();
  const table = new Table(opts.onCheck);
  const isSim = opts.spec === 'sim' || opts.spec.startsWith('sim:');
  const host = opts.host ?? defaultHost(opts);
  const macs = opts.macs ?? defaultMacs();
  const resetBoundMs = opts.resetBoundMs ?? DEFAULT_RESET_BOUND_MS;
  const sentIds = new Set<number>();
  const replies: number[][] = [];
  const st = {
    handle: null as VfHandle | null,
    pf: null as PfSide | null,
    pfName: opts.pf ?? null,
    initialView: null as PfVfView | null,
    reset: null as ResetResult | null,
    /** What the test leaves changed in the PF's view, with the command that restores it. */
    leftChanged: [] as LeftChange[],
    /** driver to put the VF back on, when --bind moved it. */
    rebind: null as { previous: string | null } | null,
  };

  const report = (): SmokeReport => {
    const checks = table.ordered();
    const summary = {
      passed: checks.filter((c) => c.status === 'pass').length,
      failed: checks.filter((c) => c.status === 'fail').length,
      skipped: checks.filter((c) => c.status === 'skip').length,
    };
    const firstFail = checks.find((c) => c.status === 'fail');
    const h = st.handle;
    return {
      tool: 'ixgbevf smoke',
      vf: h?.id ?? opts.spec,
      kind: h?.kind ?? (isSim ? 'sim' : null),
      model: h?.family.model ?? null,
      familyKind: h?.family.kind ?? null,
      pf: st.pf?.pfName ?? st.pfName,
      vfIndex: h?.vfIndex ?? null,
      api: st.reset === null || h === null ? null : apiName(h.vf.api),
      mode: opts.poll === true ? 'poll' : 'interrupts',
      options: { allowPfChanges: opts.allowPfChanges === true, allowPfReset: opts.allowPfReset === true, bind: opts.bind === true },
      host: { kernel: `${os.type()} ${os.release()}`, node: process.version },
      checks,
      leftChanged: st.leftChanged,
      summary,
      ok: firstFail === undefined,
      exitCode: firstFail === undefined ? 0 : (firstFail.error?.exitCode ?? VALUE_FAILURE_EXIT),
      durationMs: Math.round(performance.now() - started),
    };
  };

  // 1. Environment ------------------------------------------------------------------------------------
  if (isSim) {
    table.record('env.driver', skip('simulated VF: no PCI device to bind'));
    table.record('env.doctor', skip('simulated VF: no IOMMU/VFIO needed'));
  } else {
    await table.run('env.driver', async () => {
      const driver = await host.readDriver(opts.spec);
      if (driver === 'vfio-pci') return pass('on vfio-pci');
      if (opts.bind !== true) {
        return { ...fail(`the VF is on ${driver ?? 'no driver'}, not vfio-pci`, `ixgbevf bind ${opts.spec} (or pass --bind: moved there for the test and back afterwards)`), exitCode: ExitCode.environment };
      }
      const r = await host.bind(opts.spec);
      st.rebind = { previous: r.previousDriver };
      return pass(`bound to vfio-pci for the test (was ${r.previousDriver ?? 'unbound'}; put back at the end)`, { previousDriver: r.previousDriver });
    });
    await table.run('env.doctor', async () => {
      const r = await host.diagnose(opts.spec);
      const failed = r.checks.filter((c) => c.status === 'fail');
      const warned = r.checks.filter((c) => c.status === 'warn');
      if (failed.length > 0) {
        return {
          ...fail(failed.map((c) => c.message).join('; '), failed.map((c) => c.fix).filter((f) => f !== undefined).join('; ') || undefined, { checks: r.checks }),
          exitCode: ExitCode.environment,
        };
      }
      return pass(`${r.checks.length} doctor checks passed${warned.length > 0 ? `, warnings: ${warned.map((c) => c.message).join('; ')}` : ''}`, { checks: r.checks });
    });
  }

  await table.run('env.open', async () => {
    st.handle = await opts.openVf(opts.spec, {
      ...(opts.poll === true ? { poll: true } : {}),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.sysfs?.sysRoot === undefined ? {} : { sysfsRoot: opts.sysfs.sysRoot }),
      onTrace: (ev) => {
        if (ev.direction === 'vf-to-pf' && ev.words.length > 0) sentIds.add(messageId(ev.words[0]!));
        else if (ev.direction === 'pf-to-vf') replies.push([...ev.words]);
        opts.onTrace?.(ev);
      },
    });
    const h = st.handle;
    return pass(`${h.kind === 'sim' ? 'simulated' : 'VFIO'} ${h.family.model} VF (${h.family.kind}), ${opts.poll === true ? 'polling' : 'interrupts'}`, {
      model: h.family.model,
      family: h.family.kind,
    });
  });

  const handle = st.handle as VfHandle | null;
  if (handle === null) {
    table.skipRest('not run: the VF could not be opened (env.open failed)');
    await putDriverBack(table, host, opts, st.rebind);
    return report();
  }
  const vf = handle.vf;

  try {
    // PF view ---------------------------------------------------------------------------------------
    await table.run('env.pf-view', async () => {
      if (handle.pfName !== null && opts.pf !== undefined && opts.pf !== handle.pfName && handle.kind === 'vfio') {
        return fail(`--pf ${opts.pf} is not this VF's PF: sysfs says ${handle.pfName}`, `drop --pf or use --pf ${handle.pfName}`);
      }
      const pfName = opts.pf ?? handle.pfName;
      st.pfName = pfName;
      if (handle.vfIndex === null) return skip("the VF's index on its PF is unknown: no PF-view checks");
      if (opts.pfSide !== undefined) st.pf = opts.pfSide(handle, pfName, handle.vfIndex);
      else if (handle.sim !== undefined) st.pf = simPfSide(handle.sim, pfName ?? 'sim-pf0', handle.vfIndex);
      else if (pfName !== null) st.pf = ipPfSide(pfName, handle.vfIndex, opts.env === undefined ? {} : { env: opts.env });
      if (st.pf === null) return skip('the PF has no network interface known here: pass --pf <ifname> for the PF-view checks', `ixgbevf smoke ${opts.spec} --pf <ifname>`);
      const v = await st.pf.view();
      st.initialView = v;
      const text = `${st.pf.pfName} vf ${st.pf.vfIndex}: mac ${show(v.mac)}, trust ${fmtBool(v.trust)}, spoofchk ${fmtBool(v.spoofchk)}, link-state ${v.linkState ?? '-'}, port VLAN ${v.portVlan ?? '-'}; PF ${v.pfUp === false ? 'DOWN' : 'up'}`;
      // A down PF is reset.answer's failure (with the fix); the view itself was read fine.
      return pass(v.pfUp === false ? `${text} (its VFs stay in reset until \`ip link set ${st.pf.pfName} up\`)` : text, { view: v });
    });

    // 2. Reset --------------------------------------------------------------------------------------
    await table.run('reset.answer', async () => {
      st.reset = await vf.reset();
      return pass(`PF answered VF_RESET: ${st.reset.permanentMac === null ? 'NACK (no administrator MAC)' : `ACK with MAC ${st.reset.permanentMac}`}, mc_filter_type ${st.reset.mcFilterType}`, {
        permanentMac: st.reset.permanentMac,
        mcFilterType: st.reset.mcFilterType,
      });
    });
    if (st.reset === null) {
      table.skipRest('not run: the VF reset failed (reset.answer)');
      return report();
    }
    const reset0 = st.reset;
    await table.run('reset.mac', async () => {
      const v = st.initialView;
      if (v === null || st.pf === null) return skip("no PF view (see env.pf-view): nothing to compare with");
      if (reset0.permanentMac !== null) {
        return sameMac(reset0.permanentMac, v.mac)
          ? pass(`${reset0.permanentMac} in both`)
          : fail(`the PF gave MAC ${reset0.permanentMac} at reset but its view shows ${show(v.mac)}`, `ip -d link show ${st.pf.pfName}; dmesg | grep -i vf`);
      }
      if (v.mac === null) return pass('no administrator MAC: the reset was NACKed and the view shows none');
      if (handle.family.kind === 'ixgbevf') {
        return pass(`no administrator MAC (reset NACKed); the view shows ${v.mac}, a MAC this VF's previous driver chose (ixgbe keeps it)`);
      }
      return fail(`the reset was NACKed (no administrator MAC) but the PF's view shows ${v.mac}`, `dmesg | grep -i vf`);
    });

    // 3. API ------------------------------------------------------------------------------------------
    // reset.answer, api.version and query.queues are resetAndNegotiate() (src/vf/bring-up.ts) check by
    // check: VF_RESET, API_NEGOTIATE, GET_QUEUES — the stock ixgbevf bring-up, with nothing sent between.
    await table.run('api.version', async () => {
      if (!handle.family.negotiatesApi) {
        await vf.negotiateApi();
        return skip(`ixgbe-only: API negotiation does not exist in the ${familyName(handle)}; the igb PF speaks 1.0`);
      }
      const api = await vf.negotiateApi();
      if (!NEGOTIATION_ORDER.includes(api)) return fail(`the PF agreed to API ${apiName(api)}, which this driver does not offer`);
      const note = api === ApiVersion.V1_5 ? ' (1.5 is the ESX mailbox: a Linux PF never agrees to it)' : '';
      return pass(`API ${apiName(api)}${note}`, { api: apiName(api) });
    });

    // 4. Queries ----------------------------------------------------------------------------------------
    const queuesRaw = (): number[] | undefined => replies.filter((w) => messageId(w[0] ?? 0) === 0x09).at(-1);
    let trafficClasses = 0;
    await table.run('query.queues', async () => {
      const q = await vf.getQueues();
      // ixgbe_get_vf_queues: TRANS_VLAN > 1 is the number of DCB traffic classes, DEF_QUEUE the default TC.
      if (q.transparentVlan > 1) trafficClasses = q.transparentVlan;
      const raw = queuesRaw();
      const rawTx = raw?.[1];
      const rawRx = raw?.[2];
      const details = { ...q, raw: raw?.slice(0, 5) };
      const inRange = (n: number | undefined): boolean => n === undefined || (n >= 1 && n <= 8);
      if (!inRange(rawTx) || !inRange(rawRx)) return fail(`the PF reported ${String(rawTx)} Tx / ${String(rawRx)} Rx queues (expected 1..8)`, undefined, details);
      const tcText = q.transparentVlan > 1 ? `DCB on the PF: ${q.transparentVlan} traffic classes, default TC ${q.defaultQueue}` : `default queue ${q.defaultQueue}, port VLAN/QoS ${q.transparentVlan === 1 ? 'set' : 'none'}`;
      return pass(`${q.txQueues} Tx / ${q.rxQueues} Rx queues, ${tcText}`, details);
    });
    const rssNack = (what: string, err: PfNackError): Outcome => {
      const v = st.initialView;
      if (v?.rssQuery === true) return fail(`${what} NACKed although query_rss is on`, err.hint);
      return skip(`${what}: the PF refused: query_rss is ${v?.rssQuery === false ? 'off' : 'not known to be on'} for this VF (answered, values not checked)`, err.hint);
    };
    await table.run('query.reta', async () => {
      try {
        const reta = await vf.getReta();
        const bad = reta.filter((e) => !Number.isInteger(e) || e < 0 || e > 3);
        if (reta.length !== 128 || bad.length > 0) return fail(`RETA has ${reta.length} entries, ${bad.length} out of range`, undefined, { reta });
        return pass(`128 entries, queues used: ${[...new Set(reta)].sort().join(',')}`, { reta });
      } catch (err) {
        if (err instanceof PfNackError) return rssNack('GET_RETA', err);
        throw err;
      }
    });
    await table.run('query.rss-key', async () => {
      try {
        const key = await vf.getRssKey();
        if (key.length !== 40 || key.every((b) => b === 0)) return fail(`RSS key of ${key.length} bytes${key.every((b) => b === 0) ? ', all zero' : ''}`);
        return pass('40-byte key, not all zero', { key: Buffer.from(key).toString('hex') });
      } catch (err) {
        if (err instanceof PfNackError) return rssNack('GET_RSS_KEY', err);
        throw err;
      }
    });
    await table.run('query.link-state', async () => {
      let enabled: boolean;
      try {
        enabled = await vf.getLinkState();
      } catch (err) {
        // GET_LINK_STATE came to the Linux PF in 2022 (≈ v5.18): older PFs refuse it as unknown at any API.
        if (err instanceof PfNackError) return skip(`the PF refused GET_LINK_STATE at API ${apiName(vf.api)}: PF kernels before ≈ v5.18 do not know it (answered)`, err.hint);
        throw err;
      }
      const admin = st.initialView?.linkState ?? null;
      if (admin === 'disable' && enabled) return fail('the PF says link is enabled but its view says link-state disable');
      if (admin === 'enable' || admin === 'auto') {
        if (!enabled) return fail(`the PF says link is disabled but its view says link-state ${admin}`, `ip link set ${st.pf?.pfName ?? '<pf>'} vf ${handle.vfIndex ?? '<n>'} state auto`);
      }
      return pass(`link ${enabled ? 'enabled' : 'disabled'} by the PF${admin === null ? '' : ` (view: link-state ${admin})`}`);
    });
    await table.run('query.pf-link', async () => {
      try {
        const l = await vf.getPfLinkState();
        return pass(`PF link ${l.up ? `up ${l.speedMbps ?? '?'} Mb/s` : 'down'}`, { link: l });
      } catch (err) {
        if (err instanceof PfNackError && handle.family.model !== 'E610') {
          return skip(`E610-only: the ${handle.family.model} PF refused GET_PF_LINK_STATE as expected (answered)`);
        }
        throw err;
      }
    });
    await table.run('query.link-register', async () => {
      const l = await vf.checkLink();
      return pass(`${l.source}: link ${l.up ? `up ${l.speedMbps ?? '?'} Mb/s` : 'down'}`, { link: l });
    });

    // 5./6. Configuration ---------------------------------------------------------------------------------
    await table.run('config.set-mac', () => setMacCheck(vf, handle, st.pf, st.initialView, reset0, macs.test));
    await table.run('config.macvlan', async () => {
      try {
        await vf.setMacvlan(1, macs.other);
        await vf.setMacvlan(0, null);
        return pass(`added ${macs.other} as an extra filter, then cleared the list`);
      } catch (err) {
        if (err instanceof PfNackError && reset0.permanentMac !== null && st.initialView?.trust !== true) {
          await vf.setMacvlan(0, null).catch(() => undefined);
          return skip('the PF refused (administrator MAC set, VF not trusted): expected; answered', err.hint);
        }
        throw err;
      }
    });
    await table.run('config.mtu', async () => {
      await vf.setMtu(TEST_MTU);
      return pass(`MTU ${TEST_MTU} (max frame ${TEST_MTU + 18}) accepted`);
    });
    await table.run('config.vlan', async () => {
      try {
        await vf.setVlan(TEST_VLAN, true);
      } catch (err) {
        const pv = st.initialView?.portVlan ?? 0;
        if (err instanceof PfNackError && pv > 0) return skip(`the PF refused (port VLAN ${pv} set for this VF): expected; answered`, err.hint);
        if (err instanceof PfNackError && trafficClasses > 1) return skip(`the PF refused (it runs DCB with ${trafficClasses} traffic classes): expected; answered`);
        throw err;
      }
      await vf.setVlan(TEST_VLAN, false);
      return pass(`VLAN ${TEST_VLAN} added and removed`);
    });
    await table.run('config.multicast', async () => {
      const r = await vf.setMulticast(TEST_MULTICAST);
      await vf.setMulticast([]);
      if (r.programmed !== TEST_MULTICAST.length) return fail(`${r.programmed} of ${TEST_MULTICAST.length} multicast addresses programmed`);
      return pass(`${TEST_MULTICAST.join(', ')} set, then the list cleared`);
    });
    await table.run('config.xcast', async () => {
      const trusted = st.initialView?.trust ?? null;
      const granted = await vf.setXcastMode('allmulti');
      const back: XcastModeName = 'multi';
      await vf.setXcastMode(back);
      const rank = { none: 0, multi: 1, allmulti: 2, promisc: 3 } as const;
      if (rank[granted] > rank.allmulti) return fail(`asked allmulti, the PF granted ${granted}`);
      if (trusted === true && granted !== 'allmulti') return fail(`asked allmulti as a trusted VF, the PF granted ${granted}`);
      const why = granted === 'allmulti' ? '' : trusted === false ? ' (VF not trusted)' : '';
      return pass(`asked allmulti, granted ${granted}${why}; set back to ${back}`, { requested: 'allmulti', granted });
    });

    // 7. Interrupts -------------------------------------------------------------------------------------------
    await table.run('irq.msix', () => {
      if (opts.poll === true) return Promise.resolve(skip('--poll: interrupts not used; every other check ran by polling'));
      const c = vf.counters;
      if (c.interrupts > 0) return Promise.resolve(pass(`${c.interrupts} mailbox interrupts for ${c.msgsRx} PF messages`, { counters: { ...c } }));
      return Promise.resolve(
        fail(`no mailbox interrupt arrived during ${c.msgsTx} requests: replies were found by the timer fallback`, 'check MSI-X: grep vfio /proc/interrupts; dmesg | grep -i -e dmar -e vfio; compare with --poll', {
          counters: { ...c },
        }),
      );
    });

    // 8. Opt-in: PF changes -------------------------------------------------------------------------------------
    await pfChangeChecks(table, opts, vf, st.pf, st.initialView, reset0, macs);
    await pfResetCheck(table, opts, vf, st.pf, st.initialView, reset0, macs, resetBoundMs, trafficClasses <= 1);

    // api.coverage: from the words actually sent ------------------------------------------------------------
    table.record('api.coverage', coverage(handle, sentIds, table));
  } finally {
    // 9. Release ------------------------------------------------------------------------------------------------
    if (st.reset !== null && !table.has('release.restore')) {
      await table.run('release.restore', () => restoreView(handle, st.pf, st.initialView, opts.allowPfChanges === true, st.leftChanged));
    }
    await handle.close().catch(() => undefined);
    if (st.reset !== null && !table.has('release.view')) {
      await table.run('release.view', () => releaseView(handle, st.pf, st.initialView, st.reset));
    }
    if (!table.has('release.driver')) await putDriverBack(table, host, opts, st.rebind);
    table.skipRest('not run: an earlier step stopped the test');
  }
  return report();
}


async function setMacCheck(vf: VfApi, handle: VfHandle, pf: PfSide | null, view0: PfVfView | null, reset0: ResetResult, test: string): Promise<Outcome> {
  if (reset0.permanentMac !== null && view0?.trust !== true) {
    // A different MAC would be refused (that is pf.trust-off's business); re-setting the admin MAC must be ACKed.
    await vf.setMac(reset0.permanentMac);
    return skip(`an administrator MAC (${reset0.permanentMac}) is set and the VF is not trusted: the PF refuses other MACs (re-setting ${reset0.permanentMac} was accepted); --allow-pf-changes tests trust off/on`);
  }
  await vf.setMac(test);
  if (pf === null) {
    if (reset0.permanentMac !== null) await vf.setMac(reset0.permanentMac);
    return skip(`set-mac ${test} accepted, but there is no PF view to look at (--pf)`);
  }
  const held = await waitForView(pf, (v) => sameMac(v.mac, test));
  if (!sameMac(held.mac, test)) return fail(`set-mac ${test} was ACKed but the PF's view shows ${show(held.mac)}`, `ip -d link show ${pf.pfName}; dmesg | grep -i vf`);
  const original = reset0.permanentMac ?? view0?.mac ?? null;
  if (original === null) {
    const keeps = handle.family.kind === 'ixgbevf' ? `ixgbe keeps showing ${test} after release until the VF's next driver sets its own MAC` : 'igb forgets it when the VF is released';
    return pass(`${test} appeared in the PF's view while held; there was no original MAC to put back (${keeps})`, { test });
  }
  await vf.setMac(original);
  const after = await waitForView(pf, (v) => sameMac(v.mac, original));
  if (!sameMac(after.mac, original)) return fail(`${test} appeared, but restoring ${original} left the view at ${show(after.mac)}`, `ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${original}`);
  return pass(`${test} appeared in the PF's view while held; ${original} restored`, { test, original });
}


function coverage(handle: VfHandle, sent: Set<number>, table: Table): Outcome {
  const vf = handle.vf;
  const fam = handle.family;
  const allowed = Object.values(Requirements).filter((r) => r.name !== 'UPDATE_XCAST_MODE promisc' && r.kinds.includes(fam.kind) && fam.messages.has(r.id) && isPossibleOn(r, fam) && apiAtLeast(vf.api, r.minApi));
  const tried = allowed.filter((r) => sent.has(r.id)).map((r) => r.name);
  const missing = allowed.filter((r) => !sent.has(r.id)).map((r) => r.name);
  const notAllowed = Object.values(Requirements)
    .filter((r) => !allowed.includes(r) && r.name !== 'UPDATE_XCAST_MODE promisc')
    .map((r) => `${r.name} (${!r.kinds.includes(fam.kind) || !fam.messages.has(r.id) ? `not in the ${fam.kind === 'igbvf' ? 'igb' : 'ixgbe'} family` : !isPossibleOn(r, fam) ? `never granted on ${fam.model}` : `needs API ≥ ${apiName(r.minApi)}`})`);
  const details = { api: apiName(vf.api), tried, missing, notAllowed, notImplemented: fam.kind === 'ixgbevf' ? ['IPSEC_ADD', 'IPSEC_DEL'] : [] };
  if (missing.length > 0) {
    const stopped = SMOKE_CHECKS.some((c) => table.status(c.id) === 'fail');
    return stopped
      ? skip(`not every allowed operation was reached (an earlier check failed): ${missing.join(', ')} not tried`)
      : fail(`allowed at API ${apiName(vf.api)} but never sent: ${missing.join(', ')}`, undefined, details);
  }
  return pass(`${tried.length} operations tried at API ${apiName(vf.api)}: ${tried.join(', ')}${notAllowed.length > 0 ? `; not allowed: ${notAllowed.join(', ')}` : ''}`, details);
}
