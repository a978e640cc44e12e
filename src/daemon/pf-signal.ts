/**
 * "Wait for the PF": the recovery loop's sleep, ended by the PF's next event (the VF's `pf-reset`,
 * `pf-message` or `link`, raised by the mailbox interrupt or the poll loop), by a fallback timer, or by
 * the VF being closed. An event that arrives while no wait runs is remembered, so the next wait returns
 * at once and no signal is lost between two attempts. While the PF holds the VF in reset, the wait also
 * reads VFMAILBOX every PF_RESET_END_CHECK_MS for the end of that reset, which raises no interrupt.
 */
import { PF_RESET_END_CHECK_MS } from '../hw/mailbox.js';
import type { VfApi } from '../vf/types.js';

export type WakeReason = 'pf-event' | 'pf-reset-done' | 'fallback' | 'closed';

/**
 * PfSignal.wait's `resetEnd` after an attempt that failed with `failure`: when the PF held `vf` in reset
 * (ERR_PF_IN_RESET), the check that it no longer does; else none.
 */
export function pfResetEnd(failure: { code: string }, vf: Pick<VfApi, 'isPfHoldingReset'>): { hasEnded: () => Promise<boolean>; everyMs: number } | undefined {
  if (failure.code !== 'ERR_PF_IN_RESET') return undefined;
  return { hasEnded: async () => !(await vf.isPfHoldingReset()), everyMs: PF_RESET_END_CHECK_MS };
}

export class PfSignal {
  #signalled = false;
  #wake: (() => void) | null = null;

  constructor(private readonly closed: AbortSignal) {}

  /** A PF event: ends the running wait, or makes the next one return at once. */
  notify(): void {
    this.#signalled = true;
    this.#wake?.();
  }

  /** Forgets earlier events (call when an attempt begins: it sees the PF as it is now). */
  reset(): void {
    this.#signalled = false;
  }

  /**
   * Sleeps until the PF signals, `fallbackMs` pass, or the VF is closed. With `resetEnd` (the last attempt
   * found the PF holding the VF in reset), also until `resetEnd.hasEnded()` says the PF's reset is over,
   * asked every `resetEnd.everyMs`: the PF's reset-done raises no VF interrupt (PF_RESET_END_CHECK_MS).
   */
  wait(fallbackMs: number, resetEnd?: { hasEnded: () => Promise<boolean>; everyMs: number }): Promise<WakeReason> {
    if (this.#signalled) return Promise.resolve('pf-event');
    const closed = this.closed;
    if (closed.aborted) return Promise.resolve('closed');
    return new Promise((resolve) => {
      let done = false;
      let check: NodeJS.Timeout | undefined;
      const finish = (how: WakeReason): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(check);
        closed.removeEventListener('abort', onClosed);
        this.#wake = null;
        resolve(how);
      };
      const onClosed = (): void => finish('closed');
      const timer = setTimeout(() => finish('fallback'), fallbackMs);
      this.#wake = () => finish('pf-event');
      closed.addEventListener('abort', onClosed, { once: true });
      if (resetEnd !== undefined) {
        const ask = (): void => {
          check = setTimeout(() => {
            resetEnd.hasEnded().then(
              (ended) => (ended ? finish('pf-reset-done') : done || ask()),
              () => done || ask(), // closed or gone: the next attempt reports it
            );
          }, resetEnd.everyMs);
        };
        ask();
      }
    });
  }
}
