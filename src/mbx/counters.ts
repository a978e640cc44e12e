import type { MailboxCounters } from '../vf/types.js';

/** Linux-style mailbox statistics (reference §4.2 `stats`): all zero. */
export function createCounters(): MailboxCounters {
  return { msgsTx: 0, msgsRx: 0, acks: 0, reqs: 0, rsts: 0, interrupts: 0, timeouts: 0, irqWakeups: 0, timerWakeups: 0 };
}
