/**
 * The mailbox's contracts: what a Mailbox is built from (`MailboxOptions`: registers, family, interrupts,
 * clock, budgets, and the callbacks for unsolicited PF words and "reset required"), what one request may
 * ask (`RequestOptions`), and what code holding the mailbox may do (`MailboxSession`). Types only; the
 * implementation is mailbox.ts.
 */
import type { FamilyDescriptor } from '../hw/family.js';
import type { Clock, IrqSource, RegisterIo } from '../io.js';
import type { MailboxOps } from './ops.js';
import type { MailboxTraceHook } from './trace.js';

export interface MailboxOptions {
  readonly regs: RegisterIo;
  /**
   * Offsets come from the family (ixgbe VFMAILBOX 0x2FC / VFMBMEM 0x200, igb 0xC40 / 0x800), and so does
   * the transaction policy (PFACK wait, sticky timeouts); without one, current ixgbevf's.
   */
  readonly family: Pick<FamilyDescriptor, 'regs'> & Partial<Pick<FamilyDescriptor, 'mailboxPolicy'>>;
  /**
   * Interrupts that end a wait early; `noIrqs` (the default) in poll mode. Every delivery is counted.
   * A real source puts the mailbox in interrupt mode (longer default fallback timer, see pollIntervalMs).
   */
  readonly irqs?: IrqSource;
  readonly clock?: Clock;
  /** Budget of one wait (lock, PFACK, reply), ms. Default MBX_TIMEOUT_MS (2000 × 500 µs). */
  readonly timeoutMs?: number;
  /**
   * Timer interval between checks while waiting, ms. Default: poll mode 0.5 (Node rounds to ~1 ms);
   * interrupt mode MBX_IRQ_FALLBACK_POLL_MS (10), a safety net against a lost interrupt.
   */
  readonly pollIntervalMs?: number;
  readonly onTrace?: MailboxTraceHook;
  /** Every unsolicited PF word the mailbox consumed (pings, bare NACKs, stray replies). */
  readonly onUnsolicited?: (word: number) => void;
  /** The PF said "reset required" (RSTI/RSTD, ping without CTS, bare NACK, reply without CTS). */
  readonly onResetRequired?: (reason: string) => void;
}

export interface RequestOptions {
  /** Sleep this long after the request before polling for the reply (ixgbevf does 10 ms for VF_RESET; we use none, docs/protocol.md §10 #16). */
  readonly replyDelayMs?: number;
}

/** What code holding the mailbox (via `exclusive`) may do. Valid only inside the callback. */
export interface MailboxSession {
  readonly ops: MailboxOps;
  /** A request/reply transaction (see Mailbox.writeMsgReadAck). */
  writeMsgReadAck(words: readonly number[], replyWords: number, opts?: RequestOptions): Promise<number[]>;
  /**
   * If PFSTS shows, reads the PF's message (`count` words, ACKed) and handles it as unsolicited
   * (callbacks, "needs reset" for a ping without CTS or a bare NACK). Returns the words, or null.
   */
  readPending(count?: number): Promise<number[] | null>;
  /** check_for_rst: RSTI or RSTD shows (RSTD consumed). */
  checkForRst(): boolean;
  /**
   * One read of VFMAILBOX: the register with the read-to-clear bits seen so far (folded into the shadow,
   * so a later checkForRst / readPending still sees them). Consumes nothing.
   */
  readStatus(): number;
  /** Timer-only wait for `check` (no state change, no timeout counted); the pause between checks doubles up to VF_RESET_RSTI_MAX_POLL_MS (it waits for the PF, which is slow). False when the budget ran out. */
  waitUntil(check: () => boolean, budgetMs: number): Promise<boolean>;
}
