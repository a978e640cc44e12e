/**
 * Word-0 building and parsing (reference §5.1). Pure functions, no I/O.
 */
import {
  BARE_NACK_WORD,
  MSG_ID_MASK,
  MSG_REPLY_FLAGS,
  MSGINFO_MASK,
  MSGINFO_SHIFT,
  MsgFlag,
} from '../hw/mailbox.js';
import { MsgId } from '../hw/messages.js';

/** Builds a request word 0: message ID in bits 15:0, MSGINFO in bits 23:16, no ACK/NACK/CTS. */
export function requestWord(id: number, msgInfo = 0): number {
  if (!Number.isInteger(id) || id < 0 || id > MSG_ID_MASK) throw new RangeError(`message id ${id} out of range`);
  if (!Number.isInteger(msgInfo) || msgInfo < 0 || msgInfo > MSGINFO_MASK >>> MSGINFO_SHIFT) {
    throw new RangeError(`MSGINFO ${msgInfo} out of range`);
  }
  return (((msgInfo << MSGINFO_SHIFT) & MSGINFO_MASK) | id) >>> 0;
}

export function messageId(word: number): number {
  return word & MSG_ID_MASK;
}

export function messageInfo(word: number): number {
  return (word & MSGINFO_MASK) >>> MSGINFO_SHIFT;
}

export function hasAck(word: number): boolean {
  return (word & MsgFlag.ACK) !== 0;
}

export function hasNack(word: number): boolean {
  return (word & MsgFlag.NACK) !== 0;
}

export function hasCts(word: number): boolean {
  return (word & MsgFlag.CTS) !== 0;
}

/** True when the word is a reply (ACK or NACK set); requests must never carry these bits (§5.1). */
export function isReplyWord(word: number): boolean {
  return (word & MSG_REPLY_FLAGS) !== 0;
}

/** The word without the CTS bit, unsigned. */
export function withoutCts(word: number): number {
  return (word & ~MsgFlag.CTS) >>> 0;
}

/**
 * What a word read from the mailbox while waiting for the reply to `requestWord0` is (§11.2):
 * - `reply`: same message ID as the request, with ACK or NACK;
 * - `control`: a PF control message (ping, 0x0100) without ACK/NACK — `cts` says whether we are still
 *   clear-to-send;
 * - `bare-nack`: exactly 0x40000000, the PF's "you ACKed while not clear-to-send";
 * - `foreign`: anything else (a stale reply to another request, our own request word still in memory).
 */
export type WordKind =
  | { kind: 'reply'; ack: boolean; cts: boolean }
  | { kind: 'control'; cts: boolean }
  | { kind: 'bare-nack' }
  | { kind: 'foreign' };

export function classifyWord(word: number, requestWord0?: number): WordKind {
  const w = word >>> 0;
  if (w === BARE_NACK_WORD) return { kind: 'bare-nack' };
  if (messageId(w) === MsgId.PF_CONTROL_MSG && !isReplyWord(w)) return { kind: 'control', cts: hasCts(w) };
  if (requestWord0 !== undefined && messageId(w) === messageId(requestWord0) && isReplyWord(w)) {
    return { kind: 'reply', ack: hasAck(w) && !hasNack(w), cts: hasCts(w) };
  }
  return { kind: 'foreign' };
}

/** Hex form used in messages and traces: 0x20000100. */
export function hex32(word: number): string {
  return `0x${(word >>> 0).toString(16).padStart(8, '0')}`;
}
