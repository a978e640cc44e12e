/**
 * The mailbox's statistics: the `MailboxCounters` type (Linux `struct ixgbe_mbx_stats`, reference §4.2,
 * plus the interrupt/timer wake-up counts this driver adds) and the all-zero starting value. The mailbox
 * layer owns the type; `src/vf/types.ts` re-exports it for the `VfApi` contract.
 */

export interface MailboxCounters {
  msgsTx: number;
  msgsRx: number;
  acks: number;
  reqs: number;
  rsts: number;
  /**
   * Every interrupt delivery on the mailbox's IrqSource while the mailbox is open (waiting or not; 0 in
   * poll mode). See irqWakeups for the ones that actually ended a wait.
   */
  interrupts: number;
  timeouts: number;
  /** Waits (lock, PFACK, reply) woken by an interrupt before the fallback timer fired. */
  irqWakeups: number;
  /** Waits woken by the timer (poll mode: every round; interrupt mode: the fallback). */
  timerWakeups: number;
}

/** Linux-style mailbox statistics (reference §4.2 `stats`): all zero. */
export function createCounters(): MailboxCounters {
  return { msgsTx: 0, msgsRx: 0, acks: 0, reqs: 0, rsts: 0, interrupts: 0, timeouts: 0, irqWakeups: 0, timerWakeups: 0 };
}
