/**
 * `ixgbevf watch`: the PF's events for one VF as they arrive (one line each, or JSON lines), until Ctrl-C.
 * Through the daemon's event stream when it owns the VF; otherwise on a VF opened here, which this
 * command then also recovers after a PF reset as the daemon does (vf-recovery.ts): on the PF's events,
 * with a timer only as the fallback — `pf-reset`, then `waiting-for-pf` while the PF is still away, then
 * `recovered`.
 */
import { DeviceGoneError, EnvironmentError, IxgbevfError } from '../errors.js';
import { apiName } from '../hw/api.js';
import { explainError, pfRef } from '../daemon/explain.js';
import type { DaemonEvent } from '../daemon/owned-types.js';
import type { Ctx } from './context.js';
import { decodeWord, familyKindOf, hex32, type FamilyKindName } from './format.js';
import { phraseHint, type HintTarget } from './hints.js';
import { VfRecovery, type RecoveryTuning } from './vf-recovery.js';
import { openSession, owningDaemon, waitForAbort } from './vf-session.js';

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
export async function watchVf(ctx: Ctx, vf: string, tuning: RecoveryTuning = {}): Promise<void> {
  const owner = await owningDaemon(ctx, vf);
  if (owner !== null) {
    const { client, identity } = owner;
    // The daemon never takes back a VF it released (the kernel asked for it, or it went away): no event for
    // it will come again, so the watch ends there, as the direct watch does.
    let released: string | null = null;
    let onReleased: () => void = () => undefined;
    const releasedNow = new Promise<void>((resolve) => (onReleased = resolve));
    // Events that come with the daemon's acceptance (same read) wait for the `watching` line, which is first.
    let early: DaemonEvent[] | null = [];
    const show = (e: DaemonEvent): void => {
      eventLine(ctx, e, familyKindOf(identity.family));
      if (e.type === 'released' && e.vf === vf) {
        released = typeof e.reason === 'string' ? e.reason.replace(/[\u0000-\u001f\u007f]/g, ' ') : 'released';
        onReleased();
      }
    };
    try {
      await client.watch(vf, (e) => (early === null ? show(e) : early.push(e)));
      watchingLine(ctx, vf, 'daemon');
      const queued = early;
      early = null;
      queued.forEach(show);
      ctx.note(`watching ${vf} through the daemon at ${ctx.socketPath}; Ctrl-C to stop`);
      await Promise.race([waitForAbort(ctx.io.signal), client.closed(), releasedNow]);
    } finally {
      client.close();
    }
    if (released !== null) return daemonReleased(ctx, vf, released);
    // Ctrl-C ends a watch; the daemon going away does not end it well: a script reading the stream
    // must see that no more events will come (exit 3), not a clean end.
    if (!ctx.io.signal.aborted) {
      throw new EnvironmentError('ERR_DAEMON_CLOSED', `the daemon at ${ctx.socketPath} closed the watch of ${vf}: it stopped or restarted, so no more events come`, {
        hint: `once the daemon is back, watch again: ixgbevf watch ${vf}${ctx.socketExplicit ? ` --socket ${ctx.socketPath}` : ''}   (why it stopped: journalctl -u ixgbevf.service)`,
        details: { socket: ctx.socketPath },
      });
    }
    return;
  }
  const session = await openSession(ctx, vf, true);
  const { handle } = session;
  const v = handle.vf;
  const emit = (type: DaemonEvent['type'], fields: Record<string, unknown> = {}): void =>
    eventLine(ctx, { type, vf: handle.id, time: new Date().toISOString(), ...fields });
  const target: HintTarget = { vf, kind: handle.kind, pfName: handle.pfName, vfIndex: handle.vfIndex, viaDaemon: false, ...(ctx.commandOnVf === null ? {} : { commandOn: ctx.commandOnVf }) };
  /** Why the watch ended other than by Ctrl-C / the kernel's request (the device is gone): the exit's error. */
  let gone: IxgbevfError | null = null;
  const onMessage = (word: number): void => emit('pf-message', { word: hex32(word), ...pick(decodeWord(word, handle.family.kind)) });
  const onLink = (link: { up: boolean; speedMbps: number | null }): void => emit('link', { up: link.up, speedMbps: link.speedMbps });
  v.on('pf-message', onMessage).on('link', onLink);
  // After a PF reset: recovered as the daemon does it, on the PF's events (vf-recovery.ts).
  const recovery = new VfRecovery(handle, { poll: ctx.poll, ...tuning }, {
    pfReset: (reason) => emit('pf-reset', { reason }),
    attemptFailed: (err, e, transient) => {
      const x = explainError(err, handle, 'reset');
      const hint = x instanceof IxgbevfError && x.hint !== undefined ? phraseHint(x.hint, target) : undefined;
      // As the daemon's stream: the PF being away is routine (waiting-for-pf), anything else a failure.
      emit(transient ? 'waiting-for-pf' : 'recovery-failed', { code: e.code, message: x instanceof Error ? x.message : e.message, hint });
    },
    recovered: (r) => emit('recovered', { api: r.api, attempts: r.attempts, wokenBy: r.wokenBy }),
    gone: (e) => {
      gone = e;
      emit('released', { reason: `device gone: ${e.message}` });
    },
  });
  const { pf } = pfRef(handle);
  watchingLine(ctx, handle.id, 'direct');
  ctx.note(`watching ${handle.id} (${handle.family.model}${handle.pfName === null ? '' : `, PF ${pf}`}, API ${apiName(v.api)}, ${ctx.poll ? 'polling every 1 s' : 'interrupt-driven'}); Ctrl-C to stop`);
  try {
    await recovery.keep(ctx.io.signal, () => emit('released', { reason: 'the kernel asked for the device back' }));
  } finally {
    v.off('pf-message', onMessage).off('link', onLink);
  }
  if (gone !== null) throw gone;
}

/** The end of a watch whose VF the daemon released: exit 0 (the kernel took it back), or 7 when it is gone. */
function daemonReleased(ctx: Ctx, vf: string, reason: string): void {
  if (reason.startsWith('device gone')) {
    throw new DeviceGoneError('ERR_DEVICE_REMOVED', `${vf} is gone: the daemon released it (${reason})`, { hint: 'ixgbevf list', details: { vf, reason } });
  }
  ctx.note(`no more events come for ${vf}: the daemon released it (${reason}); once it is on vfio-pci again (ixgbevf bind ${vf}), restart the daemon to take it back`);
}

function pick(d: ReturnType<typeof decodeWord>): Record<string, unknown> {
  return { message: d.message, cts: d.cts, nack: d.nack };
}
