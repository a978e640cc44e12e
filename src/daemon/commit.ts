/**
 * Coalesced, serialised commits of one VF's desired state: at most one write runs at a time; states
 * submitted while it runs collapse into the newest one (last accepted state wins), written next. A
 * submitter learns `true` once its state or a later one is durable, `false` when the write that covered
 * its state failed (the file then still holds an earlier complete state).
 */

export type Writer<T> = (value: T) => Promise<void>;

interface Waiter {
  version: number;
  resolve(persisted: boolean): void;
}

export class CoalescingCommitter<T> {
  #submitted = 0;
  #durable = 0;
  #pending: { version: number; value: T } | null = null;
  #running: Promise<void> = Promise.resolve();
  #active = false;
  readonly #waiters: Waiter[] = [];

  constructor(private readonly write: Writer<T>) {}

  /** Version of the newest state known to be on disk (0: none written by this committer). */
  get durableVersion(): number {
    return this.#durable;
  }

  /** Queues `value` as the newest state; resolves with whether it (or a later state) was made durable. */
  submit(value: T): Promise<boolean> {
    const version = ++this.#submitted;
    this.#pending = { version, value };
    const settled = new Promise<boolean>((resolve) => this.#waiters.push({ version, resolve }));
    if (!this.#active) {
      this.#active = true;
      this.#running = this.#drain();
    }
    return settled;
  }

  /** Resolves when no write runs and none is pending. */
  async idle(): Promise<void> {
    while (this.#active) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== null) {
        const { version, value } = this.#pending;
        this.#pending = null;
        let ok: boolean;
        try {
          await this.write(value);
          ok = true;
          this.#durable = version;
        } catch {
          ok = false;
        }
        this.#settle(version, ok);
      }
    } finally {
      // In the same turn as the last look at #pending: a later submit() starts a new drain.
      this.#active = false;
    }
  }

  #settle(upTo: number, persisted: boolean): void {
    let kept = 0;
    for (const w of this.#waiters) {
      if (w.version <= upTo) w.resolve(persisted);
      else this.#waiters[kept++] = w;
    }
    this.#waiters.length = kept;
  }
}
