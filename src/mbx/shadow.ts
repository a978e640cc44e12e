/**
 * The VFMAILBOX control register behind its software shadow (reference §1.2, §4.2, §11.2).
 *
 * PFSTS, PFACK and RSTD are read-to-clear in hardware. Every read is folded into the shadow
 * (`value = register | shadow; shadow |= value & R2C`), so a status read done for one purpose (polling
 * for RSTD, checking for an ACK, taking the lock) never eats a bit another code path still needs. Bits
 * leave the shadow only through `consume()`, when the protocol has used them.
 */
import { DeviceGoneError } from '../errors.js';
import { MBX_READ_TO_CLEAR_MASK, REMOVED_REGISTER_VALUE } from '../hw/mailbox.js';
import type { RegisterIo } from '../io.js';
import { hex32 } from './codec.js';
import type { MailboxTraceHook } from './trace.js';

export class MailboxControl {
  readonly #regs: RegisterIo;
  readonly #offset: number;
  readonly #trace: MailboxTraceHook | undefined;
  #shadow = 0;

  constructor(regs: RegisterIo, offset: number, trace?: MailboxTraceHook) {
    this.#regs = regs;
    this.#offset = offset;
    this.#trace = trace;
  }

  /** Read-to-clear bits seen but not consumed yet. */
  get shadow(): number {
    return this.#shadow;
  }

  /**
   * Reads the register, folds the read-to-clear bits into the shadow and returns register | shadow.
   * A read of 0xFFFFFFFF means the device is gone (checked first, before anything is folded).
   */
  read(): number {
    const raw = this.#regs.read32(this.#offset) >>> 0;
    if (raw === REMOVED_REGISTER_VALUE) {
      throw new DeviceGoneError('ERR_DEVICE_REMOVED', `the VF mailbox register reads ${hex32(raw)}: the device was removed or is in reset`, {
        hint: 'check `lspci` and the kernel log; the VF must be re-opened',
        details: { offset: this.#offset },
      });
    }
    const value = (raw | this.#shadow) >>> 0;
    this.#shadow = (this.#shadow | (value & MBX_READ_TO_CLEAR_MASK)) >>> 0;
    return value;
  }

  /** True when any of `bits` shows (register or shadow). Does not consume. */
  test(bits: number): boolean {
    return (this.read() & bits) !== 0;
  }

  /** Drops `bits` from the shadow: the protocol has used them (clear_msg / clear_ack / clear_rst). */
  consume(bits: number): void {
    this.#shadow = (this.#shadow & ~bits) >>> 0;
  }

  /** Writes the register as is. Callers decide the exact value (REQ alone, ACK alone, VFU alone …). */
  write(value: number): void {
    this.#trace?.({ kind: 'control', value: value >>> 0 });
    this.#regs.write32(this.#offset, value >>> 0);
  }
}

/** The 16 shared words (VFMBMEM / VMBMEM). The memory is not protected by the lock in hardware (§3.2). */
export class MailboxMemory {
  readonly #regs: RegisterIo;
  readonly #base: number;
  readonly size: number;

  constructor(regs: RegisterIo, base: number, size: number) {
    this.#regs = regs;
    this.#base = base;
    this.size = size;
  }

  read(count: number): number[] {
    const n = Math.min(count, this.size);
    const words: number[] = [];
    for (let i = 0; i < n; i += 1) words.push(this.#regs.read32(this.#base + 4 * i) >>> 0);
    return words;
  }

  write(words: readonly number[]): void {
    if (words.length > this.size) throw new RangeError(`a mailbox message has at most ${this.size} words, got ${words.length}`);
    words.forEach((word, i) => this.#regs.write32(this.#base + 4 * i, word >>> 0));
  }
}
