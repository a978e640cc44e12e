/**
 * Running one VF command (`VfOp`): through the daemon when it owns the VF (the change then persists and
 * is re-applied after PF resets), otherwise directly on a VF opened here and released when the command
 * exits — which resets it; with `--hold` the command keeps it until Ctrl-C and re-applies the operation
 * after a PF reset as the daemon would. Both paths print one result shape; the operations themselves are
 * in vf-ops.ts.
 */
import { explainError, type OpName } from '../daemon/explain.js';
import { DeviceGoneError, EnvironmentError, IxgbevfError } from '../errors.js';
import type { VfHandle } from '../open/types.js';
import { at, type DaemonClient } from './client.js';
import type { Ctx } from './context.js';
import { phraseHint, withPhrasedHint, type HintTarget } from './hints.js';
import { shapeResult, type Result, type VfIdentity } from './results.js';
import { VfRecovery, type RecoveryTuning } from './vf-recovery.js';
import { openSession, owningDaemon, untilInterrupted, type Session } from './vf-session.js';

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

/** What a user must know about a VF opened without a daemon. */
export function releaseNote(handle: Pick<VfHandle, 'kind' | 'id'>, held: boolean): string {
  const keep = `keep it: run \`ixgbevf daemon ${handle.id}\` and repeat the command (the daemon re-applies it after every PF reset)${held ? '' : ', or add --hold'}`;
  if (handle.kind === 'sim') {
    return `note: no daemon owns this VF. This is the simulated VF: on hardware the VF would be reset when this command ${held ? 'lets go' : 'exits'} (vfio-pci resets a VF on release) and the PF would drop its MAC and every other filter (igb also forgets the MAC). To ${keep}.`;
  }
  return `note: no daemon owns ${handle.id}: when this command ${held ? 'lets go' : 'exits'}, vfio-pci resets the VF and the PF drops its MAC and every other filter (igb also forgets the MAC). To ${keep}.`;
}

function hintTarget(ctx: Ctx, vf: string, id: VfIdentity, viaDaemon: boolean, severalSimVfs = false): HintTarget {
  return {
    vf,
    kind: id.kind ?? null,
    pfName: id.pfName ?? null,
    vfIndex: id.vfIndex ?? null,
    viaDaemon,
    ...(ctx.socketExplicit ? { socket: ctx.socketPath } : {}),
    ...(severalSimVfs ? { severalSimVfs } : {}),
    // Directly, a fix that changes the sim spec is the user's own command on the new spec.
    ...(!viaDaemon && ctx.commandOnVf !== null ? { commandOn: ctx.commandOnVf } : {}),
  };
}

/** Prints the canonical document (results.ts) and the warnings, phrased for the CLI. */
function present(ctx: Ctx, op: VfOp, doc: Result, target: HintTarget, extra: string[] = []): void {
  ctx.print(doc, [...op.human(doc), ...extra]);
  for (const w of op.warnings?.(doc) ?? []) ctx.warn(phraseHint(w, target));
}

/**
 * Runs one VF operation through the daemon or directly, prints the result (one shape for both). `hold`:
 * directly, keep the VF until Ctrl-C and re-apply the operation after every PF reset (holdVf); `tuning`
 * sets that recovery's timers (tests).
 */
export async function runVfOp(ctx: Ctx, vf: string, op: VfOp, hold: boolean, tuning: RecoveryTuning = {}): Promise<void> {
  const owner = await owningDaemon(ctx, vf);
  if (owner !== null) {
    const { client, identity, severalSimVfs } = owner;
    const target = hintTarget(ctx, vf, identity, true, severalSimVfs);
    let raw: Result;
    try {
      raw = await op.daemon(client, vf);
    } catch (err) {
      throw withPhrasedHint(err, target);
    } finally {
      client.close();
    }
    const doc = shapeResult(raw, { op: op.name, mutates: op.mutates, spec: vf, via: 'daemon', identity });
    present(ctx, op, doc, target, op.mutates ? [`(through the daemon at ${at(ctx.socketPath)}: kept while it runs and re-applied after every PF reset)`] : []);
    const unsaved = doc.persistError as { message?: unknown; hint?: unknown } | null;
    if (unsaved !== null && typeof unsaved === 'object') {
      // Applied and held, but a daemon restart would not restore it: the user must know, with the fix.
      ctx.warn(`the daemon applied this change but could not save it to its state directory, so a restart of the daemon would not restore it: ${String(unsaved.message)}${typeof unsaved.hint === 'string' ? ` (fix: ${unsaved.hint})` : ''}`);
    }
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
      raw = await untilInterrupted(ctx, handle, () => op.direct(session, ctx));
    } catch (err) {
      if (err instanceof EnvironmentError && err.code === 'ERR_INTERRUPTED') throw err;
      throw withPhrasedHint(explainError(err, handle, op.name, op.arg), target);
    }
    const doc = shapeResult(raw, { op: op.name, mutates: op.mutates, spec: vf, via: 'direct', note: op.mutates ? releaseNote(handle, hold) : null });
    present(ctx, op, doc, target);
    if (op.mutates) ctx.note(`no daemon at ${at(ctx.socketPath)} owns ${handle.id}: changed it directly (one-shot).`);
    if (op.mutates && !hold) ctx.note(releaseNote(handle, false));
    if (hold) {
      ctx.note(`holding ${handle.id}: the configuration stays while this runs, re-applied after a PF reset. Ctrl-C releases it${handle.kind === 'sim' ? '' : ' (and vfio-pci resets the VF)'}.`);
      await holdVf(ctx, session, op, doc, target, tuning);
    }
  } finally {
    await handle.close();
  }
}

