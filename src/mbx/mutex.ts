/**
 * A FIFO async mutex: one mailbox transaction at a time (reference §7.1, every ixgbevf transaction runs
 * under `mbx_lock`). Not re-entrant: code holding it must use the session it was given.
 *
 * The caller's function always starts in a later microtask, never inside run(), even when the lock is
 * free: the VF's interrupt handler takes the lock for its mailbox check, and that check must not run
 * inside the interrupt dispatch, in front of the other listeners (the waiting request's among them).
 */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();
  #held = false;
  #waiting = 0;

  get locked(): boolean {
    return this.#held;
  }

  /** Number of callers queued behind the current holder. */
  get waiting(): number {
    return this.#waiting;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#waiting += 1;
    return previous.then(async () => {
      this.#waiting -= 1;
      this.#held = true;
      try {
        return await fn();
      } finally {
        this.#held = false;
        release();
      }
    });
  }
}
