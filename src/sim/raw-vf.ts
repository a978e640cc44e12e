/**
 * A deliberately dumb VF-side mailbox client for tests of the simulator: raw register accesses exactly
 * as the reference §11.1 trace does them (legacy discipline: lock = write VFU + read back; send = lock,
 * write words, write exactly REQ; receive = lock, read words, write exactly ACK). No shadow, no waits:
 * the caller steps the PF itself. Not the project's VF driver (that lives in src/mbx).
 */
import type { RegisterIo } from '../io.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MbxBit } from '../hw/mailbox.js';

export class RawVfMailbox {
  constructor(
    readonly regs: RegisterIo,
    readonly family: FamilyDescriptor,
  ) {}

  get mailboxOffset(): number {
    return this.family.regs.mailbox;
  }

  /** One raw read of VFMAILBOX (clears PFSTS/PFACK/RSTD in hardware). */
  status(): number {
    return this.regs.read32(this.family.regs.mailbox);
  }

  writeMailbox(value: number): void {
    this.regs.write32(this.family.regs.mailbox, value);
  }

  word(i: number): number {
    return this.regs.read32(this.family.regs.mailboxMemory + 4 * i);
  }

  setWord(i: number, value: number): void {
    this.regs.write32(this.family.regs.mailboxMemory + 4 * i, value);
  }

  /** Write VFU, read back: true if the VF now owns the buffer. */
  lock(): boolean {
    this.writeMailbox(MbxBit.VFU);
    return (this.status() & MbxBit.VFU) !== 0;
  }

  /** Legacy send: lock, copy, write exactly REQ (releases VFU). Returns false if the lock failed. */
  send(words: readonly number[]): boolean {
    if (!this.lock()) return false;
    words.forEach((w, i) => this.setWord(i, w));
    this.writeMailbox(MbxBit.REQ);
    return true;
  }

  /** Legacy receive: lock, read `n` words, write exactly ACK. Undefined if the lock failed. */
  receive(n: number): number[] | undefined {
    if (!this.lock()) return undefined;
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.word(i));
    this.writeMailbox(MbxBit.ACK);
    return out;
  }

  /** VFCTRL.RST. */
  resetVf(): void {
    this.regs.write32(this.family.regs.ctrl, this.family.ctrlReset);
  }
}
