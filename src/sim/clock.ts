/**
 * Virtual time for tests and the simulator: `sleep(ms)` yields one macrotask (so the simulated PF and
 * other callbacks get to run) and then moves the clock forward by `ms`. Timeout paths of a second or more
 * run in milliseconds of real time, deterministically, with no timing assertions needed.
 */
import type { Clock } from '../io.js';

export class VirtualClock implements Clock {
  #now = 0;

  now(): number {
    return this.#now;
  }

  /** Moves time forward without waiting (for a test that wants "2 s later"). */
  advance(ms: number): void {
    this.#now += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = (): void => {
        clearImmediate(handle);
        resolve();
      };
      const handle = setImmediate(() => {
        signal?.removeEventListener('abort', onAbort);
        this.#now += Math.max(0, ms);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
