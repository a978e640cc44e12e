/**
 * "Wait for the PF": the recovery loop's sleep, ended by the PF's next event (the VF's `pf-reset`,
 * `pf-message` or `link`, raised by the mailbox interrupt or the poll loop), by a fallback timer, or by
 * the VF being closed. An event that arrives while no wait runs is remembered, so the next wait returns
 * at once and no signal is lost between two attempts.
 */
export type WakeReason = 'pf-event' | 'fallback' | 'closed';

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

  /** Sleeps until the PF signals, `fallbackMs` pass, or the VF is closed. */
  wait(fallbackMs: number): Promise<WakeReason> {
    if (this.#signalled) return Promise.resolve('pf-event');
    const closed = this.closed;
    if (closed.aborted) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const finish = (how: WakeReason): void => {
        clearTimeout(timer);
        closed.removeEventListener('abort', onClosed);
        this.#wake = null;
        resolve(how);
      };
      const onClosed = (): void => finish('closed');
      const timer = setTimeout(() => finish('fallback'), fallbackMs);
      this.#wake = () => finish('pf-event');
      closed.addEventListener('abort', onClosed, { once: true });
    });
  }
}
