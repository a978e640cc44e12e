/**
 * The commands that talk to one VF: info, set-mac, mtu, vlan, multicast, xcast, link, watch, mailbox.
 * Through the daemon when it owns the VF (the change then persists and is re-applied after PF resets);
 * otherwise the VF is opened here, used, and released when the command exits — which resets it.
 */
import { resetAndNegotiate } from '../vf/bring-up.js';
import { apiName } from '../hw/api.js';
import { EnvironmentError, NotSupportedError } from '../errors.js';
import { linkReport } from '../daemon/daemon.js';
import { explainError, pfRef, type OpName } from '../daemon/explain.js';
import type { DaemonEvent } from '../daemon/owned.js';
import type { VfHandle } from '../open/types.js';
import type { VfApi } from '../vf/types.js';
import type { DaemonClient } from './client.js';
import type { Ctx } from './context.js';
import { decodeWord, describeWord, familyKindOf, hex32, mailboxBits, type FamilyKindName } from './format.js';
import { phraseHint, withPhrasedHint, type HintTarget } from './hints.js';
import { shapeResult, type Result, type VfIdentity } from './results.js';

interface DaemonVfStatus extends VfIdentity {
  id: string;
  state: string;
}

export interface Session {
  handle: VfHandle;
  /** Word 0 of each PF→VF message since the last `begin()`. */
  replies: number[];
}


export interface VfOp {
  name: OpName;
  /** Changes VF configuration (then direct mode warns that it does not outlive the command). */
  mutates: boolean;
  arg?: string | number;
  daemon(client: DaemonClient, vf: string): Promise<Result>;
  direct(session: Session, ctx: Ctx): Promise<Result>;
  human(result: Result): string[];
  /** What the PF granted less than asked (stderr warnings, both paths). */
  warnings?(result: Result): string[];
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** The daemon that owns `vf` with what its status says about the VF, or null (then: direct mode). */
async function owningDaemon(ctx: Ctx, vf: string): Promise<{ client: DaemonClient; identity: DaemonVfStatus } | null> {
  const client = await ctx.connectDaemon();
  if (client === null) return null;
  try {
    const status = await client.request<{ vfs: DaemonVfStatus[] }>('status');
    const identity = status.vfs.find((v) => v.id === vf && v.state !== 'released');
    if (identity !== undefined) return { client, identity };
    if (ctx.socketExplicit) {
      throw new EnvironmentError('ERR_NOT_OWNED', `the daemon at ${ctx.socketPath} does not own ${vf} (it owns ${status.vfs.map((v) => v.id).join(', ') || 'nothing'}); with --socket nothing is changed directly`, {
        hint: `ixgbevf list --socket ${ctx.socketPath}`,
        details: { socket: ctx.socketPath, vf },
      });
    }
  } catch (err) {
    client.close();
    throw err;
  }
  client.close();
  return null;
}

/** Opens the VF directly; with `reset`, brings it up (reset + negotiate) unless the open already did. */
export async function openSession(ctx: Ctx, vf: string, reset: boolean): Promise<Session> {
  const replies: number[] = [];
  if (/[:,]family=(82576|I350)\b/i.test(vf)) ctx.familyKind = 'igbvf'; // traced before the open returns
  const openVf = await ctx.openVf();
  const handle = await openVf(vf, {
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
    ...(ctx.poll ? { poll: true } : {}),
    ...(ctx.io.sysfs?.sysRoot !== undefined ? { sysfsRoot: ctx.io.sysfs.sysRoot } : {}),
    onTrace: (ev) => {
      ctx.trace(ev);
      if (ev.direction === 'pf-to-vf' && ev.words.length > 0) replies.push(ev.words[0]! >>> 0);
    },
  });
  ctx.familyKind = handle.family.kind;
  const session = { handle, replies };
  if (reset && handle.vf.lastReset === null) {
    try {
      await resetAndNegotiate(handle.vf);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw withPhrasedHint(explainError(err, handle, 'reset'), { vf, kind: handle.kind, pfName: handle.pfName, vfIndex: handle.vfIndex, viaDaemon: false });
    }
  }
  return session;
}

function lastReply(session: Session): string | null {
  const r = session.replies;
  return r.length === 0 ? null : hex32(r[r.length - 1]!);
}

/** What a user must know about a VF opened without a daemon. */
export function releaseNote(handle: Pick<VfHandle, 'kind' | 'id'>, held: boolean): string {
  const keep = `keep it: run \`ixgbevf daemon ${handle.id}\` and repeat the command (the daemon re-applies it after every PF reset)${held ? '' : ', or add --hold'}`;
  if (handle.kind === 'sim') {
    return `note: no daemon owns this VF. This is the simulated VF: on hardware the VF would be reset when this command ${held ? 'lets go' : 'exits'} (vfio-pci resets a VF on release) and the PF would drop its MAC and every other filter (igb also forgets the MAC). To ${keep}.`;
  }
  return `note: no daemon owns ${handle.id}: when this command ${held ? 'lets go' : 'exits'}, vfio-pci resets the VF and the PF drops its MAC and every other filter (igb also forgets the MAC). To ${keep}.`;
}

function hintTarget(ctx: Ctx, vf: string, id: VfIdentity, viaDaemon: boolean): HintTarget {
  return {
    vf,
    kind: id.kind ?? null,
    pfName: id.pfName ?? null,
    vfIndex: id.vfIndex ?? null,
    viaDaemon,
    ...(ctx.socketExplicit ? { socket: ctx.socketPath } : {}),
  };
}

/** Prints the canonical document (results.ts) and the warnings, phrased for the CLI. */
function present(ctx: Ctx, op: VfOp, doc: Result, target: HintTarget, extra: string[] = []): void {
  ctx.print(doc, [...op.human(doc), ...extra]);
  for (const w of op.warnings?.(doc) ?? []) ctx.warn(phraseHint(w, target));
}

/** Runs one VF operation through the daemon or directly, prints the result (one shape for both). */
export async function runVfOp(ctx: Ctx, vf: string, op: VfOp, hold: boolean): Promise<void> {
  const owner = await owningDaemon(ctx, vf);
  if (owner !== null) {
    const { client, identity } = owner;
    const target = hintTarget(ctx, vf, identity, true);
    let raw: Result;
    try {
      raw = await op.daemon(client, vf);
    } catch (err) {
      throw withPhrasedHint(err, target);
    } finally {
      client.close();
    }
    const doc = shapeResult(raw, { op: op.name, mutates: op.mutates, spec: vf, via: 'daemon', identity });
    present(ctx, op, doc, target, op.mutates ? [`(through the daemon at ${ctx.socketPath}: kept while it runs and re-applied after every PF reset)`] : []);
    if (hold) ctx.note('--hold is not needed: the daemon holds this VF.');
    return;
  }
  const session = await openSession(ctx, vf, op.name !== 'mailbox');
  const { handle } = session;
  const target = hintTarget(ctx, vf, { kind: handle.kind, pfName: handle.pfName, vfIndex: handle.vfIndex }, false);
  try {
    session.replies.length = 0;
    let raw: Result;
    try {
      raw = await op.direct(session, ctx);
    } catch (err) {
      throw withPhrasedHint(explainError(err, handle, op.name, op.arg), target);
    }
    const doc = shapeResult(raw, { op: op.name, mutates: op.mutates, spec: vf, via: 'direct', note: op.mutates ? releaseNote(handle, hold) : null });
    present(ctx, op, doc, target);
    if (op.mutates) ctx.note(`no daemon at ${ctx.socketPath} owns ${handle.id}: changed it directly (one-shot).`);
    if (op.mutates && !hold) ctx.note(releaseNote(handle, false));
    if (hold) {
      ctx.note(`holding ${handle.id}: the configuration stays while this runs. Ctrl-C releases it${handle.kind === 'sim' ? '' : ' (and vfio-pci resets the VF)'}.`);
      await waitForAbort(ctx.io.signal);
    }
  } finally {
    await handle.close();
  }
}

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
  return `${String(result.vf)}${result.family === undefined ? '' : ` (${String(result.family)}${result.api === undefined ? '' : `, API ${String(result.api)}`})`}`;
}

