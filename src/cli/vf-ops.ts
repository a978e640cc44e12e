/**
 * The VF operations as `VfOp`s: info, set-mac, mtu, vlan, multicast, xcast, link, mailbox. Each says what
 * it asks the daemon, what it does on a directly opened VF, and how its result reads for a human.
 */
import { apiName } from '../hw/api.js';
import { NotSupportedError } from '../errors.js';
import { shellWord } from '../shell-word.js';
import { linkReport, unlessNotSupported } from '../daemon/link-report.js';
import type { VfHandle } from '../open/types.js';
import type { VfApi } from '../vf/types.js';
import type { Result } from './results.js';
import { describeWord, familyKindOf, hex32, mailboxBits } from './format.js';
import type { VfOp } from './vf-commands.js';
import { lastReply } from './vf-session.js';

/** The PF-side command that trusts the VF (phrased for sim by hints.ts). */
function trustFix(r: Result): string {
  const pf = typeof r.pfName === 'string' ? r.pfName : '<pf>';
  const n = typeof r.vfIndex === 'number' ? String(r.vfIndex) : '<n>';
  return `ip link set ${pf} vf ${n} trust on`;
}

function pfAnswer(result: Result): string {
  const word = typeof result.pfReply === 'string' ? parseInt(result.pfReply, 16) : null;
  return word === null || Number.isNaN(word) ? 'PF answered: ACK' : `PF answered: ${describeWord(word, familyKindOf(result.family))}`;
}

function header(result: Result): string {
  return `${String(result.vf)}${result.family === undefined ? '' : ` (${String(result.family)}${result.api === undefined || result.api === null ? '' : `, API ${String(result.api)}`})`}`;
}

function describeVf(handle: VfHandle): Result {
  return { vf: handle.id, kind: handle.kind, family: handle.family.model, api: apiName(handle.vf.api), pfName: handle.pfName, vfIndex: handle.vfIndex };
}

/**
 * A change the PF answers with ACK or NACK only: the daemon request and the direct result carry `fields`,
 * the direct path runs `apply` on the VF, and a human reads `says` and the PF's answer.
 */
function acknowledgedChange(name: 'set-mac' | 'mtu' | 'vlan', arg: string | number, fields: Result, apply: (vf: VfApi) => Promise<unknown>, says: string): VfOp {
  return {
    name,
    mutates: true,
    arg,
    daemon: (c, vf) => c.request<Result>(name, { vf, ...fields }),
    direct: async (s) => {
      await apply(s.handle.vf);
      return { ...describeVf(s.handle), ...fields, pfReply: lastReply(s) };
    },
    human: (r) => [`${header(r)}: ${says}`, pfAnswer(r)],
  };
}

export function setMacOp(mac: string): VfOp {
  return acknowledgedChange('set-mac', mac, { mac }, (vf) => vf.setMac(mac), `MAC set to ${mac}`);
}

export function mtuOp(mtu: number): VfOp {
  return acknowledgedChange('mtu', mtu, { mtu }, (vf) => vf.setMtu(mtu), `MTU ${mtu} (max frame ${mtu + 18} bytes)`);
}

export function vlanOp(action: 'add' | 'del', vlan: number): VfOp {
  const says = `VLAN ${vlan} ${action === 'add' ? 'added to' : 'removed from'} the VF's filter`;
  return acknowledgedChange('vlan', vlan, { vlan, action }, (vf) => vf.setVlan(vlan, action === 'add'), says);
}

export function multicastOp(macs: string[]): VfOp {
  return {
    name: 'multicast',
    mutates: true,
    daemon: (c, vf) => c.request<Result>('multicast', { vf, macs }),
    direct: async (s) => {
      const r = await s.handle.vf.setMulticast(macs);
      return { ...describeVf(s.handle), macs, ...r, pfReply: lastReply(s) };
    },
    human: (r) => {
      const lines = [`${header(r)}: multicast filter ${macs.length === 0 ? 'cleared' : `set to ${macs.join(', ')}`} (${String(r.programmed ?? macs.length)} programmed)`];
      if (r.overflow === 'allmulti') lines.push('more than the PF takes (30): the PF receives all multicast for this VF instead');
      if (r.overflow === 'truncated') lines.push('more than the PF takes (30): the rest were dropped; use xcast allmulti');
      lines.push(pfAnswer(r));
      return lines;
    },
  };
}

