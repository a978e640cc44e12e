/**
 * Virtual time for tests and the simulator: `sleep(ms)` (and a timer from `after(ms, fire)`) yields one
 * macrotask (so the simulated PF and other callbacks get to run) and then moves the clock forward by
 * `ms`. Timeout paths of a second or more run in milliseconds of real time, deterministically, with no
 * timing assertions needed. A sleep that is aborted, or a timer that is cancelled, before its macrotask
 * runs never moves the clock.
 */
import type { Cancel, Clock } from '../io.js';

export class VirtualClock implements Clock {
  #now = 0;
  #pending = 0;

  now(): number {
    return this.#now;
  }

  /** Moves time forward without waiting (for a test that wants "2 s later"). */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** Sleeps and timers scheduled and not yet fired or cancelled (tests check that waits leave none). */
  get pendingTimers(): number {
    return this.#pending;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => {
        cancel();
        resolve();
      };
      const cancel = this.after(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  after(ms: number, fire: () => void): Cancel {
    this.#pending += 1;
    let handle: ReturnType<typeof setImmediate> | undefined = setImmediate(() => {
      handle = undefined;
      this.#pending -= 1;
      this.#now += Math.max(0, ms);
      fire();
    });
    return () => {
      if (handle === undefined) return;
      clearImmediate(handle);
      handle = undefined;
      this.#pending -= 1;
    };
  }
}
