/**
 * Finding the VF a command acts on: whether a running daemon owns it (then the command goes through the
 * daemon's socket), or else opening it here directly — a `Session` that collects the PF's reply words for
 * the result document and is released (which resets the VF) when the command ends.
 */
import { resetAndNegotiate } from '../vf/bring-up.js';
import { EnvironmentError } from '../errors.js';
import { isSimSpec } from '../daemon/validate.js';
import { explainError } from '../daemon/explain.js';
import type { VfHandle } from '../open/types.js';
import { unreadableReplyError, type DaemonClient } from './client.js';
import type { Ctx } from './context.js';
import { hex32 } from './format.js';
import { withPhrasedHint } from './hints.js';
import type { VfIdentity } from './results.js';

export interface DaemonVfStatus extends VfIdentity {
  id: string;
  state: string;
  /** Why the daemon let the VF go (state `released`), as its status says. */
  releaseReason?: string | null;
}

export interface Session {
  handle: VfHandle;
  /** Word 0 of each PF→VF message since the last `begin()`. */
  replies: number[];
}

/** The simulated VFs a daemon's `status` lists and still drives (not released): what `ixgbevf sim` acts on. */
export function drivenSimVfs<T extends { id: string; kind?: string | null; state: string }>(vfs: readonly T[]): T[] {
  return vfs.filter((v) => v.state !== 'released' && (v.kind === undefined || v.kind === null ? isSimSpec(v.id) : v.kind === 'sim'));
}

/** Resolves when `signal` aborts (Ctrl-C, or the kernel asking for the device back). */
export function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Ctrl-C / SIGTERM while the PF had not answered yet: the command ends at once (exit 3), the VF released. */
export function interruptedWaitingForPf(vf: string): EnvironmentError {
  return new EnvironmentError('ERR_INTERRUPTED', `interrupted (Ctrl-C / SIGTERM) while waiting for the PF to answer for ${vf}; the VF was released, so nothing of this command stays on it`, {
    hint: `ixgbevf info ${vf}`,
    details: { vf },
  });
}

/**
 * Runs `work` on a VF opened here until Ctrl-C / SIGTERM: an abort closes the handle, which makes a wait for
 * the PF (up to --timeout, which may be long) fail at once, and the command then fails ERR_INTERRUPTED
 * instead of waiting the budget out and calling it a timeout.
 */
export async function untilInterrupted<T>(ctx: Ctx, handle: VfHandle, work: () => Promise<T>): Promise<T> {
  const signal = ctx.io.signal;
  if (signal.aborted) throw interruptedWaitingForPf(handle.id);
  const onAbort = (): void => void handle.close().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } catch (err) {
    if (signal.aborted) throw interruptedWaitingForPf(handle.id);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The daemon that owns `vf` with what its status says about the VF, or null (then: direct mode). */
export async function owningDaemon(ctx: Ctx, vf: string): Promise<{ client: DaemonClient; identity: DaemonVfStatus; severalSimVfs: boolean } | null> {
  const client = await ctx.connectDaemon(vf);
  if (client === null) return null;
  try {
    const status = await client.request<{ vfs: DaemonVfStatus[] }>('status');
    if (!Array.isArray(status.vfs)) throw unreadableReplyError(ctx.socketPath, 'status without a list of VFs');
    const identity = status.vfs.find((v) => v.id === vf && v.state !== 'released');
    if (identity !== undefined) {
      // `ixgbevf sim …` fixes must then name the VF (--vf): sim-command.ts refuses to guess among several.
      return { client, identity, severalSimVfs: drivenSimVfs(status.vfs).length > 1 };
    }
    if (ctx.socketExplicit) {
      const released = status.vfs.find((v) => v.id === vf);
      if (released !== undefined) {
        // Still listed, but released (the kernel took it back: unbind, a sriov_numvfs change, a PF driver
        // unload; or the device went away): the daemon no longer drives it until it is restarted.
        const reason = typeof released.releaseReason === 'string' ? released.releaseReason.replace(/[\u0000-\u001f\u007f]/g, ' ') : 'released';
        throw new EnvironmentError('ERR_NOT_OWNED', `the daemon at ${ctx.socketPath} released ${vf} (${reason}) and no longer drives it; with --socket nothing is changed directly`, {
          hint: `ixgbevf doctor ${vf}   (once the VF is back on vfio-pci, restart the daemon to take it again: systemctl restart ixgbevf)`,
          details: { socket: ctx.socketPath, vf, state: 'released', releaseReason: reason },
        });
      }
      const owned = status.vfs.filter((v) => v.state !== 'released').map((v) => v.id);
      throw new EnvironmentError('ERR_NOT_OWNED', `the daemon at ${ctx.socketPath} does not own ${vf} (it owns ${owned.join(', ') || 'nothing'}); with --socket nothing is changed directly`, {
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
  if (ctx.io.signal.aborted) throw interruptedWaitingForPf(vf);
  const handle = await openVf(vf, {
    ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
    ...(ctx.poll ? { poll: true } : {}),
    // ctx.sysfs, not ctx.io.sysfs: IXGBEVF_SYSFS_ROOT counts here as in list/bind/doctor (a fake tree
    // must never send a VF command to the real /sys).
    ...(ctx.sysfs.sysRoot !== undefined ? { sysfsRoot: ctx.sysfs.sysRoot } : {}),
    onTrace: (ev) => {
      ctx.trace(ev);
      if (ev.direction === 'pf-to-vf' && ev.words.length > 0) replies.push(ev.words[0]! >>> 0);
    },
  });
  ctx.familyKind = handle.family.kind;
  const session = { handle, replies };
  if (reset && handle.vf.lastReset === null) {
    try {
      await untilInterrupted(ctx, handle, () => resetAndNegotiate(handle.vf));
    } catch (err) {
      await handle.close().catch(() => undefined);
      if (err instanceof EnvironmentError && err.code === 'ERR_INTERRUPTED') throw err;
      throw withPhrasedHint(explainError(err, handle, 'reset'), {
        vf,
        kind: handle.kind,
        pfName: handle.pfName,
        vfIndex: handle.vfIndex,
        viaDaemon: false,
        ...(ctx.commandOnVf === null ? {} : { commandOn: ctx.commandOnVf }),
      });
    }
  }
  return session;
}

/** The PF's last reply word in a direct session, as hex (null before any reply). */
export function lastReply(session: Session): string | null {
  const r = session.replies;
  return r.length === 0 ? null : hex32(r[r.length - 1]!);
}
