/**
 * One VF held by the daemon: its handle, its desired state, the serialised mailbox queue, and the
 * recovery loop (reset → negotiate → re-apply) that runs after every PF reset or CTS loss. Recovery is
 * driven by the PF's events (the mailbox interrupt: RSTD, a PF ping; in poll mode the poll loop's
 * checkPfEvents): while the PF is away the loop sleeps until the PF signals, and a timer is only the
 * fallback for a signal that never comes.
 */
import { apiName } from '../hw/api.js';
import { DeviceGoneError, ExitCode, MailboxTimeoutError, ResetRequiredError, type IxgbevfError } from '../errors.js';
import type { VfHandle } from '../open/types.js';
import { resetAndNegotiate } from '../vf/bring-up.js';
import type { LinkInfo, VfApi } from '../vf/types.js';
import { CoalescingCommitter } from './commit.js';
import { asIxgbevfError, DaemonError } from './errors.js';
import { explainError } from './explain.js';
import type { ChangeOutcome, DaemonEvent, OwnedContext, OwnedState, Revision } from './owned-types.js';
import { PfSignal, pfResetEnd, type WakeReason } from './pf-signal.js';
import { applyDesired, type ApplyFailure, type DesiredKey } from './reapply.js';
import { reportAttemptFailed, reportRecovered, type RecoveryReportTarget } from './recovery-report.js';
import { cloneState, type DesiredState, type StateProblem } from './state.js';
import { timeoutOrResetRequired } from './timeout.js';

export class OwnedVf {
  state: OwnedState = 'starting';
  desired: DesiredState;
  lastError: IxgbevfError | null = null;
  lastFailures: ApplyFailure[] = [];
  recoveries = 0;
  releaseReason: string | null = null;
  /** The state file found at start that was set aside (corrupt or untrusted), shown in `status`. */
  stateProblem: StateProblem | null = null;
  /** Word 0 of every PF→VF message while an operation runs (the PF's answers). */
  #replies: number[] | null = null;
  #chain: Promise<unknown> = Promise.resolve();
  #recovering: Promise<void> | null = null;
  #again = false;
  #inReset = false;
  /** PF resets seen so far (the VF's `pf-reset` events). */
  #pfResets = 0;
  /** #pfResets when the last bring-up that succeeded began: that bring-up covers every reset up to it. */
  #upAfterReset = -1;
  /** The PF's events, which end the recovery loop's waits. */
  readonly #pf: PfSignal;
  readonly #abort = new AbortController();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #committer: CoalescingCommitter<Revision> | null;
  /** Why the last save failed (null once one succeeds): what a client whose change was not persisted is told. */
  #saveError: IxgbevfError | null = null;
  /** Accepted changes so far (continues the loaded file's count): the `revision` of the newest state. */
  revision = 0;

  constructor(
    readonly handle: VfHandle,
    desired: DesiredState,
    private readonly ctx: OwnedContext,
  ) {
    this.desired = cloneState(desired);
    this.#pf = new PfSignal(this.#abort.signal);
    const save = ctx.save;
    this.#committer =
      save === null
        ? null
        : new CoalescingCommitter<Revision>((r) =>
            save(this.id, r.desired, r.revision).then(
              () => {
                this.#saveError = null;
              },
              (err: unknown) => {
                const e = asIxgbevfError(err);
                this.#saveError = e;
                this.ctx.logger.log('error', 'state-save-failed', { vf: this.id, code: e.code, error: e.message, fix: e.hint });
                throw err;
              },
            ),
          );
    const vf = handle.vf;
    const onReset = (reason: string): void => {
      if (this.#inReset) return; // our own reset's RSTD
      this.#pfResets += 1;
      this.#event('pf-reset', { reason });
      // Routine (a PF down/up, a PF driver reload): info, not a warning.
      this.ctx.logger.log('info', 'pf-reset', { vf: this.id, reason });
      this.#pf.notify();
      this.startRecovery(`PF reset: ${reason}`);
    };
    const onLink = (link: LinkInfo): void => {
      this.#event('link', { up: link.up, speedMbps: link.speedMbps });
      this.ctx.logger.log('info', 'link', { vf: this.id, up: link.up, speedMbps: link.speedMbps });
      this.#pf.notify();
    };
    const onMessage = (word: number): void => {
      this.#event('pf-message', { word: `0x${(word >>> 0).toString(16).padStart(8, '0')}` });
      this.#pf.notify();
    };
    vf.on('pf-reset', onReset).on('link', onLink).on('pf-message', onMessage);
    this.#unsubscribe.push(
      () => vf.off('pf-reset', onReset),
      () => vf.off('link', onLink),
      () => vf.off('pf-message', onMessage),
    );
    this.#unsubscribe.push(handle.onReleaseRequested(() => void this.release('the kernel asked for the device back (unbind or sriov_numvfs change)')));
  }

