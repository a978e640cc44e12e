/** Text helpers shared by the CLI and the daemon: mailbox words, register bits, tables. */
import { MbxBit, MsgFlag, MSG_ID_MASK, MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import { IgbVfDeviceId } from '../hw/ids.js';
import { messageName as hwMessageName } from '../hw/messages.js';

export function hex32(word: number): string {
  return `0x${(word >>> 0).toString(16).padStart(8, '0')}`;
}

export type FamilyKindName = 'ixgbevf' | 'igbvf';

/** The message namespace of a VF model (`82576`, `I350` → igbvf; every other model → ixgbevf). */
export function familyKindOf(model: unknown): FamilyKindName {
  return typeof model === 'string' && Object.hasOwn(IgbVfDeviceId, model) ? 'igbvf' : 'ixgbevf';
}

/** A message ID's name in the VF family's namespace (igb's 0x06 is SET_PROMISC, ixgbe's SET_MACVLAN). */
export function messageName(id: number, kind: FamilyKindName = 'ixgbevf'): string {
  return hwMessageName(id, kind);
}

export interface DecodedWord {
  word: string;
  message: string;
  id: number;
  ack: boolean;
  nack: boolean;
  cts: boolean;
  info: number;
}

/** Word 0 of a mailbox message: `SET_MAC_ADDR ACK|CTS (0xa0000002)`. */
export function decodeWord(word: number, kind: FamilyKindName = 'ixgbevf'): DecodedWord {
  const w = word >>> 0;
  return {
    word: hex32(w),
    message: messageName(w & MSG_ID_MASK, kind),
    id: w & MSG_ID_MASK,
    ack: (w & MsgFlag.ACK) !== 0,
    nack: (w & MsgFlag.NACK) !== 0,
    cts: (w & MsgFlag.CTS) !== 0,
    info: (w & MSGINFO_MASK) >>> MSGINFO_SHIFT,
  };
}

export function describeWord(word: number, kind: FamilyKindName = 'ixgbevf'): string {
  const d = decodeWord(word, kind);
  if ((word >>> 0) === MsgFlag.NACK) return `bare NACK (${d.word}: not clear-to-send)`;
  const flags = [d.ack ? 'ACK' : null, d.nack ? 'NACK' : null, d.cts ? 'CTS' : null].filter((f) => f !== null);
  return `${d.message}${flags.length > 0 ? ` ${flags.join('|')}` : ''} (${d.word})`;
}

/** Names of the set bits of VFMAILBOX. */
export function mailboxBits(value: number): string[] {
  return (Object.entries(MbxBit) as [string, number][]).filter(([, bit]) => (value & bit) !== 0).map(([name]) => name);
}

/** A left-aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