function describeVf(handle: VfHandle): Result {
  return { vf: handle.id, kind: handle.kind, family: handle.family.model, api: apiName(handle.vf.api), pfName: handle.pfName, vfIndex: handle.vfIndex };
}

export function setMacOp(mac: string): VfOp {
  return {
    name: 'set-mac',
    mutates: true,
    arg: mac,
    daemon: (c, vf) => c.request<Result>('set-mac', { vf, mac }),
    direct: async (s) => {
      await s.handle.vf.setMac(mac);
      return { ...describeVf(s.handle), mac, pfReply: lastReply(s) };
    },
    human: (r) => [`${header(r)}: MAC set to ${mac}`, pfAnswer(r)],
  };
}

export function mtuOp(mtu: number): VfOp {
  return {
    name: 'mtu',
    mutates: true,
    arg: mtu,
    daemon: (c, vf) => c.request<Result>('mtu', { vf, mtu }),
    direct: async (s) => {
      await s.handle.vf.setMtu(mtu);
      return { ...describeVf(s.handle), mtu, pfReply: lastReply(s) };
    },
    human: (r) => [`${header(r)}: MTU ${mtu} (max frame ${mtu + 18} bytes)`, pfAnswer(r)],
  };
}

export function vlanOp(action: 'add' | 'del', vlan: number): VfOp {
  return {
    name: 'vlan',
    mutates: true,
    arg: vlan,
    daemon: (c, vf) => c.request<Result>('vlan', { vf, action, vlan }),
    direct: async (s) => {
      await s.handle.vf.setVlan(vlan, action === 'add');
      return { ...describeVf(s.handle), vlan, action, pfReply: lastReply(s) };
    },
    human: (r) => [`${header(r)}: VLAN ${vlan} ${action === 'add' ? 'added to' : 'removed from'} the VF's filter`, pfAnswer(r)],
  };
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
      let queues = null;
      try {
        queues = await vf.getQueues();
      } catch (err) {
        if (!(err instanceof NotSupportedError)) throw err;
      }
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
        ...(r.state === null || r.state === undefined ? [] : [`daemon state  ${String(r.state)}${typeof r.recoveries === 'number' ? `, ${r.recoveries} recoveries` : ''}`]),
        ...desiredLines(r.desired),
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
      if (regs === undefined) throw new NotSupportedError(`${handle.id} gives no register access for a dump`, { hint: 'ixgbevf info <vf>   (it shows the counters)' });
      const map = handle.family.regs;
      const register = regs.read32(map.mailbox) >>> 0;
      const words = Array.from({ length: 16 }, (_, i) => regs.read32(map.mailboxMemory + 4 * i) >>> 0);
      return {
        ...describeVf(handle),
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

function eventLine(ctx: Ctx, event: DaemonEvent, kind: FamilyKindName = 'ixgbevf'): void {
  // The daemon's pf-message carries the word only: name it in the VF family's namespace.
  const e = event.type === 'pf-message' && typeof event.word === 'string' && event.message === undefined ? { ...event, ...pick(decodeWord(parseInt(event.word, 16), kind)) } : event;
  if (ctx.json) {
    ctx.io.stdout(`${JSON.stringify(e)}\n`);
    return;
  }
  const { type, vf, time, ...rest } = e;
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  ctx.io.stdout(`${time} ${vf} ${type}${fields === '' ? '' : ` ${fields}`}\n`);
}

/** `watch --json`: the first line says the stream is live (so a reader knows it subscribed). */
function watchingLine(ctx: Ctx, vf: string, via: 'daemon' | 'direct'): void {
  if (ctx.json) ctx.io.stdout(`${JSON.stringify({ type: 'watching', vf, time: new Date().toISOString(), via })}\n`);
}

/** `watch`: events as they arrive (JSON lines with --json), until Ctrl-C. */
export async function watchVf(ctx: Ctx, vf: string): Promise<void> {
  const owner = await owningDaemon(ctx, vf);
  if (owner !== null) {
    const { client, identity } = owner;
    try {
      await client.watch(vf, (e) => eventLine(ctx, e, familyKindOf(identity.family)));
      watchingLine(ctx, vf, 'daemon');
      ctx.note(`watching ${vf} through the daemon at ${ctx.socketPath}; Ctrl-C to stop`);
      await Promise.race([waitForAbort(ctx.io.signal), client.closed()]);
    } finally {
      client.close();
    }
    return;
  }
  const session = await openSession(ctx, vf, true);
  const { handle } = session;
  const v = handle.vf;
  const emit = (type: DaemonEvent['type'], fields: Record<string, unknown> = {}): void =>
    eventLine(ctx, { type, vf: handle.id, time: new Date().toISOString(), ...fields });
  let recovering = false;
  const recover = async (): Promise<void> => {
    if (recovering) return;
    recovering = true;
    let lastCode = '';
    while (!ctx.io.signal.aborted) {
      try {
        await resetAndNegotiate(v);
        emit('recovered', { api: apiName(v.api) });
        break;
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'ERR';
        if (code !== lastCode) emit('recovery-failed', { code, message: (err as Error).message });
        lastCode = code;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    recovering = false;
  };
  const onMessage = (word: number): void => emit('pf-message', { word: hex32(word), ...pick(decodeWord(word, handle.family.kind)) });
  const onReset = (reason: string): void => {
    emit('pf-reset', { reason });
    void recover();
  };
  const onLink = (link: { up: boolean; speedMbps: number | null }): void => emit('link', { up: link.up, speedMbps: link.speedMbps });
  v.on('pf-message', onMessage).on('pf-reset', onReset).on('link', onLink);
  const offRelease = handle.onReleaseRequested(() => {
    emit('released', { reason: 'the kernel asked for the device back' });
    controller.abort();
  });
  const controller = new AbortController();
  ctx.io.signal.addEventListener('abort', () => controller.abort(), { once: true });
  let timer: NodeJS.Timeout | null = null;
  const poller = v as VfApi & { checkPfEvents?: () => unknown };
  if (ctx.poll && typeof poller.checkPfEvents === 'function') {
    timer = setInterval(() => {
      if (!recovering) Promise.resolve(poller.checkPfEvents!()).catch(() => undefined);
    }, 1000);
  }
  const { pf } = pfRef(handle);
  watchingLine(ctx, handle.id, 'direct');
  ctx.note(`watching ${handle.id} (${handle.family.model}${handle.pfName === null ? '' : `, PF ${pf}`}, API ${apiName(v.api)}, ${ctx.poll ? 'polling every 1 s' : 'interrupt-driven'}); Ctrl-C to stop`);
  try {
    await waitForAbort(controller.signal);
  } finally {
    if (timer !== null) clearInterval(timer);
    v.off('pf-message', onMessage).off('pf-reset', onReset).off('link', onLink);
    offRelease();
    await handle.close();
  }
}

function pick(d: ReturnType<typeof decodeWord>): Record<string, unknown> {
  return { message: d.message, cts: d.cts, nack: d.nack };
}