  get id(): string {
    return this.handle.id;
  }

  /** Called by the daemon's trace hook for every mailbox message of this VF. */
  traced(direction: 'vf-to-pf' | 'pf-to-vf', words: readonly number[]): void {
    if (direction === 'pf-to-vf' && this.#replies !== null && words.length > 0) this.#replies.push(words[0]! >>> 0);
  }

  #event(type: DaemonEvent['type'], fields: Record<string, unknown> = {}): void {
    this.ctx.emit({ type, vf: this.id, time: new Date().toISOString(), ...fields });
  }

  /** Where the recovery loop reports (recovery-report.ts). */
  get #report(): RecoveryReportTarget {
    return { vf: this.id, logger: this.ctx.logger, event: (type, fields) => this.#event(type, fields), retryMinMs: this.ctx.retryMinMs, retryMaxMs: this.ctx.retryMaxMs };
  }

  /** Runs `fn` with the mailbox to itself (one transaction at a time, as Linux's mbx_lock). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** reset → negotiate (resetAndNegotiate, as every bring-up) → apply the desired state in Linux's order. Call inside exclusive(). */
  async bringUp(): Promise<ApplyFailure[]> {
    const vf = this.handle.vf;
    const resetsSeen = this.#pfResets;
    // Until this one succeeds, no bring-up covers the VF as it is now (a failed one leaves it reset, unconfigured).
    this.#upAfterReset = -1;
    this.#inReset = true;
    try {
      // A reset that finds the PF still in reset arms the mailbox interrupt itself (src/vf/reset.ts), so
      // the PF's return raises the event the recovery loop waits for.
      await resetAndNegotiate(vf);
    } finally {
      this.#inReset = false;
    }
    const failures = await this.#apply(vf);
    this.#upAfterReset = resetsSeen;
    return failures;
  }

