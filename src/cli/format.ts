/** Text helpers shared by the CLI and the daemon: mailbox words, register bits, tables. */
import { MbxBit, MsgFlag, MSG_ID_MASK, MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import { MsgId } from '../hw/messages.js';

const MSG_NAMES: Record<number, string> = {
  [MsgId.RESET]: 'VF_RESET',
  [MsgId.SET_MAC_ADDR]: 'SET_MAC_ADDR',
  [MsgId.SET_MULTICAST]: 'SET_MULTICAST',
  [MsgId.SET_VLAN]: 'SET_VLAN',
  [MsgId.SET_LPE]: 'SET_LPE',
  [MsgId.SET_MACVLAN]: 'SET_MACVLAN',
  [MsgId.API_NEGOTIATE]: 'API_NEGOTIATE',
  [MsgId.GET_QUEUES]: 'GET_QUEUES',
  [MsgId.GET_RETA]: 'GET_RETA',
  [MsgId.GET_RSS_KEY]: 'GET_RSS_KEY',
  [MsgId.UPDATE_XCAST_MODE]: 'UPDATE_XCAST_MODE',
  [MsgId.IPSEC_ADD]: 'IPSEC_ADD',
  [MsgId.IPSEC_DEL]: 'IPSEC_DEL',
  [MsgId.GET_LINK_STATE]: 'GET_LINK_STATE',
  [MsgId.GET_PF_LINK_STATE]: 'GET_PF_LINK_STATE',
  [MsgId.FEATURES_NEGOTIATE]: 'FEATURES_NEGOTIATE',
  [MsgId.PF_CONTROL_MSG]: 'PF_CONTROL_MSG',
};

export function hex32(word: number): string {
  return `0x${(word >>> 0).toString(16).padStart(8, '0')}`;
}

export function messageName(id: number): string {
  return MSG_NAMES[id] ?? `MSG_${hex32(id)}`;
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
export function decodeWord(word: number): DecodedWord {
  const w = word >>> 0;
  return {
    word: hex32(w),
    message: messageName(w & MSG_ID_MASK),
    id: w & MSG_ID_MASK,
    ack: (w & MsgFlag.ACK) !== 0,
    nack: (w & MsgFlag.NACK) !== 0,
    cts: (w & MsgFlag.CTS) !== 0,
    info: (w & MSGINFO_MASK) >>> MSGINFO_SHIFT,
  };
}

export function describeWord(word: number): string {
  const d = decodeWord(word);
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
