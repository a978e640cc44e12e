/**
 * The shape of one PF↔VF message described as data (`MessageSpec`), the way Linux `ixgbevf/vf.c` gives each
 * message one small function behind `ixgbevf_mac_ops`: its ID and what it needs (`Requirement`: families,
 * minimum negotiated API, VF models that can never be granted it), how the request is encoded, how many
 * reply words are read and how they are decoded, and why the PF would NACK it with the fix. `class Vf`
 * (src/vf/vf.ts) runs a spec through the mailbox; a new message is one spec and its tests. This file owns
 * only the shapes and the small helpers the specs share.
 */
import type { ApiVersion } from '../../hw/api.js';
import type { FamilyDescriptor, FamilyKind } from '../../hw/family.js';
import type { Remedy, RemedyTarget } from '../remedy.js';
import type { QueueInfo } from '../types.js';

export interface Requirement {
  readonly id: number;
  readonly name: string;
  readonly minApi: ApiVersion;
  readonly kinds: readonly FamilyKind[];
  /**
   * Why this VF model can never get the message granted (it is refused locally, as ixgbevf does), or
   * null when it can.
   */
  readonly refusedOn?: (family: FamilyDescriptor) => string | null;
}

export const BOTH: readonly FamilyKind[] = ['ixgbevf', 'igbvf'];
export const IXGBE: readonly FamilyKind[] = ['ixgbevf'];
export const IGB: readonly FamilyKind[] = ['igbvf'];

export function req(id: number, name: string, minApi: ApiVersion, kinds: readonly FamilyKind[], refusedOn?: (family: FamilyDescriptor) => string | null): Requirement {
  return { id, name, minApi, kinds, ...(refusedOn === undefined ? {} : { refusedOn }) };
}

/** What a NACK explanation may look at: where the fix is applied, the VF, its API, its last GET_QUEUES. */
export interface NackContext {
  readonly target: RemedyTarget;
  readonly family: FamilyDescriptor;
  readonly api: ApiVersion;
  /** The last GET_QUEUES answer (DCB shows as transparentVlan > 1), null before the first. */
  readonly queues: QueueInfo | null;
}

/** Why the PF refused, in one line, and the ways to fix it. */
export interface Explanation {
  readonly message: string;
  readonly remedies: readonly Remedy[];
}

/** What an encoder or decoder may look at besides its arguments. */
export interface MessageContext {
  readonly family: FamilyDescriptor;
  readonly api: ApiVersion;
  /** mc_filter_type from the last VF_RESET reply (0 before the first, and on igb). */
  readonly mcFilterType: number;
}

/**
 * One message. `A` is what the caller asks (also what the NACK explanation sees), `R` the decoded answer.
 * `op` names the message in `PfNackError.details.message` and in `NackKind`.
 */
export interface MessageSpec<Op extends string, A, R> {
  readonly op: Op;
  /** The gate checked before anything is sent (family, VF model, negotiated API). */
  readonly requirement: Requirement;
  /** A further gate that depends on the arguments (xcast PROMISC needs 1.3), checked first. */
  readonly requirementFor?: (args: A) => Requirement | null;
  /** The request words (word 0 first). */
  encode(args: A, ctx: MessageContext): number[];
  /** Reply words to read (capped by the family: igb replies are one word). */
  readonly replyWords: number;
  /**
   * A NACK is an answer, not a refusal (API_NEGOTIATE moves on to the next version): decode() sees it and
   * no PfNackError is thrown.
   */
  readonly nackIsAnswer?: boolean;
  decode(reply: readonly number[], args: A, ctx: MessageContext): R;
  /** Why the PF NACKed and the fix; without it the error says "the PF refused <name>". */
  readonly explain?: (args: A, ctx: NackContext) => Explanation;
}

/** A message whose NACK has its own explanation. */
export type ExplainedMessageSpec<Op extends string, A, R> = MessageSpec<Op, A, R> & { readonly explain: (args: A, ctx: NackContext) => Explanation };

/**
 * Identity with inference: `defineMessage({ op: 'X', … })` keeps `op` literal, checks the shape, and keeps
 * whether the spec explains its NACK (the type of `NackKind` depends on it).
 */
export function defineMessage<Op extends string, A, R>(spec: ExplainedMessageSpec<Op, A, R>): ExplainedMessageSpec<Op, A, R>;
export function defineMessage<Op extends string, A, R>(spec: MessageSpec<Op, A, R>): MessageSpec<Op, A, R>;
export function defineMessage<Op extends string, A, R>(spec: MessageSpec<Op, A, R>): MessageSpec<Op, A, R> {
  return spec;
}

/** The reply word `i`, 0 when the PF sent fewer words. */
export function word(reply: readonly number[], i: number): number {
  return (reply[i] ?? 0) >>> 0;
}
