/**
 * The seam between the mailbox/VF protocol and whatever device sits underneath: a VFIO-mapped BAR0
 * (`vfio/`), or the simulated device (`sim/`). `mbx/` and `vf/` see nothing else.
 */

/** 32-bit register access at byte offsets into BAR0. */
export interface RegisterIo {
  read32(offset: number): number;
  write32(offset: number, value: number): void;
}

/**
 * Calls off a pending timer or interrupt subscription. Idempotent, and a no-op once it has fired: after
 * it returns, the callback it belongs to never runs and nothing of it stays registered.
 */
export type Cancel = () => void;

/**
 * Interrupts from the device (for a VF: its MSI-X vectors, all of them, since which vector the
 * mailbox cause lands on is not something to rely on under QEMU — see reference §10.4).
 */
export interface IrqSource {
  /** Calls `listener(count)` for every interrupt delivery; returns the function that unsubscribes. */
  on(listener: (count: number) => void): () => void;
  /**
   * Resolves with the interrupt count at the next delivery. When `signal` aborts first, resolves
   * with 0 and leaves nothing subscribed.
   */
  wait(signal?: AbortSignal): Promise<number>;
}

/** Time as the mailbox sees it; injected so every timeout path is testable with a manual clock. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms` milliseconds, or at once (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire()` once, `ms` milliseconds from now, unless the returned Cancel runs first; a cancelled
   * timer leaves nothing behind (a virtual clock does not advance for it). What the mailbox waits use:
   * no promise, AbortController or event listener per wait. Optional so a Clock written before it
   * still works: without it, waits use `sleep(ms, signal)` (see `timerOf`).
   */
  after?(ms: number, fire: () => void): Cancel;
  /**
   * A timer for a run of waits that one at a time arm it and mostly cancel it before it is due (see
   * ReusableTimer). Optional: without it, `reusableTimerOf` builds one from `after` / `sleep`.
   */
  reusableTimer?(): ReusableTimer;
}

/**
 * One timer for a run of waits, armed by one wait at a time: the mailbox's fallback timer, which the
 * PF's interrupt nearly always beats. `after` has Clock.after's contract (the Cancel is idempotent, and a
 * no-op once fired or once a later `after` has re-armed it); `dispose` clears whatever is scheduled (the
 * timer can still be armed again later), leaving an armed one to fire for its wait. Two waits that overlap
 * each get a timer: the second gets its own.
 */
export interface ReusableTimer {
  readonly after: (ms: number, fire: () => void) => Cancel;
  dispose(): void;
}

/** `clock.reusableTimer()` when the clock has it; otherwise a timer per `after` (timerOf) and nothing to dispose. */
export function reusableTimerOf(clock: Clock): ReusableTimer {
  if (typeof clock.reusableTimer === 'function') return clock.reusableTimer();
  return { after: timerOf(clock), dispose: () => undefined };
}

/**
 * `clock.after` when the clock has it; otherwise the same contract built on `sleep(ms, signal)` (one
 * AbortController per timer: the cost `after` exists to avoid).
 */
export function timerOf(clock: Clock): (ms: number, fire: () => void) => Cancel {
  if (typeof clock.after === 'function') return clock.after.bind(clock);
  return (ms, fire) => {
    const controller = new AbortController();
    void clock.sleep(ms, controller.signal).then(() => {
      if (!controller.signal.aborted) fire();
    });
    return () => controller.abort(CANCELLED);
  };
}

/**
 * The reason a fallback timer's AbortController is aborted with: `abort()` without one builds a
 * DOMException (with a captured stack); nobody reads it.
 */
const CANCELLED: unique symbol = Symbol('cancelled');

/**
 * Calls `listener(count)` at the next interrupt only, unless the returned Cancel runs first. Built on
 * `irqs.on()`, which every IrqSource has; also correct for a source that calls its listener inside `on()`.
 */
export function nextIrq(irqs: IrqSource, listener: (count: number) => void): Cancel {
  let fired = false;
  let off: (() => void) | undefined;
  const cancel = (): void => {
    fired = true;
    if (off !== undefined) {
      const o = off;
      off = undefined;
      o();
    }
  };
  const unsubscribe = irqs.on((count) => {
    if (fired) return;
    cancel();
    listener(count);
  });
  if (fired) unsubscribe();
  else off = unsubscribe;
  return cancel;
}

