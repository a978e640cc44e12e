/**
 * PfNackError for a refused message: the likely cause and the fix (reference §6.3 NACK table, §6.7 admin
 * knobs), both as text (`hint`) and structured (`details.remedies`, see `Remedy` in remedy.ts). Each
 * message's own explanation lives with the message (src/vf/messages/); this file turns one into the typed
 * error, and keeps `nackError(kind, …)` for callers that name the message by its `op`.
 */
import { PfNackError } from '../errors.js';
import { apiName } from '../hw/api.js';
import { messageName } from '../hw/messages.js';
import { hex32 } from '../mbx/codec.js';
import { MESSAGES, type Explanation, type NackContext, type NackKind } from './messages/index.js';
import { renderRemedies } from './remedy.js';

export { renderRemedy, renderRemedies, type Remedy, type RemedyTarget } from './remedy.js';
export { MTU_RANGE_TEXT, type NackContext, type NackKind } from './messages/index.js';

/** The PfNackError for message `op` answered with `word0`, explained by `explanation` (default: "the PF refused <name>"). */
export function refusal(op: string, word0: number, explanation: Explanation | undefined, ctx: NackContext): PfNackError {
  const { message, remedies } = explanation ?? { message: `the PF refused ${messageName(word0, ctx.family.kind)}`, remedies: [] };
  return new PfNackError(message, {
    ...(remedies.length === 0 ? {} : { hint: renderRemedies(remedies, ctx.target) }),
    details: { message: op, reply: hex32(word0), api: apiName(ctx.api), model: ctx.family.model, remedies },
  });
}

/** The PfNackError for `kind` (a message and what was asked) answered with `word0`. */
export function nackError(kind: NackKind, word0: number, ctx: NackContext): PfNackError {
  const spec = MESSAGES[kind.op] as { readonly explain?: (args: NackKind, ctx: NackContext) => Explanation };
  return refusal(kind.op, word0, spec.explain?.(kind, ctx), ctx);
}