/** The held operation as typed (`set-mac 02:…`, `vlan add 100`, `multicast 01:… 33:…`), for the hold's notices. */
function heldOp(op: VfOp, doc: Result): string {
  const words: unknown[] = [op.name];
  if (op.name === 'vlan') words.push(doc.action);
  if (op.arg !== undefined) words.push(op.arg);
  else if (op.name === 'multicast' && Array.isArray(doc.macs)) words.push(doc.macs.length === 0 ? '(none: cleared)' : doc.macs.join(' '));
  return words.filter((w) => w !== undefined && w !== null).map(String).join(' ');
}

/**
 * `--hold`: keeps the VF until Ctrl-C (or the kernel asking for it back). After a PF reset the VF is
 * recovered as the daemon does it (vf-recovery.ts: on the PF's events, a timer only as the fallback) and
 * the operation applied again, one line each on stderr — in every mode: with --json, stdout stays the one
 * result document. A failing attempt is reported once per cause. Ctrl-C ends it at any time, also in the
 * middle of an attempt; the VF is released here (close is idempotent: runVfOp closes it once more).
 */
async function holdVf(ctx: Ctx, session: Session, op: VfOp, doc: Result, target: HintTarget, tuning: RecoveryTuning): Promise<void> {
  const { handle } = session;
  const what = heldOp(op, doc);
  /** Why the hold ended other than by Ctrl-C: the command's error. */
  let ended: IxgbevfError | null = null;
  const fix = (err: unknown): void => {
    if (err instanceof IxgbevfError && err.hint !== undefined) ctx.io.stderr(`  fix: ${phraseHint(err.hint, target)}\n`);
  };
  const recovery = new VfRecovery<Result>(
    handle,
    {
      poll: ctx.poll,
      ...tuning,
      reapply: async () => {
        session.replies.length = 0;
        return op.direct(session, ctx);
      },
    },
    {
      pfReset: (reason) => ctx.io.stderr(`PF reset: re-applying ${what} to ${handle.id} (${reason})\n`),
      attemptFailed: (err, e, transient) => {
        const x = explainError(err, handle, 'reset');
        const text = `could not re-apply ${what} to ${handle.id} yet: ${x instanceof Error ? x.message : e.message} (${e.code}); trying again when the PF signals (Ctrl-C releases the VF)`;
        // The PF away (in reset, not answering) is routine while it goes down and up, as the daemon logs it
        // (waiting-for-pf, info): a plain line. Anything else is a warning (the daemon's recovery-failed).
        if (transient) ctx.io.stderr(`waiting for the PF: ${text}\n`);
        else ctx.warn(text);
        fix(x);
      },
      recovered: (r) => {
        if (r.refused !== null) {
          const x = explainError(r.refused, handle, op.name, op.arg);
          ctx.warn(`re-applying ${what} to ${handle.id} after the PF's reset failed: ${x instanceof Error ? x.message : String(x)}; holding ${handle.id} without it (tried again at the next PF reset; Ctrl-C releases it)`);
          fix(x);
          return;
        }
        ctx.io.stderr(`re-applied ${what} to ${handle.id} (API ${r.api})\n`);
        if (r.value === null) return;
        const again = shapeResult(r.value, { op: op.name, mutates: op.mutates, spec: target.vf, via: 'direct', note: null });
        for (const w of op.warnings?.(again) ?? []) ctx.warn(phraseHint(w, target));
      },
      gone: (e) => {
        ended = e;
      },
    },
  );
  await recovery.keep(ctx.io.signal, () => {
    ended = new DeviceGoneError('ERR_RELEASED', `the kernel asked for ${handle.id} back (unbind or a sriov_numvfs change): released it, so its configuration is no longer held`, {
      hint: 'ixgbevf list',
    });
  });
  if (ended !== null) throw ended;
}
