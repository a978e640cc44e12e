/**
 * Waiting without spinning: check, and if the condition does not hold, await the next interrupt or a
 * short timer, whichever comes first, until a deadline (reference §11.2; anchors §0 #7).
 *
 * The poll interval matters only when no interrupt arrives: with interrupts it is a safety net against a
 * lost edge (the check runs before we subscribe), in poll mode it is the latency. The default is the
 * Linux udelay of 500 µs (MBX_POLL_DELAY_US); Node's timers round that up to ~1 ms, which is fine: the
 * whole budget (MBX_TIMEOUT_MS, 1 s) is deadline-based, not iteration-based.
 */
import type { Clock, IrqSource } from '../io.js';

export interface WaitOptions {
  readonly clock: Clock;
  readonly irqs: IrqSource;
  readonly pollIntervalMs: number;
}

/**
 * Resolves true as soon as `check()` returns true, false once `deadline` (clock time) has passed with a
 * final check still false. Errors thrown by `check` (device removed, reset seen) propagate.
 */
export async function waitUntil(check: () => boolean, deadline: number, opts: WaitOptions): Promise<boolean> {
  for (;;) {
    if (check()) return true;
    const remaining = deadline - opts.clock.now();
    if (remaining <= 0) return false;
    const controller = new AbortController();
    try {
      await Promise.race([
        opts.clock.sleep(Math.min(opts.pollIntervalMs, remaining), controller.signal),
        opts.irqs.wait(controller.signal),
      ]);
    } finally {
      controller.abort();
    }
  }
}
