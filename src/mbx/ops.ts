/**
 * The mailbox ops table, shaped like Linux `ixgbevf/mbx.c` (reference §4): the same operation names,
 * two tables (`legacyOps`, `lockedOps`), each operating on a `MailboxPort`.
 *
 * Return conventions differ from C on purpose: the `checkFor*` predicates return true when the bit is
 * there (Linux returns 0 = "found"), and failures throw typed errors instead of returning codes.
 */
import type { MailboxCounters } from './counters.js';
import type { MailboxControl, MailboxMemory } from './shadow.js';
import type { MailboxTraceHook } from './trace.js';

/** What a wait was for; ends up in MailboxTimeoutError.details.phase. */
export type WaitPhase = 'lock' | 'pf-ack' | 'pf-message';

/** Everything an op touches: the shadowed control register, the shared memory, counters, waits. */
export interface MailboxPort {
  readonly control: MailboxControl;
  readonly memory: MailboxMemory;
  readonly counters: MailboxCounters;
  readonly trace: MailboxTraceHook | undefined;
  /** Current clock time (ms). */
  now(): number;
  /** Default budget for one wait (ms), MBX_TIMEOUT_MS unless configured. */
  readonly timeoutMs: number;
  /**
   * Waits until `check()` holds; throws MailboxTimeoutError (and counts a timeout) once `deadline`
   * passes. The port may run extra checks on every iteration (the mailbox aborts a wait when the PF
   * resets mid-transaction).
   */
  poll(check: () => boolean, phase: WaitPhase, deadline: number): Promise<void>;
}

export type MailboxDiscipline = 'legacy' | 'locked';

export interface MailboxOps {
  readonly name: MailboxDiscipline;
  /** `write` itself returns only once the PF has taken the message (PFACK): the locked discipline. */
  readonly writeAwaitsPfAck: boolean;
  /** PFSTS shows (a PF message is waiting). Does not consume it: reading the message does. */
  checkForMsg(port: MailboxPort): boolean;
  /** PFACK shows; consumes it when it does. */
  checkForAck(port: MailboxPort): boolean;
  /** RSTI or RSTD shows; consumes RSTD when it does. */
  checkForRst(port: MailboxPort): boolean;
  /** Takes VFU (write, confirm by reading back), retrying until `deadline`. */
  obtainLock(port: MailboxPort, deadline: number): Promise<void>;
  /** Releases VFU (legacy: nothing to do, REQ/ACK writes already released it). */
  releaseLock(port: MailboxPort): void;
  /**
   * Writes a message and rings REQ. Legacy: returns without waiting for PFACK, as current ixgbevf's
   * ixgbevf_write_mbx_vf_legacy (the transaction then polls for the reply). Locked: holds VFU until PFACK.
   */
  write(port: MailboxPort, words: readonly number[], deadline: number): Promise<void>;
  /** Copies `count` words of the PF's message and acknowledges it (ACK). */
  read(port: MailboxPort, count: number, deadline: number): Promise<number[]>;
  /** write, then wait for PFACK (the PF has taken the message): igbvf's write_posted; used when the family's policy says so. */
  writePosted(port: MailboxPort, words: readonly number[], deadline: number): Promise<void>;
  /** Wait for PFSTS, then read. */
  readPosted(port: MailboxPort, count: number, deadline: number): Promise<number[]>;
}
