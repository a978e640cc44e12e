/**
 * Test doubles for the mailbox layer: a small model of the VF mailbox hardware (read-to-clear bits,
 * VFU/PFU lock rules, shared memory, doorbells) and a scripted PF driving the other side. Deliberately
 * independent of src/sim so the mailbox rules are tested against a second, minimal model.
 */
import { MbxBit, MAILBOX_WORDS, MsgFlag, MBX_READ_TO_CLEAR_MASK } from '../../src/hw/mailbox.js';
import { IrqEmitter, type RegisterIo } from '../../src/io.js';
import type { FamilyDescriptor } from '../../src/hw/family.js';

export interface RegWrite {
  offset: number;
  value: number;
}

/** The VF-visible hardware. PF-side helpers are the `pf*` methods. */
export class FakeMailboxHw implements RegisterIo {
  readonly irqs = new IrqEmitter();
  readonly writes: RegWrite[] = [];
  readonly reads: number[] = [];
  readonly mem: number[] = new Array<number>(MAILBOX_WORDS).fill(0);
  /** Other registers (CTRL, STATUS, LINKS, EIMC …): plain storage. */
  readonly regs = new Map<number, number>();
  bits = 0;
  removed = false;
  /** Called (synchronously) when the VF rings REQ / ACK, or writes CTRL. */
  onReq: () => void = () => undefined;
  onAck: () => void = () => undefined;
  onCtrl: (value: number) => void = () => undefined;
  /** Fire an interrupt when PFSTS / PFACK / RSTD is raised. */
  interrupts = true;

  constructor(readonly family: FamilyDescriptor) {}

  get mailboxOffset(): number {
    return this.family.regs.mailbox;
  }

  read32(offset: number): number {
    if (this.removed) return 0xffffffff;
    if (offset === this.family.regs.mailbox) {
      const value = this.bits;
      this.bits &= ~MBX_READ_TO_CLEAR_MASK;
      this.reads.push(value);
      return value >>> 0;
    }
    const memIndex = (offset - this.family.regs.mailboxMemory) / 4;
    if (Number.isInteger(memIndex) && memIndex >= 0 && memIndex < MAILBOX_WORDS) return this.mem[memIndex]! >>> 0;
    return (this.regs.get(offset) ?? 0) >>> 0;
  }

  write32(offset: number, value: number): void {
    this.writes.push({ offset, value: value >>> 0 });
    if (this.removed) return;
    if (offset === this.family.regs.mailbox) {
      if (value & MbxBit.VFU) {
        if (!(this.bits & MbxBit.PFU)) this.bits |= MbxBit.VFU;
      } else {
        this.bits &= ~MbxBit.VFU;
      }
      if (value & MbxBit.REQ) this.onReq();
      if (value & MbxBit.ACK) this.onAck();
      return;
    }
    const memIndex = (offset - this.family.regs.mailboxMemory) / 4;
    if (Number.isInteger(memIndex) && memIndex >= 0 && memIndex < MAILBOX_WORDS) {
      this.mem[memIndex] = value >>> 0;
      return;
    }
    this.regs.set(offset, value >>> 0);
    if (offset === this.family.regs.ctrl) this.onCtrl(value >>> 0);
  }

  /** Writes to the mailbox control register only. */
  controlWrites(): number[] {
    return this.writes.filter((w) => w.offset === this.family.regs.mailbox).map((w) => w.value);
  }

  // PF side -----------------------------------------------------------------------------------------

  raise(bits: number): void {
    this.bits |= bits;
    if (this.interrupts && bits & (MbxBit.PFSTS | MbxBit.PFACK | MbxBit.RSTD)) this.irqs.fire(1);
  }

  /** Single-try PF lock, as the Linux PF (§6.1). */
  pfLock(): boolean {
    if (this.bits & MbxBit.VFU) return false;
    this.bits |= MbxBit.PFU;
    return true;
  }

  pfUnlock(): void {
    this.bits &= ~MbxBit.PFU;
  }

  /** PF write: lock, copy, STS (releases PFU). Returns false (message lost) when the lock fails. */
  pfWrite(words: readonly number[]): boolean {
    if (!this.pfLock()) return false;
    words.forEach((w, i) => (this.mem[i] = w >>> 0));
    this.bits &= ~MbxBit.PFU;
    this.raise(MbxBit.PFSTS);
    return true;
  }