export function xcastOp(mode: 'none' | 'multi' | 'allmulti' | 'promisc'): VfOp {
  return {
    name: 'xcast',
    mutates: true,
    arg: mode,
    daemon: (c, vf) => c.request<Result>('xcast', { vf, mode }),
    direct: async (s) => {
      const granted = await s.handle.vf.setXcastMode(mode);
      return { ...describeVf(s.handle), requested: mode, granted, pfReply: lastReply(s) };
    },
    human: (r) => [`${header(r)}: xcast mode ${String(r.granted)}${r.granted !== mode ? ` (asked for ${mode})` : ''}`, pfAnswer(r)],
    warnings: (r) => {
      if (r.granted === mode) return [];
      const fix = trustFix(r);
      return [`the PF granted ${String(r.granted)}, not ${mode}: ${mode} needs a trusted VF${mode === 'promisc' ? ' and a promiscuous PF on X540 or newer' : ''} (${fix})`];
    },
  };
}

export function linkOp(): VfOp {
  return {
    name: 'link',
    mutates: false,
    daemon: (c, vf) => c.request<Result>('link', { vf }),
    direct: async (s) => ({ ...describeVf(s.handle), ...(await linkReport(s.handle.vf)) }),
    human: (r) => {
      const link = r.link as { up: boolean; speedMbps: number | null; source: string } | undefined;
      const lines = [`${header(r)}: link ${link?.up === true ? `up${link.speedMbps === null ? '' : ` ${formatSpeed(link.speedMbps)}`}` : 'down'} (from ${link?.source ?? '?'})`];
      if (r.adminEnabled === false) lines.push('the PF administrator disabled this VF\'s link (ip link set <pf> vf <n> state auto re-enables it)');
      else if (r.adminEnabled === true) lines.push('PF allows link (GET_LINK_STATE)');
      const pfLink = r.pfLink as { up: boolean; speedMbps: number | null } | null | undefined;
      if (pfLink) lines.push(`PF link: ${pfLink.up ? `up ${formatSpeed(pfLink.speedMbps)}` : 'down'}`);
      return lines;
    },
  };
}

/** The configuration a daemon holds and re-applies (info through the daemon). */
function desiredLines(desired: unknown): string[] {
  if (typeof desired !== 'object' || desired === null) return [];
  const d = desired as { mac?: string | null; mtu?: number | null; vlans?: number[]; multicast?: string[]; xcast?: string | null };
  const parts = [
    `MAC ${d.mac ?? '(PF default)'}`,
    `MTU ${d.mtu ?? '(default)'}`,
    `VLANs ${d.vlans !== undefined && d.vlans.length > 0 ? d.vlans.join(',') : 'none'}`,
    `multicast ${d.multicast !== undefined && d.multicast.length > 0 ? d.multicast.join(',') : 'none'}`,
    `xcast ${d.xcast ?? '(default)'}`,
  ];
  return [`desired       ${parts.join(', ')} (held by the daemon, re-applied after every PF reset)`];
}

/** What of the desired state the PF refused at the last re-apply and nothing has settled since (daemon only). */
function notAppliedLines(notApplied: unknown): string[] {
  if (!Array.isArray(notApplied)) return [];
  return (notApplied as { item?: unknown; message?: unknown }[]).map(
    (f) => `not applied   ${String(f.item)}: refused by the PF at the last re-apply (${String(f.message)}); the VF runs without it until a request for it succeeds`,
  );
}

function formatSpeed(mbps: number | null): string {
  if (mbps === null) return '';
  return mbps >= 1000 ? `${mbps / 1000} Gb/s` : `${mbps} Mb/s`;
}

