/**
 * A FIFO async mutex: one mailbox transaction at a time (reference §7.1, every ixgbevf transaction runs
 * under `mbx_lock`). Not re-entrant: code holding it must use the session it was given.
 *
 * The lock is handed from one holder straight to the next queued caller, so it never looks free while
 * someone waits. A free mutex runs the caller's function at once (no promise chain to queue behind):
 * every set-MAC takes it, and a free lock is the common case.
 */
export class AsyncMutex {
  #held = false;
  readonly #queue: (() => void)[] = [];

  get locked(): boolean {
    return this.#held;
  }

  /** Number of callers queued behind the current holder. */
  get waiting(): number {
    return this.#queue.length;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.#held) {
      this.#held = true;
      return this.#holding(fn);
    }
    return new Promise<void>((resolve) => this.#queue.push(resolve)).then(() => this.#holding(fn));
  }

  /** Runs `fn` with the lock held (already taken or handed over), then passes the lock on. */
  async #holding<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next === undefined) this.#held = false;
      else next();
    }
  }
}
