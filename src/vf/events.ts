/**
 * The VF's typed events (`VfEvents`: pf-message, pf-reset, link) over a Node EventEmitter. Events are
 * delivered on a microtask: never inside a mailbox transaction, and a throwing listener cannot break one.
 */
import { EventEmitter } from 'node:events';
import type { VfEvents } from './types.js';

export class VfEventSource {
  readonly #events = new EventEmitter();

  on<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this {
    this.#events.on(event, listener);
    return this;
  }

  off<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this {
    this.#events.off(event, listener);
    return this;
  }

  once<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this {
    this.#events.once(event, listener);
    return this;
  }

  /** Emits on the next microtask. */
  protected emitLater<E extends keyof VfEvents>(event: E, ...args: Parameters<VfEvents[E]>): void {
    queueMicrotask(() => this.#events.emit(event, ...args));
  }

  /** Emits now (for answers that already arrived asynchronously). */
  protected emitNow<E extends keyof VfEvents>(event: E, ...args: Parameters<VfEvents[E]>): void {
    this.#events.emit(event, ...args);
  }
}
