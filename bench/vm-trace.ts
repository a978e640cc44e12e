/**
 * Part 6, in the guest: reading the emulated 82599's mailbox trace ($IXGBEVF_VM_OUT/mbx-trace.log, ixgbe
 * rig only; format in scripts/vm/README.md). Three figures come from it:
 *   - register accesses per set-MAC (needs `-global ixgbe.mbx-trace-regs=on`): the VF's mailbox register
 *     reads and writes between two consecutive SET_MAC_ADDR requests of that VF, i.e. one whole cycle
 *     (lock, words, doorbell, waiting, reply, release) — deterministic, independent of the machine's load;
 *   - the PF's own time per request: QEMU clock from the VF's request (REQ) to the PF's reply (STS);
 *   - PF ready → state re-applied (needs regs=on for the `event pf-reset-done` line): from the PF setting
 *     PFRSTD to the last message of that VF's re-apply.
 * A mark is a line count: `since(mark)` gives the lines written after it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SET_MAC = 0x02;

export type TraceLine =
  | { kind: 'msg'; t: number; vf: number; dir: 'vf2pf' | 'pf2vf'; w0: number }
  | { kind: 'reg'; t: number; vf: number; op: 'r' | 'w'; off: number }
  | { kind: 'event'; t: number; vf: string; what: string };

const MSG = /^t=(\d+) vf=(\d+) (vf2pf|pf2vf) ([0-9a-f]{8})/i;
const REG = /^t=(\d+) vf=(\d+) reg ([rw]) 0x([0-9a-f]+)/i;
const EVENT = /^t=(\d+) vf=(\S+) event (\S+)/;

export class MailboxTrace {
  readonly file: string;
  constructor(outDir: string) {
    this.file = join(outDir, 'mbx-trace.log');
  }
  get present(): boolean {
    return existsSync(this.file);
  }
  #lines(): string[] {
    return this.present ? readFileSync(this.file, 'utf8').split('\n').filter((l) => l !== '') : [];
  }
  mark(): number {
    return this.#lines().length;
  }
  since(mark: number, until?: number): TraceLine[] {
    const out: TraceLine[] = [];
    for (const l of this.#lines().slice(mark, until)) {
      let m = MSG.exec(l);
      if (m !== null) {
        out.push({ kind: 'msg', t: Number(m[1]), vf: Number(m[2]), dir: m[3] as 'vf2pf' | 'pf2vf', w0: parseInt(m[4]!, 16) >>> 0 });
        continue;
      }
      m = REG.exec(l);
      if (m !== null) {
        out.push({ kind: 'reg', t: Number(m[1]), vf: Number(m[2]), op: m[3] as 'r' | 'w', off: parseInt(m[4]!, 16) });
        continue;
      }
      m = EVENT.exec(l);
      if (m !== null) out.push({ kind: 'event', t: Number(m[1]), vf: m[2]!, what: m[3]! });
    }
    return out;
  }
}

const isSetMacRequest = (l: TraceLine, vf: number): boolean => l.kind === 'msg' && l.vf === vf && l.dir === 'vf2pf' && (l.w0 & 0xffff) === SET_MAC;

/** Register accesses of `vf` per set-MAC cycle: one sample per pair of consecutive SET_MAC requests. */
export function accessesPerSetMac(lines: readonly TraceLine[], vf: number): { total: number[]; reads: number[]; writes: number[] } {
  const out = { total: [] as number[], reads: [] as number[], writes: [] as number[] };
  let started = false;
  let r = 0;
  let w = 0;
  for (const l of lines) {
    if (isSetMacRequest(l, vf)) {
      if (started) {
        out.total.push(r + w);
        out.reads.push(r);
        out.writes.push(w);
      }
      started = true;
      r = 0;
      w = 0;
    } else if (l.kind === 'reg' && l.vf === vf) {
      if (l.op === 'r') r++;
      else w++;
    }
  }
  return out;
}

/** The PF's time per SET_MAC request of `vf` (ms, QEMU clock): request (REQ) → the PF's reply (STS). */
export function pfTimes(lines: readonly TraceLine[], vf: number): number[] {
  const out: number[] = [];
  let since: number | null = null;
  for (const l of lines) {
    if (isSetMacRequest(l, vf)) since = l.t;
    else if (since !== null && l.kind === 'msg' && l.vf === vf && l.dir === 'pf2vf' && (l.w0 & 0xffff) === SET_MAC) {
      out.push((l.t - since) / 1e6);
      since = null;
    }
  }
  return out;
}

/**
 * For every PF reset in `lines`: PF ready (`event pf-reset-done`) → `vf`'s first request after it, and →
 * the PF's last reply to it before the next PF reset (the re-apply done). ms, QEMU clock.
 */
export function recoveries(lines: readonly TraceLine[], vf: number): { react: number[]; reapplied: number[] } {
  const out = { react: [] as number[], reapplied: [] as number[] };
  let ready: number | null = null;
  let first: number | null = null;
  let last: number | null = null;
  const flush = (): void => {
    if (ready !== null && first !== null && last !== null) {
      out.react.push((first - ready) / 1e6);
      out.reapplied.push((last - ready) / 1e6);
    }
    ready = first = last = null;
  };
  for (const l of lines) {
    if (l.kind === 'event' && l.what === 'pf-reset') flush();
    else if (l.kind === 'event' && l.what === 'pf-reset-done') {
      flush();
      ready = l.t;
    } else if (ready !== null && l.kind === 'msg' && l.vf === vf) {
      if (first === null && l.dir === 'vf2pf') first = l.t;
      // A reply (ACK or NACK in word 0) to one of the VF's requests; PF-initiated messages are not ours.
      if (l.dir === 'pf2vf' && (l.w0 & 0xc0000000) !== 0) last = l.t;
    }
  }
  flush();
  return out;
}