const clearTimer = (timer: ReturnType<typeof setTimeout>): Cancel => () => clearTimeout(timer);

/**
 * The real clock's ReusableTimer: one Node Timeout, re-armed with `refresh()`. Cancelling only disarms it
 * (the Timeout stays scheduled and does nothing when it comes due), so a wait round that the interrupt
 * ends costs no clearTimeout, and the next round no new Timeout, timer list or libuv timer update: Node's
 * timer bookkeeping was ~0.045 ms of an in-process set-MAC in the emulated rig (issue 15, BENCHMARKS.md).
 * A disarmed Timeout still holds the event loop until it comes due (at most one poll interval after the
 * last wait) unless `dispose` runs first: Mailbox.close() disposes it.
 */
class RefreshedTimeout implements ReusableTimer {
  #timeout: ReturnType<typeof setTimeout> | null = null;
  /** The delay #timeout was created with: refresh() re-arms it with that one. */
  #delay = 0;
  /** What the armed wait wants called; null when disarmed. */
  #fire: (() => void) | null = null;
  /** Counts arms: a Cancel disarms only its own. */
  #arms = 0;
  /** dispose() ran while a wait had the timer armed: cleared once that wait is over. */
  #disposed = false;

  readonly #due = (): void => {
    const fire = this.#fire;
    this.#fire = null;
    if (this.#disposed) this.#timeout = null; // fired: nothing left to clear
    fire?.();
  };

  readonly after = (ms: number, fire: () => void): Cancel => {
    // Armed by a wait still running: that wait keeps it, this one gets a timer of its own.
    if (this.#fire !== null) return clearTimer(setTimeout(fire, Math.max(0, ms)));
    const delay = Math.max(0, ms);
    this.#fire = fire;
    this.#disposed = false;
    const arm = ++this.#arms;
    if (this.#timeout !== null && this.#delay === delay) {
      this.#timeout.refresh();
    } else {
      if (this.#timeout !== null) clearTimeout(this.#timeout);
      this.#timeout = setTimeout(this.#due, delay);
      this.#delay = delay;
    }
    return () => {
      if (this.#arms !== arm || this.#fire === null) return;
      this.#fire = null;
      if (this.#disposed) this.#clear();
    };
  };

  /** Clears the Timeout now, or, while a wait has it armed, once that wait is over (a close must not strand a wait). */
  dispose(): void {
    this.#disposed = true;
    if (this.#fire === null) this.#clear();
  }

  #clear(): void {
    if (this.#timeout !== null) clearTimeout(this.#timeout);
    this.#timeout = null;
  }
}

/** The real clock: `performance.now()` and timers; an aborted sleep or a cancelled timer is cleared. */
export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  after: (ms: number, fire: () => void): Cancel => clearTimer(setTimeout(fire, Math.max(0, ms))),
  reusableTimer: (): ReusableTimer => new RefreshedTimeout(),
};

const nothing = (): void => undefined;

/** An IrqSource that never fires: used with `--poll` and for devices without interrupts. */
export const noIrqs: IrqSource = {
  on: () => nothing,
  wait: (signal?: AbortSignal) =>
    new Promise<number>((resolve) => {
      if (signal?.aborted) return resolve(0);
      signal?.addEventListener('abort', () => resolve(0), { once: true });
    }),
};

/**
 * A simple fan-out IrqSource that any producer (the simulator, the VFIO eventfd watchers, tests) can
 * drive with `fire(count)`.
 */
export class IrqEmitter implements IrqSource {
  readonly #listeners = new Set<(count: number) => void>();

  fire(count = 1): void {
    for (const listener of [...this.#listeners]) listener(count);
  }

  on(listener: (count: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  wait(signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve) => {
      if (signal?.aborted) return resolve(0);
      const onAbort = (): void => {
        off();
        resolve(0);
      };
      const off = this.on((count) => {
        off();
        signal?.removeEventListener('abort', onAbort);
        resolve(count);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
