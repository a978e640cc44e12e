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
 * its timers (the VirtualClock), without the deadline ever coming closer. So after
 * MAX_IRQ_WAKEUPS_WITHOUT_TIMER interrupt wakeups in a row the next round sleeps on the timer alone.
 */
import { nextIrq, noIrqs, timerOf, type Cancel, type Clock, type IrqSource } from '../io.js';

/** Interrupt wakeups in a row after which one round waits for the timer only (see above). */
export const MAX_IRQ_WAKEUPS_WITHOUT_TIMER = 32;

export interface WaitOptions {
  readonly clock: Clock;
  readonly irqs: IrqSource;
  readonly pollIntervalMs: number;
  /**
   * When set, each round's timer doubles from `pollIntervalMs` up to this: a wait for something slow (a
   * PF's own reset, hundreds of ms) checks less often the longer it lasts, instead of every 0.5 ms.
   */
  readonly maxPollIntervalMs?: number;
  /**
   * The round timer (a ReusableTimer's `after`, shared by the waits of one mailbox, which never overlap);
   * without it, each wait takes `timerOf(clock)`.
   */
  readonly timer?: Timer;
  /** Called once per round that was ended by an interrupt (`true`) or by the timer (`false`). */
  readonly onWakeup?: (byInterrupt: boolean) => void;
}

/** A clock's one-shot timer (io.ts timerOf). */
type Timer = (ms: number, fire: () => void) => Cancel;

/**
 * One round: resolves true at the next interrupt, false when the `ms` timer fires, whichever comes
 * first; the other one is cancelled before the promise settles, so nothing of the round stays behind
 * (no timer, no listener). One promise per round, no AbortController (they were ~20% of a set-MAC's CPU).
 */
function nextWakeup(timer: Timer, irqs: IrqSource | null, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let cancelIrq: Cancel | undefined;
    let cancelTimer: Cancel | undefined;
    let woken = false;
    if (irqs !== null) {
      cancelIrq = nextIrq(irqs, () => {
        woken = true;
        cancelTimer?.();
        resolve(true);
      });
      if (woken) return; // the source delivered inside on(): no timer needed
    }
    const fire = (): void => {
      cancelIrq?.();
      resolve(false);
    };
    cancelTimer = timer(ms, fire);
  });
}

/** What waitUntil returns when the condition already holds: no async frame, no new promise. */
const HELD: Promise<boolean> = Promise.resolve(true);

/**
 * Resolves true as soon as `check()` returns true, false once `deadline` (clock time) has passed with a
 * final check still false. Errors thrown by `check` (device removed, reset seen) reject the promise
 * (never thrown synchronously). A condition that holds at once costs no promise of its own.
 */
export function waitUntil(check: () => boolean, deadline: number, opts: WaitOptions): Promise<boolean> {
  if (!Number.isFinite(opts.pollIntervalMs) || opts.pollIntervalMs <= 0) {
    return Promise.reject(new RangeError(`pollIntervalMs must be a positive number of ms, got ${opts.pollIntervalMs}`));
  }
  try {
    if (check()) return HELD;
  } catch (err) {
    return Promise.reject(err);
  }
  return waitRounds(check, deadline, opts);
}

/** waitUntil once the first check failed: rounds of nextWakeup until the check holds or the deadline. */
async function waitRounds(check: () => boolean, deadline: number, opts: WaitOptions): Promise<boolean> {
  const irqs = opts.irqs === noIrqs ? null : opts.irqs;
  const timer = opts.timer ?? timerOf(opts.clock); // once per wait, not per round
  let irqStreak = 0;
  let interval = opts.pollIntervalMs;
  const maxInterval = Math.max(opts.pollIntervalMs, opts.maxPollIntervalMs ?? opts.pollIntervalMs);
  for (;;) {
    const remaining = deadline - opts.clock.now();
    if (remaining <= 0) return false;
    const ms = Math.min(interval, remaining);
    interval = Math.min(interval * 2, maxInterval);
    let byInterrupt: boolean;
    if (irqStreak >= MAX_IRQ_WAKEUPS_WITHOUT_TIMER) {
      irqStreak = 0;
      byInterrupt = await nextWakeup(timer, null, ms);
    } else {
      byInterrupt = await nextWakeup(timer, irqs, ms);
      irqStreak = byInterrupt ? irqStreak + 1 : 0;
    }
    opts.onWakeup?.(byInterrupt);
    if (check()) return true;
  }
}
