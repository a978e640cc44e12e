// The emulated 82599's mailbox trace (scripts/vm/run passes mbx-trace=<results>/mbx-trace.log to the model;
// the guest reads it as $IXGBEVF_VM_OUT/mbx-trace.log). Not a test file.
//
// Format (one line per mailbox message; the model writes it):
//   t=<ns> vf=<n> vf2pf <w0> ... <w15>   the VF set REQ in VFMAILBOX; words = VFMBMEM
//   t=<ns> vf=<n> pf2vf <w0> ... <w15>   the PF set STS in PFMAILBOX(n); words = PFMBMEM(n)
// words as 8 hex digits. Register lines (`t=<ns> vf=<n> reg r|w 0x<off> 0x<val>`, only with
// mbx-trace-regs=on) are ignored here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TRACE_FILE = process.env.IXGBEVF_VM_OUT ? join(process.env.IXGBEVF_VM_OUT, 'mbx-trace.log') : '';

const LINE = /^t=(\d+) vf=(\d+) (vf2pf|pf2vf)((?: [0-9a-fA-F]{8}){16})\s*$/;

/** ixgbe message bits (word 0): reply status in 31:29, MSGINFO in 23:16, the message id below. */
export const ACK = 0x80000000;
export const NACK = 0x40000000;
export const CTS = 0x20000000;
export const msgId = (w0) => w0 & 0xffff;
export const msgInfo = (w0) => (w0 >>> 16) & 0xff;
export const isAck = (w0) => (w0 & ACK) !== 0;
export const isNack = (w0) => (w0 & NACK) !== 0;

/** All message lines so far: [{ t, vf, dir, words, line }]. */
export function readTrace() {
  if (!existsSync(TRACE_FILE)) return [];
  const out = [];
  for (const line of readFileSync(TRACE_FILE, 'utf8').split('\n')) {
    const m = LINE.exec(line);
    if (m === null) continue;
    out.push({ t: BigInt(m[1]), vf: Number(m[2]), dir: m[3], words: m[4].trim().split(' ').map((w) => parseInt(w, 16) >>> 0), line });
  }
  return out;
}

/** A position in the trace; `since(mark)` gives the messages after it. */
export const traceMark = () => readTrace().length;
export const since = (mark, vf = null) => readTrace().slice(mark).filter((m) => vf === null || m.vf === vf);

/** The first reply (pf2vf, same id, ACK or NACK) after request `i` in `msgs`. */
export function replyTo(msgs, i) {
  const id = msgId(msgs[i].words[0]);
  return msgs.slice(i + 1).find((m) => m.dir === 'pf2vf' && msgId(m.words[0]) === id && (m.words[0] & (ACK | NACK)) !== 0) ?? null;
}

/** [{ request, reply }] for every VF→PF message with id `id` in `msgs`. */
export function exchanges(msgs, id) {
  const out = [];
  msgs.forEach((m, i) => {
    if (m.dir === 'vf2pf' && msgId(m.words[0]) === id) out.push({ request: m, reply: replyTo(msgs, i) });
  });
  return out;
}

export const hex = (w) => `0x${(w >>> 0).toString(16).padStart(8, '0')}`;
export const showMsgs = (msgs) => msgs.map((m) => `vf${m.vf} ${m.dir} ${m.words.slice(0, 5).map(hex).join(' ')}`).join('\n');

/** The two mailbox words of a MAC address as ixgbe packs them (bytes 0–3 in word 1, 4–5 in word 2). */
export function macWords(mac) {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  return [(b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0, (b[4] | (b[5] << 8)) >>> 0];
}
