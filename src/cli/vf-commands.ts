/**
 * Running one VF command (`VfOp`): through the daemon when it owns the VF (the change then persists and
 * is re-applied after PF resets), otherwise directly on a VF opened here and released when the command
 * exits — which resets it. Both paths print one result shape; the operations themselves are in vf-ops.ts.
 */
import { explainError, type OpName } from '../daemon/explain.js';
import type { VfHandle } from '../open/types.js';
import type { DaemonClient } from './client.js';
import type { Ctx } from './context.js';
import { phraseHint, withPhrasedHint, type HintTarget } from './hints.js';
import { shapeResult, type Result, type VfIdentity } from './results.js';
import { openSession, owningDaemon, waitForAbort, type Session } from './vf-session.js';

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
