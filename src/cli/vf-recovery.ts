/**
 * Recovering a VF this command opened itself, for the CLI's long-running modes (`watch` without a daemon,
 * `--hold`): when the PF resets (the VF's `pf-reset` event: `ip link set <pf> down; … up`, a PF driver
 * reload, a link reset), reset + negotiate (`resetAndNegotiate`, the daemon's bring-up) and then apply
 * again what the command keeps (`--hold`: its operation).
 *
 * Driven by the PF's events, as the daemon's recovery (src/daemon/owned.ts), on the same pieces
 * (src/daemon/pf-signal.ts): an attempt that finds the PF still away sleeps on a `PfSignal` until the
 * PF's next event — the VF's `pf-reset`, `pf-message` or `link`, raised by the mailbox interrupt (armed
 * again after a reset that found the PF in reset: that reset masks it) or, with `--poll`, by this helper's
 * `checkPfEvents()` every second — and an event that came during an attempt is remembered, so the next
 * attempt runs at once. The fallback timer (doubling from `retryMinMs` to `retryMaxMs`) only covers an
 * event that never comes. `stop()` ends it at any time, also in the middle of an attempt (the caller then
 * closes the handle, which ends the attempt's mailbox wait at its next check).
 */
import { apiName } from '../hw/api.js';
import { DeviceGoneError, type IxgbevfError } from '../errors.js';
import { asIxgbevfError } from '../daemon/errors.js';
import { PfSignal, pfResetEnd, type WakeReason } from '../daemon/pf-signal.js';
import { isTransient } from '../daemon/reapply.js';
import type { VfHandle } from '../open/types.js';
import { resetAndNegotiate } from '../vf/bring-up.js';
import type { VfApi } from '../vf/types.js';
import { waitForAbort } from './vf-session.js';

/** The recovery's timers (tests make the fallback an hour long: only the PF's event can then wake it). */
export interface RecoveryTuning {
  /** Fallback re-check while waiting for the PF, ms, doubling up to retryMaxMs (default 1000 → 2000, as the daemon). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** `--poll`: how often the mailbox is looked at for the PF's events, ms (default 1000, as `watch --poll` always did). */
  pollIntervalMs?: number;
}

export interface RecoveryOptions<T> extends RecoveryTuning {
  /** `--poll`: no mailbox interrupt; this helper polls for the PF's events. */
  poll: boolean;
  /** What the command keeps, applied again once the VF is up (`--hold`: its operation). */
  reapply?: (vf: VfApi) => Promise<T>;
}

/** A recovery that ended with the VF up again. */
export interface RecoveredVf<T> {
  /** The API negotiated again. */
  api: string;
  /** Attempts this recovery took (1: the first one, right at the PF's reset, worked). */
  attempts: number;
  /** What woke the attempt that worked: the PF's event, the fallback timer; null for the first attempt. */
  wokenBy: WakeReason | null;
  /** The re-applied operation's result (null without one, or when the PF refused it). */
  value: T | null;
  /** The PF refused the re-applied operation (NACK and the like): the VF is up again without it. */
  refused: unknown;
}

/** Where the recovery reports; nothing is reported once `stop()` ran. */
export interface RecoveryReport<T> {
  /** A recovery begins (once per recovery: a reset seen while one runs belongs to it). */
  pfReset(reason: string): void;
  /**
   * An attempt failed (once per distinct error code in a recovery): `transient` when the PF is away
   * (in reset, not answering), routine until it comes back. `err` as thrown (for explainError).
   */
  attemptFailed(err: unknown, e: IxgbevfError, transient: boolean): void;
  recovered(outcome: RecoveredVf<T>): void;
  /** The device is gone (removed): nothing more to recover; the command should end. */
  gone(e: IxgbevfError): void;
}

const DEFAULT_RETRY_MIN_MS = 1000;
const DEFAULT_RETRY_MAX_MS = 2000;
const DEFAULT_POLL_INTERVAL_MS = 1000;

export class VfRecovery<T = void> {
  readonly #stop = new AbortController();
  /** Aborted once the device is gone (after report.gone): nothing more to keep. */
  readonly #gone = new AbortController();
  readonly #pf: PfSignal;
  readonly #unsubscribe: (() => void)[] = [];
  #running: Promise<void> | null = null;
  /** A PF reset came while a recovery ran: go round once more before reporting it done. */
  #again = false;
  /** Our own reset runs: its RSTD is no PF reset. */
  #inReset = false;
  /** An attempt runs (no poll in between: the daemon's poll waits for its bring-up too). */
  #attempting = false;
  #polling = false;

