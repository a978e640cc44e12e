/**
 * Deterministic fault injection for the simulated device (hardware model and PF policy). Every fault is
 * a counter or a one-shot set by the test and consumed by the model at a well-defined point, so a test
 * says exactly which access misbehaves. Nothing here uses randomness or wall-clock time.
 */

export type PingPlacement = 'before-reply' | 'after-reply';

export interface InjectedPing {
  /** Word the PF writes (e.g. 0x20000100 or 0x00000100), through its normal locked write (STS). */
  readonly word: number;
  readonly when: PingPlacement;
  /**
   * With 'before-reply': after the ping the PF's handler is held up until the VF has sent its next
   * message (VFREQ), then writes its reply: a reply later than anything the VF waits for it.
   */
  readonly replyAfterVfWrites?: boolean;
}

export class SimFaults {
  /**
   * The next `n` VF writes that ask for VFU find the PF holding PFU at that instant: VFU is not granted.
   * The PF keeps PFU until the VF's next read of its mailbox register (which therefore shows PFU set,
   * VFU clear), then lets go.
   */
  pfHoldsLockOnVfLock = 0;
  /** The next `n` PF lock attempts (write PFU, read back) fail as if the VF held VFU at that instant. */
  pfLockFailures = 0;
  /** The PF never answers: interrupts are taken but msg_task does nothing (VFREQ/VFACK stay set). */
  pfSilent = false;
  /** Pings the PF writes around its next replies, in order (one consumed per reply). */
  readonly pings: InjectedPing[] = [];
  /**
   * One-shot: after the PF has read (and ACKed) the next message, the PF goes through `interfaceDown`
   * (CTS lost, ping 0x100, PF hardware reset → RSTI) instead of answering; with `upAfterMs` it comes back
   * (`interfaceUp`) that many ms later on the injected clock.
   */
  resetMidTransaction: { upAfterMs?: number } | undefined;
  /** Extra delay (ms, injected clock) before the PF's msg_task runs after a doorbell. */
  replyLatencyMs = 0;

  /** A ping landing next to the next reply (PF writes `word` right before or right after it). */
  injectPing(word: number, when: PingPlacement = 'after-reply', opts: { replyAfterVfWrites?: boolean } = {}): void {
    this.pings.push({ word, when, ...(opts.replyAfterVfWrites === true ? { replyAfterVfWrites: true } : {}) });
  }

  /** @internal consumed by the hardware model. */
  takePfHoldsLock(): boolean {
    if (this.pfHoldsLockOnVfLock <= 0) return false;
    this.pfHoldsLockOnVfLock--;
    return true;
  }

  /** @internal consumed by the hardware model. */
  takePfLockFailure(): boolean {
    if (this.pfLockFailures <= 0) return false;
    this.pfLockFailures--;
    return true;
  }

  /** @internal consumed by the PF model. */
  takePing(): InjectedPing | undefined {
    return this.pings.shift();
  }

  /** @internal consumed by the PF model. */
  takeResetMidTransaction(): { upAfterMs?: number } | undefined {
    const r = this.resetMidTransaction;
    this.resetMidTransaction = undefined;
    return r;
  }

  /** Clears every pending fault. */
  clear(): void {
    this.pfHoldsLockOnVfLock = 0;
    this.pfLockFailures = 0;
    this.pfSilent = false;
    this.pings.length = 0;
    this.resetMidTransaction = undefined;
    this.replyLatencyMs = 0;
  }
}
