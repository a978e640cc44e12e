/**
 * What every simulated PF shares: the PF-side mailbox primitives done through the PF register view
 * only (reference §6.1, e1000_mbx.c), the interrupt → msg_task scheduling, serialisation (the Linux
 * PFs hold `vfs_lock` around msg_task and the admin paths), and the observable logs.
 */
import type { Clock } from '../io.js';
import type { PfMailboxRegisterMap } from '../hw/family.js';
import { MsgFlag, MSG_ID_MASK, PfMbxBit } from '../hw/mailbox.js';
import { MsgId } from '../hw/messages.js';
import type { InjectedPing, SimFaults } from './faults.js';
import type { MailboxHardware } from './mailbox-hw.js';

export type PfMessageResult = 'ACK' | 'NACK' | 'dropped' | 'ignored' | 'silent';

/** One handled VF message, like a line of the PF's dmesg plus what it answered. */
export interface PfLogEntry {
  readonly vf: number;
  /** Word 0 as read from the mailbox (0 when the read itself failed). */
  readonly word0: number;
  readonly id: number;
  /**
   * ACK / NACK: replied. dropped: the PF could not read it (lock) or its reply was lost.
   * ignored: word 0 had ACK/NACK set. silent: igb not-CTS silence window.
   */
  readonly result: PfMessageResult;
  readonly reason?: string;
  /** The words the PF wrote back (empty when none). */
  readonly reply: readonly number[];
}

/** One PF → VF mailbox write (reply or ping), and whether it reached the mailbox. */
export interface PfSentEntry {
  readonly vf: number;
  readonly words: readonly number[];
  readonly kind: 'reply' | 'ping' | 'nack';
  readonly delivered: boolean;
}

export interface SimPfBaseOptions {
  clock: Clock;
  /** Run msg_task by itself after a doorbell (default true). With false, use `runPending()`. */
  autoRun?: boolean;
  /** Entries `log`, `sent` and `dmesg` each keep, the newest (default DEFAULT_SIM_HISTORY; Infinity = all). */
  historyLimit?: number;
}

/**
 * How many entries of `log`, `sent` and `dmesg` a simulated PF keeps by default: the newest, older ones
 * are dropped. A PF that lives as long as a daemon (every `sim:` VF the daemon owns is one) would
 * otherwise grow by a few entries at every reset and set-MAC, for ever.
 */
export const DEFAULT_SIM_HISTORY = 32;

/**
 * The words as unsigned 32-bit values: the caller's array itself when they are already (the PF builds
 * every reply fresh and never changes it afterwards, so `sent` and `log` share one copy), else a copy.
 */
function asU32Words(words: readonly number[]): readonly number[] {
  return words.every((w) => w === w >>> 0) ? words : words.map((w) => w >>> 0);
}

/** Appends `entry`, dropping the oldest entries beyond `limit`. */
function keepNewest<T>(list: T[], entry: T, limit: number): void {
  list.push(entry);
  if (list.length > limit) list.splice(0, list.length - limit);
}

export abstract class SimPfBase {
  readonly hw: MailboxHardware;
  readonly clock: Clock;
  readonly faults: SimFaults;
  /** Handled messages, PF → VF writes and dmesg lines: the newest `historyLimit` of each. */
  readonly log: PfLogEntry[] = [];
  readonly sent: PfSentEntry[] = [];
  readonly dmesg: string[] = [];
  readonly historyLimit: number;
  autoRun: boolean;
  /** PF interrupts taken (doorbells). */
  interrupts = 0;
  /** The PF netdev is administratively up (msg_task runs only then: the Linux PF masks its IRQs when down). */
  up = true;

  protected readonly map: PfMailboxRegisterMap;
  #pending = false;
  #running: Promise<void> | undefined;
  #mutex: Promise<void> = Promise.resolve();