  constructor(
    private readonly handle: VfHandle,
    private readonly opts: RecoveryOptions<T>,
    private readonly report: RecoveryReport<T>,
  ) {
    this.#pf = new PfSignal(this.#stop.signal);
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Starts listening for the PF's events (and polling with `--poll`); a VF that already needs a reset is recovered now. */
  start(): this {
    const vf = this.handle.vf;
    const onReset = (reason: string): void => {
      if (this.#inReset) return; // our own reset's RSTD
      this.#pf.notify();
      this.recover(reason);
    };
    const onEvent = (): void => this.#pf.notify();
    vf.on('pf-reset', onReset).on('pf-message', onEvent).on('link', onEvent);
    this.#unsubscribe.push(() => vf.off('pf-reset', onReset).off('pf-message', onEvent).off('link', onEvent));
    if (this.opts.poll) {
      const timer = setInterval(() => this.#poll(), this.opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
      this.#unsubscribe.push(() => clearInterval(timer));
    }
    if (vf.needsReset) this.recover('the VF needs a reset (the PF reset it or took clear-to-send away)');
    return this;
  }

  /** Recovers the VF now unless a recovery runs (then that one goes round once more). */
  recover(reason: string): void {
    if (this.#stopped) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.report.pfReset(reason);
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
  }

  /**
   * Stops: no more attempts, waits or reports; the PF's events are no longer listened to. An attempt in
   * flight ends when the caller closes the handle (its mailbox wait fails at the next check); `settled`
   * resolves then.
   */
  stop(): void {
    this.#stop.abort();
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Resolves once no recovery runs (after stop() and the handle's close: at once). */
  get settled(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  #poll(): void {
    if (this.#stopped || this.#attempting || this.#polling) return;
    this.#polling = true;
    let check: Promise<unknown>;
    try {
      check = this.handle.vf.checkPfEvents();
    } catch {
      check = Promise.resolve(); // closed: stop() comes next
    }
    // A failing check (device removed, PF not answering) surfaces on the next attempt.
    void check.catch(() => undefined).finally(() => {
      this.#polling = false;
    });
  }

  async #loop(): Promise<void> {
    const vf = this.handle.vf;
    const max = this.opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
    let delay = Math.min(this.opts.retryMinMs ?? DEFAULT_RETRY_MIN_MS, max);
    let lastCode: string | null = null;
    let attempts = 0;
    let woken: WakeReason | null = null;
    for (;;) {
      if (this.#stopped) return;
      this.#again = false;
      this.#pf.reset();
      attempts += 1;
      let value: T | null = null;
      let refused: unknown = null;
      this.#attempting = true;
      try {
        await this.#bringUp(vf);
        if (this.#stopped) return;
        if (this.opts.reapply !== undefined) {
          try {
            value = await this.opts.reapply(vf);
          } catch (err) {
            if (isTransient(err) || err instanceof DeviceGoneError) throw err;
            refused = err;
          }
        }
      } catch (err) {
        if (this.#stopped) return;
        const e = asIxgbevfError(err);
        if (err instanceof DeviceGoneError) {
          this.report.gone(e);
          this.#gone.abort();
          return;
        }
        if (e.code !== lastCode) {
          lastCode = e.code;
          this.report.attemptFailed(err, e, isTransient(err));
        }
        this.#attempting = false;
        woken = await this.#pf.wait(delay, pfResetEnd(e, vf));
        if (woken === 'fallback') delay = Math.min(max, delay * 2);
        continue;
      } finally {
        this.#attempting = false;
      }
      if (this.#stopped) return;
      if (this.#again) continue;
      this.report.recovered({ api: apiName(vf.api), attempts, wokenBy: woken, value, refused });
      return;
    }
  }

  /**
   * Keeps the VF for the command (`watch`, `--hold`): runs the recovery until `signal` aborts (Ctrl-C), the
   * device is gone (after report.gone) or the kernel asks for it back (`onReleaseRequested` is told first);
   * then stops, releases the VF (which ends an attempt in flight) and waits for the recovery to settle.
   */
  async keep(signal: AbortSignal, onReleaseRequested: () => void): Promise<void> {
    const done = new AbortController();
    const end = (): void => done.abort();
    const offRelease = this.handle.onReleaseRequested(() => {
      onReleaseRequested();
      end();
    });
    const endings = [signal, this.#gone.signal];
    for (const s of endings) s.addEventListener('abort', end, { once: true });
    if (endings.some((s) => s.aborted)) end();
    this.start();
    try {
      await waitForAbort(done.signal);
    } finally {
      // Stop recovering first, then release the VF (which ends an attempt in flight), then let it settle.
      this.stop();
      for (const s of endings) s.removeEventListener('abort', end);
      offRelease();
      await this.handle.close();
      await this.settled;
    }
  }

  /** reset → negotiate (a reset that finds the PF still in reset arms the mailbox interrupt itself: src/vf/reset.ts). */
  async #bringUp(vf: VfApi): Promise<void> {
    this.#inReset = true;
    try {
      await resetAndNegotiate(vf);
    } finally {
      this.#inReset = false;
    }
  }
}