  /** PF read: lock, copy 16 words, ACK (releases PFU). Null when the lock fails. */
  pfRead(): number[] | null {
    if (!this.pfLock()) return null;
    const words = [...this.mem];
    this.bits &= ~MbxBit.PFU;
    this.raise(MbxBit.PFACK);
    return words;
  }

  pfResetStart(): void {
    this.bits = (this.bits & ~(MbxBit.PFU | MbxBit.PFSTS | MbxBit.PFACK)) | MbxBit.RSTI;
  }

  pfResetDone(): void {
    this.bits &= ~MbxBit.RSTI;
    this.raise(MbxBit.RSTD);
  }
}

export type PfHandler = (words: number[], pf: ScriptedPf) => number[] | null | undefined;

/**
 * A PF with Linux's structure (§6.2, §6.3): on REQ it reads the message (single-try lock), ACKs, runs
 * `handler` and writes the reply; on the VF's ACK it sends the bare NACK when the VF is not CTS. Work runs
 * on `setImmediate` (like the PF's interrupt task), so the VF's waits interleave with it.
 */
export class ScriptedPf {
  cts = false;
  readonly received: number[][] = [];
  readonly lostMessages: number[][] = [];
  handler: PfHandler;
  /** Messages are processed only when true (false: the PF never answers). */
  answering = true;
  sync = false;

  constructor(
    readonly hw: FakeMailboxHw,
    handler?: PfHandler,
  ) {
    this.handler = handler ?? linuxishHandler();
    hw.onReq = () => this.#schedule(() => this.msgTask());
    hw.onAck = () => this.#schedule(() => this.rcvAck());
  }

  #schedule(fn: () => void): void {
    if (this.sync) fn();
    else setImmediate(fn);
  }

  msgTask(): void {
    if (!this.answering) return;
    const words = this.hw.pfRead();
    if (words === null) {
      this.lostMessages.push([...this.hw.mem]);
      return;
    }
    const word0 = words[0]!;
    if (word0 & (MsgFlag.ACK | MsgFlag.NACK)) return;
    this.received.push(words);
    if (word0 === 0x00000001) {
      const reply = this.handler(words, this);
      this.cts = true;
      if (reply) this.hw.pfWrite(reply);
      return;
    }
    if (!this.cts) {
      this.hw.pfWrite([(word0 | MsgFlag.NACK) >>> 0]);
      return;
    }
    const reply = this.handler(words, this);
    if (reply) this.hw.pfWrite(reply);
  }

  rcvAck(): void {
    if (!this.cts) this.hw.pfWrite([MsgFlag.NACK]);
  }

  /** PF-initiated ping (0x100, CTS when the VF is clear-to-send). */
  ping(): boolean {
    return this.hw.pfWrite([(0x100 | (this.cts ? MsgFlag.CTS : 0)) >>> 0]);
  }

  dropCts(): void {
    this.cts = false;
    this.ping();
  }
}

export interface LinuxishState {
  adminMac: [number, number] | null;
  api: number;
  acceptApis: number[];
  mcFilterType: number;
}

/** A handler following the Linux PF's main rules closely enough for mailbox tests. */
export function linuxishHandler(state: Partial<LinuxishState> = {}): PfHandler {
  const s: LinuxishState = {
    adminMac: state.adminMac ?? [0x33221102, 0x00005544],
    api: 0,
    acceptApis: state.acceptApis ?? [0, 2, 3, 4, 5, 7, 8],
    mcFilterType: state.mcFilterType ?? 0,
  };
  return (words) => {
    const word0 = words[0]!;
    const id = word0 & 0xffff;
    const ok = (w: number[]): number[] => [((word0 | MsgFlag.ACK | MsgFlag.CTS) >>> 0), ...w.slice(1)];
    const nack = (): number[] => [((word0 | MsgFlag.NACK | MsgFlag.CTS) >>> 0), ...words.slice(1)];
    switch (id) {
      case 0x01:
        s.api = 0;
        return s.adminMac ? [0x80000001, s.adminMac[0], s.adminMac[1], s.mcFilterType] : [0x40000001, 0, 0, s.mcFilterType];
      case 0x08:
        if (s.acceptApis.includes(words[1]!)) {
          s.api = words[1]!;
          return ok(words);
        }
        return nack();
      default:
        return ok(words);
    }
  };
}
