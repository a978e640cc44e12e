/**
 * Waiting without spinning: check, and if the condition does not hold, await the next interrupt or a
 * short timer, whichever comes first, until a deadline (reference §11.2; anchors §0 #7).
 *
 * The poll interval matters only when no interrupt arrives: with interrupts it is a safety net against a
 * lost edge (the check runs before we subscribe), in poll mode it is the latency. In poll mode the
 * default is the Linux udelay of 500 µs (MBX_POLL_DELAY_US); Node's timers round that up to ~1 ms, which
 * is fine: the whole budget (MBX_TIMEOUT_MS, 1 s) is deadline-based, not iteration-based. With interrupts
 * the Mailbox defaults to MBX_IRQ_FALLBACK_POLL_MS (see src/hw/mailbox.ts).
 *
 * Every round that does not end the wait awaits a timer or an interrupt — never nothing. An interrupt
 * storm (an IrqSource firing at every turn, or a PF answering each of our ACKs at once) could otherwise
 * keep a wait alive without ever letting the timers phase run, and, on a clock that advances only in
 * sleep() (the VirtualClock), without the deadline ever coming closer. So after
 * MAX_IRQ_WAKEUPS_WITHOUT_TIMER interrupt wakeups in a row the next round sleeps on the timer alone.
 */
import type { Clock, IrqSource } from '../io.js';

/** Interrupt wakeups in a row after which one round waits for the timer only (see above). */
export const MAX_IRQ_WAKEUPS_WITHOUT_TIMER = 32;

/**
 * The reason each round's AbortController is aborted with. `abort()` without a reason builds a
 * DOMException (with a captured stack) per wait; a constant costs nothing, and nobody reads it: the
 * clock's sleep and the IrqSource's wait only resolve early on abort.
 */
const WAIT_OVER: unique symbol = Symbol('mailbox wait over');

export interface WaitOptions {
  readonly clock: Clock;
  readonly irqs: IrqSource;
  readonly pollIntervalMs: number;
  /** Called once per round that was ended by an interrupt (`true`) or by the timer (`false`). */
  readonly onWakeup?: (byInterrupt: boolean) => void;
}

/**
 * Resolves true as soon as `check()` returns true, false once `deadline` (clock time) has passed with a
 * final check still false. Errors thrown by `check` (device removed, reset seen) propagate.
 */
export async function waitUntil(check: () => boolean, deadline: number, opts: WaitOptions): Promise<boolean> {
  if (!Number.isFinite(opts.pollIntervalMs) || opts.pollIntervalMs <= 0) {
    throw new RangeError(`pollIntervalMs must be a positive number of ms, got ${opts.pollIntervalMs}`);
  }
  let irqStreak = 0;
  for (;;) {
    if (check()) return true;
    const remaining = deadline - opts.clock.now();
    if (remaining <= 0) return false;
    const ms = Math.min(opts.pollIntervalMs, remaining);
    if (irqStreak >= MAX_IRQ_WAKEUPS_WITHOUT_TIMER) {
      irqStreak = 0;
      await opts.clock.sleep(ms);
      opts.onWakeup?.(false);
      continue;
    }
    const controller = new AbortController();
    let woken: 'timer' | 'irq';
    try {
      woken = await Promise.race([
        opts.clock.sleep(ms, controller.signal).then(() => 'timer' as const),
        opts.irqs.wait(controller.signal).then(() => 'irq' as const),
      ]);
    } finally {
      controller.abort(WAIT_OVER);
    }
    const byInterrupt = woken === 'irq';
    irqStreak = byInterrupt ? irqStreak + 1 : 0;
    opts.onWakeup?.(byInterrupt);
  }
}