export function infoOp(): VfOp {
  return {
    name: 'info',
    mutates: false,
    daemon: async (c, vf) => c.request<Result>('info', { vf }),
    direct: async (s) => {
      const vf = s.handle.vf;
      const queues = await unlessNotSupported(() => vf.getQueues());
      // Two immediates before the counters are read, so at least one poll phase of the event loop runs in
      // between: a reply that is already in when it is checked needs no wait, so a run of such requests
      // never lets the loop dispatch the MSI-X deliveries already signalled on the eventfd, and
      // `interrupts` would under-count them. (One immediate set during the poll phase runs before the next.)
      for (let turn = 0; turn < 2; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
      return {
        ...describeVf(s.handle),
        permanentMac: vf.lastReset?.permanentMac ?? null,
        mcFilterType: vf.lastReset?.mcFilterType ?? null,
        queues,
        link: vf.link(),
        counters: { ...vf.counters },
      };
    },
    human: (r) => {
      const q = r.queues as { txQueues: number; rxQueues: number; transparentVlan: number; defaultQueue: number } | null;
      const link = r.link as { up: boolean; speedMbps: number | null } | undefined;
      const c = r.counters as Record<string, number> | undefined;
      const pf = typeof r.pfName === 'string' ? `${r.pfName}${typeof r.vfIndex === 'number' ? ` vf ${r.vfIndex}` : ''}` : 'unknown';
      return [
        `VF            ${String(r.vf)}${r.kind === 'sim' ? ' (simulated)' : ''}`,
        `family        ${String(r.family)}`,
        `PF            ${pf}`,
        `permanent MAC ${r.permanentMac === null ? 'none (the PF has no admin MAC for this VF: set one with set-mac)' : String(r.permanentMac)}`,
        `API           ${String(r.api)}`,
        `queues        ${q === null ? 'n/a (API 1.0)' : `tx ${q.txQueues}, rx ${q.rxQueues}, default ${q.defaultQueue}${q.transparentVlan ? ', port VLAN/TCs set by the PF' : ''}`}`,
        `link          ${link?.up === true ? `up ${formatSpeed(link.speedMbps ?? null)}` : 'down'}`,
        `mc filter     ${r.mcFilterType === null || r.mcFilterType === undefined ? 'n/a' : `type ${String(r.mcFilterType)}`}`,
        ...(r.state === null || r.state === undefined ? [] : [`daemon state  ${String(r.state)}${typeof r.recoveries === 'number' ? `, ${r.recoveries} ${r.recoveries === 1 ? 'recovery' : 'recoveries'}` : ''}`]),
        ...desiredLines(r.desired),
        ...notAppliedLines(r.notApplied),
        `mailbox       ${c === undefined || c === null ? 'n/a' : Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      ];
    },
  };
}

export function mailboxOp(dump: boolean): VfOp {
  return {
    name: 'mailbox',
    mutates: false,
    daemon: (c, vf) => c.request<Result>('mailbox', { vf }),
    direct: async (s) => {
      const { handle } = s;
      const regs = handle.regs;
      if (regs === undefined) throw new NotSupportedError(`${handle.id} gives no register access for a dump`, { hint: `ixgbevf info ${shellWord(handle.id)}   (it shows the counters)` });
      const map = handle.family.regs;
      const register = regs.read32(map.mailbox) >>> 0;
      const words = Array.from({ length: 16 }, (_, i) => regs.read32(map.mailboxMemory + 4 * i) >>> 0);
      return {
        ...describeVf(handle),
        // Read without a reset, so nothing was negotiated here: the VF object's API would be its 1.0 default,
        // not what the PF agreed to (through the daemon: the API it negotiated).
        api: null,
        register: hex32(register),
        registerOffset: hex32(map.mailbox),
        bits: mailboxBits(register),
        words: words.map(hex32),
        counters: { ...handle.vf.counters },
      };
    },
    human: (r) => {
      const lines = [header(r)];
      if (typeof r.register === 'string') lines.push(`mailbox register ${String(r.registerOffset ?? '')} = ${r.register}  [${(r.bits as string[]).join(' ') || 'no bits'}]`);
      if (typeof r.note === 'string') lines.push(r.note);
      const words = r.words as (string | number)[] | null | undefined;
      if (dump && Array.isArray(words)) {
        words.forEach((w, i) => {
          const n = typeof w === 'number' ? w : parseInt(w, 16);
          lines.push(`  word ${String(i).padStart(2)}  ${hex32(n)}${i === 0 && n !== 0 ? `  ${describeWord(n, familyKindOf(r.family))}` : ''}`);
        });
      } else if (dump) {
        lines.push('  (no register access: words not available)');
      }
      const c = r.counters as Record<string, number> | undefined;
      if (c !== undefined) lines.push(`counters: ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      return lines;
    },
  };
}