  constructor(hw: MailboxHardware, opts: SimPfBaseOptions) {
    this.hw = hw;
    this.clock = opts.clock;
    this.faults = hw.faults;
    this.autoRun = opts.autoRun ?? true;
    const limit = opts.historyLimit ?? DEFAULT_SIM_HISTORY;
    if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) throw new RangeError(`historyLimit must be an integer >= 1 or Infinity, not ${limit}`);
    this.historyLimit = limit;
    this.map = hw.pfMap;
    hw.onPfInterrupt(() => this.#onInterrupt());
  }

  get vfCount(): number {
    return this.hw.vfCount;
  }

  // ------------------------------------------------------------------------------------------------
  // scheduling

  #onInterrupt(): void {
    this.interrupts++;
    this.#pending = true;
    if (this.autoRun) this.#kick();
  }

  #kick(): void {
    if (this.#running !== undefined) return;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
      if (this.#pending && this.autoRun) this.#kick();
    });
  }

  async #loop(): Promise<void> {
    while (this.#pending) {
      const latency = this.faults.replyLatencyMs;
      if (latency > 0) await this.clock.sleep(latency);
      else await new Promise<void>((resolve) => setImmediate(resolve));
      this.#pending = false;
      await this.#taskOnce();
    }
  }

  async #taskOnce(): Promise<void> {
    if (this.faults.pfSilent || !this.up) return;
    await this.serialize(() => this.msgTask());
  }

  /** Whether a doorbell is waiting for msg_task. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Manual mode: runs msg_task once if a doorbell is pending; resolves true if it ran. */
  async runPending(): Promise<boolean> {
    if (!this.#pending) return false;
    this.#pending = false;
    await this.#taskOnce();
    return true;
  }

  /** Runs msg_task now, pending doorbell or not (the PF also polls from other interrupt paths). */
  async runMsgTask(): Promise<void> {
    this.#pending = false;
    await this.#taskOnce();
  }

  /** Resolves when no msg_task is scheduled or running (auto mode) and every admin action finished. */
  async idle(): Promise<void> {
    for (;;) {
      const mutex = this.#mutex;
      await mutex;
      const running = this.#running;
      if (running !== undefined) {
        await running;
        continue;
      }
      if (this.#pending && this.autoRun) {
        this.#kick();
        continue;
      }
      if (mutex !== this.#mutex) continue;
      return;
    }
  }

  /** Runs `fn` under the PF's `vfs_lock` (one msg_task or admin action at a time). */
  protected serialize<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#mutex.then(() => fn());
    this.#mutex = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  protected abstract msgTask(): Promise<void>;

  // ------------------------------------------------------------------------------------------------
  // PF mailbox primitives, through the PF register view only

  protected mailboxOffset(vf: number): number {
    return this.map.mailboxBase + this.map.mailboxStride * vf;
  }

  protected memoryOffset(vf: number, word: number): number {
    return this.map.memoryBase + this.map.memoryStride * vf + 4 * word;
  }

  /** One lock attempt: write exactly PFU, read back (§6.1). */
  protected tryLockOnce(vf: number): boolean {
    const regs = this.hw.pfRegs;
    regs.write32(this.mailboxOffset(vf), PfMbxBit.PFU);
    return (regs.read32(this.mailboxOffset(vf)) & PfMbxBit.PFU) !== 0;
  }

  protected abstract obtainLock(vf: number): Promise<boolean>;

  /** The PF's interface going down (`ixgbe_down` / `igb_down`), already inside serialize(). */
  protected abstract down(): Promise<void>;
  /** `ip link set <pf> up`. */
  abstract interfaceUp(): Promise<void>;

  /**
   * Fault injection: a PF reset between reading a VF message and answering it. The message is lost, the
   * interface goes down, and (when asked) comes back up `upAfterMs` later. True when it happened.
   */
  protected async injectedResetMidTransaction(vf: number, word0: number): Promise<boolean> {
    const fault = this.faults.takeResetMidTransaction();
    if (fault === undefined) return false;
    this.record({ vf, word0, id: this.idOf(word0), result: 'dropped', reason: 'PF reset in the middle of the transaction (injected)', reply: [] });
    await this.down();
    if (fault.upAfterMs !== undefined) void this.clock.sleep(fault.upAfterMs).then(() => this.interfaceUp());
    return true;
  }

  /** The PF's state of VF `index` (each dialect has its own shape; CTS is common). */
  abstract vf(index?: number): { cts: boolean };

  /** Watchdog link change: ping every VF (0x20000100 to CTS VFs, 0x100 to the others), CTS unchanged (§6.6). */
  setLinkUp(linkUp: boolean): Promise<void> {
    return this.serialize(async () => {
      if (this.hw.linkUp === linkUp) return;
      this.hw.linkUp = linkUp;
      if (this.up) await this.pingAll();
    });
  }

  protected async pingAll(): Promise<void> {
    for (let vf = 0; vf < this.vfCount; vf++) await this.ping(vf, this.pingWord(this.vf(vf).cts));
  }

  #mbvficrBit(vf: number, shift: number): { offset: number; bit: number } {
    const per = this.map.vfsPerMbvficr;
    return { offset: this.map.mbvficrBase + 4 * Math.floor(vf / per), bit: (1 << (shift + (vf % per))) >>> 0 };
  }

  /** VFREQ (shift 0) or VFACK of `vf` is set; nothing cleared. */
  #hasMbvficr(vf: number, shift: number): boolean {
    const { offset, bit } = this.#mbvficrBit(vf, shift);
    return (this.hw.pfRegs.read32(offset) & bit) !== 0;
  }

  #checkMbvficr(vf: number, shift: number): boolean {
    if (!this.#hasMbvficr(vf, shift)) return false;
    const { offset, bit } = this.#mbvficrBit(vf, shift);
    this.hw.pfRegs.write32(offset, bit);
    return true;
  }

  /** check_for_msg: VFREQ set → W1C it, true. */
  protected checkForMsg(vf: number): boolean {
    return this.#checkMbvficr(vf, 0);
  }

  /** check_for_ack: VFACK set → W1C it, true. */
  protected checkForAck(vf: number): boolean {
    return this.#checkMbvficr(vf, this.map.vfackShift);
  }

  /** Register the PF reads for VFLR events of this VF (82599: VFLRE; X540+: VFLREC; igb: VFLRE). */
  protected vflreReadOffset(vf: number): number {
    return this.map.vflrecBase + 4 * Math.floor(vf / 32);
  }

  /** check_for_rst: VFLRE bit set → W1C it at VFLREC, true. */
  protected checkForRst(vf: number): boolean {
    const regs = this.hw.pfRegs;
    const bit = (1 << (vf % 32)) >>> 0;
    if ((regs.read32(this.vflreReadOffset(vf)) & bit) === 0) return false;
    regs.write32(this.map.vflrecBase + 4 * Math.floor(vf / 32), bit);
    return true;
  }

  /**
   * read_mbx: lock, copy `n` words, write ACK (releasing PFU) or ACK|PFU when `keepLock` (igb).
   * Returns undefined when the lock failed (the message is lost: VFREQ was already cleared).
   */
  protected async readMbx(vf: number, n: number, keepLock = false): Promise<Uint32Array | undefined> {
    if (!(await this.obtainLock(vf))) return undefined;
    const regs = this.hw.pfRegs;
    const words = new Uint32Array(n);
    for (let i = 0; i < n; i++) words[i] = regs.read32(this.memoryOffset(vf, i));
    regs.write32(this.mailboxOffset(vf), keepLock ? PfMbxBit.ACK | PfMbxBit.PFU : PfMbxBit.ACK);
    return words;
  }

  /**
   * write_mbx: lock (failure → the message is silently lost), flush pending VFREQ/VFACK, copy, write
   * exactly STS (which releases PFU and interrupts the VF).
   */
  protected async writeMbx(vf: number, words: readonly number[], kind: PfSentEntry['kind']): Promise<boolean> {
    const locked = await this.obtainLock(vf);
    if (!locked) {
      keepNewest(this.sent, { vf, words: asU32Words(words), kind, delivered: false }, this.historyLimit);
      this.note(`VF ${vf}: mailbox write lost (lock held by the VF)`);
      return false;
    }
    this.checkForMsg(vf);
    this.checkForAck(vf);
    const regs = this.hw.pfRegs;
    words.forEach((w, i) => regs.write32(this.memoryOffset(vf, i), w >>> 0));
    regs.write32(this.mailboxOffset(vf), PfMbxBit.STS);
    keepNewest(this.sent, { vf, words: asU32Words(words), kind, delivered: true }, this.historyLimit);
    return true;
  }

  /** igb `unlock`: drop PFU if held (read, clear PFU, write back). */
  protected releaseLock(vf: number): void {
    const regs = this.hw.pfRegs;
    const v = regs.read32(this.mailboxOffset(vf));
    if (v & PfMbxBit.PFU) regs.write32(this.mailboxOffset(vf), v & ~PfMbxBit.PFU);
  }

  /** Zero the VF's mailbox memory through PFMBMEM (no lock, as `ixgbe_vf_clear_mbx`). */
  protected clearMailboxMemory(vf: number, words: number): void {
    for (let i = 0; i < words; i++) this.hw.pfRegs.write32(this.memoryOffset(vf, i), 0);
  }

  /** A PF_CONTROL_MSG ping word, with CTS when `cts`. */
  protected pingWord(cts: boolean): number {
    return (MsgId.PF_CONTROL_MSG | (cts ? MsgFlag.CTS : 0)) >>> 0;
  }

  protected async ping(vf: number, word: number): Promise<void> {
    await this.writeMbx(vf, [word], 'ping');
  }

  protected record(entry: PfLogEntry): void {
    keepNewest(this.log, entry, this.historyLimit);
    if (entry.reason !== undefined) this.note(`VF ${entry.vf}: ${entry.reason}`);
  }

  /** A line of the PF's dmesg. */
  protected note(line: string): void {
    keepNewest(this.dmesg, line, this.historyLimit);
  }

  protected idOf(word0: number): number {
    return word0 & MSG_ID_MASK;
  }

  /** Writes a reply to the VF, with any injected pings around it (faults); false when it was lost. */
  protected async reply(vf: number, words: readonly number[]): Promise<boolean> {
    const before = await this.injectedPing(vf, 'before-reply');
    if (before?.replyAfterVfWrites === true) {
      while (!this.#hasMbvficr(vf, 0)) await this.clock.sleep(1);
    }
    const delivered = await this.writeMbx(vf, words, 'reply');
    await this.injectedPing(vf, 'after-reply');
    return delivered;
  }

  /** Replies to the VF's message `word0` and logs the outcome (ACK/NACK from the reply, or dropped). */
  protected async answer(vf: number, word0: number, reply: number[], reason?: string): Promise<void> {
    const delivered = await this.reply(vf, reply);
    const acked = ((reply[0] ?? 0) & MsgFlag.ACK) !== 0;
    this.record({
      vf,
      word0,
      id: this.idOf(word0),
      result: delivered ? (acked ? 'ACK' : 'NACK') : 'dropped',
      ...(reason === undefined ? {} : { reason }),
      reply,
    });
  }

  /** Injected pings around a reply (faults): the ping written, if one was due here. */
  protected async injectedPing(vf: number, when: 'before-reply' | 'after-reply'): Promise<InjectedPing | undefined> {
    const next = this.faults.pings[0];
    if (next === undefined || next.when !== when) return undefined;
    this.faults.takePing();
    await this.ping(vf, next.word);
    return next;
  }

  /** Hardware PF reset: RSTI in every VF, mailbox state lost (§3.3), done through PF CTRL.RST. */
  protected hardwareReset(): void {
    this.hw.pfRegs.write32(this.map.ctrl, this.map.ctrlReset);
  }

  /** CTRL_EXT.PFRSTD: RSTI clear, RSTD set in every VF. */
  protected resetDone(): void {
    const regs = this.hw.pfRegs;
    regs.write32(this.map.ctrlExt, regs.read32(this.map.ctrlExt) | this.map.pfrstd);
  }
}