  /**
   * A bring-up that began after the last PF reset seen succeeded, and the mailbox needs no reset: the VF is
   * up with its desired state. A client request in flight when the PF reset brings the VF up itself (its
   * reset-required retry); the recovery loop that the reset started then has nothing left to do, and a
   * second VF reset would only drop the filters just re-applied.
   */
  #upToDate(): boolean {
    return this.#upAfterReset === this.#pfResets && !this.handle.vf.needsReset;
  }

  async #apply(vf: VfApi): Promise<ApplyFailure[]> {
    const failures = await applyDesired(vf, this.desired);
    this.lastFailures = failures;
    for (const f of failures) {
      this.ctx.logger.log('warn', 'reapply-failed', { vf: this.id, item: f.item, code: f.code, error: f.message });
      this.#event('reapply-failed', { item: f.item, code: f.code, message: f.message });
    }
    return failures;
  }

  /** First bring-up at daemon start; failures turn into the recovery loop. */
  start(): Promise<void> {
    this.startRecovery('start');
    return this.#recovering ?? Promise.resolve();
  }

  /** Starts the recovery loop unless it runs already (then it goes round once more). */
  startRecovery(reason: string): void {
    if (this.state === 'released' || this.#abort.signal.aborted) return;
    if (this.#recovering !== null) {
      this.#again = true;
      return;
    }
    this.#recovering = this.#recover(reason).finally(() => {
      this.#recovering = null;
    });
  }

  async #recover(reason: string): Promise<void> {
    const first = this.state === 'starting';
    this.state = first ? 'starting' : 'recovering';
    const began = performance.now();
    if (!first) {
      this.ctx.logger.log('info', 'recovering', { vf: this.id, reason });
      this.#event('recovering', { reason });
    }
    let delay = this.ctx.retryMinMs;
    let lastCode: string | null = null;
    let attempts = 0;
    let woken: WakeReason | null = null;
    let wokeAt = 0;
    for (;;) {
      if (this.#abort.signal.aborted || (this.state as OwnedState) === 'released') return;
      this.#again = false;
      this.#pf.reset();
      attempts += 1;
      try {
        const failures = await this.exclusive(() => (!first && this.#upToDate() ? Promise.resolve(this.lastFailures) : this.bringUp()));
        if (this.#again) continue;
        this.state = 'ready';
        this.lastError = null;
        if (!first) this.recoveries += 1;
        const now = performance.now();
        reportRecovered(this.#report, {
          first,
          api: apiName(this.handle.vf.api),
          attempts,
          inMs: Math.round(now - began),
          wokenBy: woken,
          afterPfSignalMs: woken === 'pf-event' || woken === 'pf-reset-done' ? Math.round(now - wokeAt) : undefined,
          mac: this.handle.vf.lastReset?.permanentMac ?? undefined,
          failures,
        });
        return;
      } catch (err) {
        if (err instanceof DeviceGoneError) {
          await this.release(`device gone: ${err.message}`);
          return;
        }
        // Worded for this VF's PF, with a command as the fix, as the direct path words it (explain.ts).
        const e = asIxgbevfError(explainError(err, this.handle, 'reset'));
        this.lastError = e;
        if (e.code !== lastCode) {
          lastCode = e.code;
          reportAttemptFailed(this.#report, err, e);
        }
        woken = await this.#pf.wait(delay, pfResetEnd(e, this.handle.vf));
        wokeAt = performance.now();
        if (woken === 'fallback') delay = Math.min(this.ctx.retryMaxMs, delay * 2);
      }
    }
  }

  #unusable(): IxgbevfError | null {
    if (this.state === 'released') {
      return new DeviceGoneError('ERR_RELEASED', `${this.id} was released by the daemon: ${this.releaseReason ?? 'released'}`, {
        hint: `ixgbevf doctor ${this.id}`,
      });
    }
    return null;
  }

  /** Waits (bounded) for a running bring-up/recovery; throws its last error if the VF is still not ready. */
  async #whenReady(): Promise<void> {
    const gone = this.#unusable();
    if (gone !== null) throw gone;
    if (this.state === 'ready' || this.#recovering === null) return;
    const recovering = this.#recovering;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([recovering, new Promise<void>((r) => (timer = setTimeout(r, this.ctx.requestWaitMs)))]);
    clearTimeout(timer);
    const again = this.#unusable();
    if (again !== null) throw again;
    if ((this.state as OwnedState) !== 'ready') {
      const last = this.lastError;
      throw new DaemonError(
        last?.code ?? 'ERR_RECOVERING',
        `${this.id} is being reset by the daemon and is not ready${last === null ? '' : `: ${last.message}`}`,
        last?.exitCode ?? ExitCode.pfNotAnswering,
        { hint: last?.hint ?? `ixgbevf watch ${this.id}` },
      );
    }
  }

  /**
   * Runs one mailbox operation for a client. A reset-required answer triggers bring-up (which re-applies the
   * desired state) and one retry. Returns the operation's result and the PF's reply words.
   */
  async request<T>(fn: (vf: VfApi) => Promise<T>): Promise<{ value: T; replies: number[] }> {
    const { value, replies } = await this.#request(fn, null);
    return { value, replies };
  }

  /**
   * A state-changing operation: runs `fn` like request(), and when the PF accepted, applies `change` to
   * the desired state in the same mailbox turn (so the desired state follows the PF's order of
   * acceptance) and commits it. `persisted`: that state, or a later one, is durable on disk.
   */
  async change<T>(fn: (vf: VfApi) => Promise<T>, change: (d: DesiredState) => void, settles: DesiredKey): Promise<ChangeOutcome<T>> {
    return this.#request(fn, { change, settles });
  }

  async #request<T>(fn: (vf: VfApi) => Promise<T>, mutation: { change: (d: DesiredState) => void; settles: DesiredKey } | null): Promise<ChangeOutcome<T>> {
    await this.#whenReady();
    let committed: Promise<boolean> = Promise.resolve(false);
    let accepted: Revision | null = null;
    const done = await this.#exchange(fn, (value, replies) => {
      if (mutation !== null) {
        committed = this.#commit(mutation.change);
        accepted = { revision: this.revision, desired: cloneState(this.desired) };
        // The PF took this entry now: a refusal of it at the last re-apply no longer holds (status'
        // notApplied, the ixgbevf_vf_applied gauge). In the same mailbox turn, so a re-apply that runs
        // later and fails again is not wiped.
        if (this.lastFailures.length > 0) this.lastFailures = this.lastFailures.filter((f) => f.key !== mutation.settles);
      }
      return { value, replies };
    });
    const persisted = await committed;
    // With a state dir, a change not persisted is one whose save failed: say why (without one, nothing is saved by design).
    const saveError = !persisted && this.#committer !== null ? this.#saveError : null;
    return { ...done, persisted, saveError, accepted };
  }

  async #exchange<T, R>(fn: (vf: VfApi) => Promise<T>, accepted: (value: T, replies: number[]) => R): Promise<R> {
    return this.exclusive(async () => {
      const gone = this.#unusable();
      if (gone !== null) throw gone;
      try {
        return await this.#exchangeTurn(fn, accepted);
      } catch (err) {
        // The daemon let the VF go while this request waited for the PF (a stop, the kernel's request): the
        // handle's close ended the wait with the VF layer's ERR_CLOSED, whose hint (openVf) means nothing to
        // a client. Say what happened, as to a request that came a moment later (ERR_RELEASED, docs/daemon.md §3).
        throw err instanceof DeviceGoneError && err.code === 'ERR_CLOSED' ? (this.#unusable() ?? err) : err;
      }
    });
  }

  /** One client request's mailbox turn (inside exclusive()): `fn`, and after a reset-required answer a bring-up and one retry. */
  async #exchangeTurn<T, R>(fn: (vf: VfApi) => Promise<T>, accepted: (value: T, replies: number[]) => R): Promise<R> {
    const vf = this.handle.vf;
    const replies: number[] = [];
    this.#replies = replies;
    try {
      try {
        if (vf.needsReset) throw new ResetRequiredError('the mailbox needs a reset');
        return accepted(await fn(vf), replies);
      } catch (caught) {
        let err = caught;
        if (err instanceof MailboxTimeoutError) err = await timeoutOrResetRequired(vf, err);
        if (!(err instanceof ResetRequiredError)) throw err;
        this.ctx.logger.log('info', 'reset-required', { vf: this.id, reason: err.message });
        try {
          await this.bringUp();
        } catch (bringUpError) {
          if (bringUpError instanceof DeviceGoneError) void this.release(`device gone: ${bringUpError.message}`);
          else queueMicrotask(() => this.startRecovery(`reset required: ${err.message}`));
          throw bringUpError;
        }
        // With a recovery loop under way (the PF's reset event started it), the loop reports the recovery,
        // once, with its attempts and times; reported here too, a watcher saw two `recovered` for one reset.
        if (this.#recovering === null) {
          this.ctx.logger.log('info', 'recovered', { vf: this.id, api: apiName(vf.api), reason: 'reset required' });
          this.#event('recovered', { api: apiName(vf.api), reason: 'reset required' });
        }
        replies.length = 0;
        return accepted(await fn(vf), replies);
      }
    } finally {
      this.#replies = null;
    }
  }

  /** Changes the desired state and queues it for the disk; resolves with whether it (or a later state) is durable. */
  #commit(change: (d: DesiredState) => void): Promise<boolean> {
    const next = cloneState(this.desired);
    change(next);
    this.desired = next;
    this.revision += 1;
    return this.#committer === null ? Promise.resolve(false) : this.#committer.submit({ revision: this.revision, desired: cloneState(next) });
  }

  /** Resolves when every queued state write has finished (daemon shutdown). */
  async flushState(): Promise<void> {
    await this.#committer?.idle();
  }

  /** Lets the VF go now (kernel request, device gone). Keeps the desired state on disk. */
  async release(reason: string): Promise<void> {
    if (this.state === 'released') return;
    this.state = 'released';
    this.releaseReason = reason;
    this.#abort.abort();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.ctx.logger.log('warn', 'released', { vf: this.id, reason });
    this.#event('released', { reason });
    try {
      await this.handle.close();
    } catch (err) {
      this.ctx.logger.log('warn', 'close-failed', { vf: this.id, error: (err as Error).message });
    }
  }

  /** Daemon shutdown: stop recovering, close the handle. */
  async close(): Promise<void> {
    this.#abort.abort();
    for (const off of this.#unsubscribe.splice(0)) off();
    if (this.state === 'released') return;
    this.state = 'released';
    this.releaseReason = 'daemon stopped';
    await this.handle.close();
  }

  /** Poll mode: look at the mailbox for PF messages (the interrupt does this otherwise). */
  async poll(): Promise<void> {
    if (this.state === 'released') return;
    const vf = this.handle.vf;
    await this.exclusive(async () => {
      await vf.checkPfEvents();
    });
  }
}
