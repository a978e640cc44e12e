/**
 * Running one described message (src/vf/messages/): its gates (the argument-dependent one first, then the
 * message's own; nothing is sent when one fails), then one request/reply transaction on the mailbox or on
 * a session already holding it; a NACK becomes PfNackError with the message's explanation, unless the
 * message takes a NACK as an answer. Also which mailbox discipline the negotiated API and features select.
 */
import type { ApiVersion } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { hasNack } from '../mbx/codec.js';
import type { MailboxSession } from '../mbx/mailbox.js';
import { legacyOps } from '../mbx/ops-legacy.js';
import { lockedOps } from '../mbx/ops-locked.js';
import type { MailboxOps } from '../mbx/ops.js';
import { usesLockedMailbox, type MessageContext, type MessageSpec, type NackContext } from './messages/index.js';
import { refusal } from './nack.js';
import { requireSupported } from './requirements.js';

/** Where a transaction goes: the mailbox (takes its mutex) or a session already holding it. */
export type MailboxPort = Pick<MailboxSession, 'writeMsgReadAck'>;

/** Everything an encoder, a decoder and a NACK explanation may look at. */
export type TransactionContext = MessageContext & NackContext;

type AnySpec<A, R> = MessageSpec<string, A, R>;

/** The argument-dependent gate of `spec` (xcast PROMISC), when it has one. */
export function checkArgumentGate<A>(spec: AnySpec<A, unknown>, args: A, family: FamilyDescriptor, api: ApiVersion): void {
  const extra = spec.requirementFor?.(args) ?? null;
  if (extra !== null) requireSupported(extra, family, api);
}

/** The message's own gate: family, VF model, negotiated API. */
export function checkMessageGate(spec: Pick<AnySpec<unknown, unknown>, 'requirement'>, family: FamilyDescriptor, api: ApiVersion): void {
  requireSupported(spec.requirement, family, api);
}

/** One request and its reply (reply words capped by the family: igb replies are one word). */
export async function transact<A, R>(port: MailboxPort, spec: AnySpec<A, R>, args: A, ctx: TransactionContext): Promise<R> {
  const reply = await port.writeMsgReadAck(spec.encode(args, ctx), Math.min(spec.replyWords, ctx.family.replyWords));
  const word0 = reply[0] ?? 0;
  if (spec.nackIsAnswer !== true && hasNack(word0)) throw refusal(spec.op, word0, spec.explain?.(args, ctx), ctx);
  return spec.decode(reply, args, ctx);
}

/** The discipline ixgbevf installs: locked for API 1.5, or 1.7 with ESX_MBX agreed; legacy otherwise. */
export function mailboxOpsFor(api: ApiVersion, features: number): MailboxOps {
  return usesLockedMailbox(api, features) ? lockedOps : legacyOps;
}
