/**
 * Every PF↔VF message this driver sends, as one table (`MESSAGES`): a new message is one entry (in the
 * group file it belongs to) and its tests. Also `NackKind`, the argument record of each message's NACK
 * explanation, derived from the table so it cannot drift from it.
 */
import { featuresNegotiate, apiNegotiate } from './negotiation.js';
import { setMacAddr, setMacvlan, setMulticast, setVlan } from './filters.js';
import { igbSetPromisc, setLpe, updateXcastMode } from './modes.js';
import { getLinkState, getPfLinkState, getQueues, getReta, getRssKey } from './queries.js';

export { vfReset } from './reset.js';
export { XCAST_PROMISC, MTU_RANGE_TEXT } from './modes.js';
export { IXGBEVF_SUPPORTED_FEATURES, featuresImpliedBy, usesLockedMailbox } from './negotiation.js';
export type { Explanation, MessageContext, MessageSpec, NackContext, Requirement } from './message.js';

/** The messages, in reference §5.4 order (the key is the spec's `op`). */
export const MESSAGES = {
  SET_MAC_ADDR: setMacAddr,
  SET_MULTICAST: setMulticast,
  SET_VLAN: setVlan,
  SET_LPE: setLpe,
  SET_MACVLAN: setMacvlan,
  SET_PROMISC: igbSetPromisc,
  API_NEGOTIATE: apiNegotiate,
  GET_QUEUES: getQueues,
  GET_RETA: getReta,
  GET_RSS_KEY: getRssKey,
  UPDATE_XCAST_MODE: updateXcastMode,
  GET_LINK_STATE: getLinkState,
  GET_PF_LINK_STATE: getPfLinkState,
  FEATURES_NEGOTIATE: featuresNegotiate,
} as const;

type Messages = typeof MESSAGES;
/** The messages whose NACK is an error (API_NEGOTIATE's is an answer). */
type RefusableOp = Exclude<keyof Messages, 'API_NEGOTIATE'>;

/**
 * What the NACK explanation of each message is given: `{ op }`, plus the message's arguments when it has
 * its own explanation (the others say "the PF refused <name>").
 */
export type NackKind = { [K in RefusableOp]: Messages[K] extends { readonly explain: (args: infer A, ctx: never) => unknown } ? { op: K } & A : { op: K } }[RefusableOp];

/** The spec of the message named `op`. */
export function messageSpec<K extends keyof Messages>(op: K): Messages[K] {
  return MESSAGES[op];
}
