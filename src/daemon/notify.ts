/**
 * systemd readiness (`Type=notify`, sd_notify(3)) for the daemon: `READY=1` once every VF's first
 * bring-up has ended (brought up, or failed and now waiting for the PF, or released), `STATUS=` with a
 * one-line summary whenever it changes, `STOPPING=1` when the daemon begins to stop — and nothing but
 * that after it (no READY=1 after STOPPING=1). A stop signal can come before the daemon has its
 * ServiceNotifier (while it starts: socket, metrics, VFs opening): notifyProcessStopping(), called where the
 * process takes its stop signals, says STOPPING=1 at once and keeps every notifier of the process from
 * saying more. The daemon's own notifier exists from the start of Daemon.start(), muted (nothing said)
 * until `started`, so a stop() while it starts says STOPPING=1 as well. The datagram itself goes through the native addon (src/native.ts sdNotify), which knows
 * nothing about ixgbe; without `$NOTIFY_SOCKET` every call is a no-op.
 */
import { sdNotify } from '../native.js';
import type { Logger } from './log.js';
import type { DaemonEvent } from './owned-types.js';
import type { OwnedVf } from './owned.js';

/** Sends one notification; false when there is no service manager to tell. */
export type NotifyFn = (message: string) => boolean;

/** Event types that end a VF's first bring-up: it is up, or it failed (and waits for the PF), or it is gone. */
export const SETTLING: ReadonlySet<DaemonEvent['type']> = new Set(['recovered', 'waiting-for-pf', 'recovery-failed', 'released']);

/** "2 VFs: 1 ready, 1 recovering, 0 failed; sim: ERR_PF_RESET_TIMEOUT": the STATUS= line. */
export function statusLine(vfs: readonly OwnedVf[], stopping = false): string {
  const count = (pred: (o: OwnedVf) => boolean): number => vfs.filter(pred).length;
  const ready = count((o) => o.state === 'ready');
  const recovering = count((o) => o.state === 'recovering' || (o.state === 'starting' && o.lastError !== null));
  const starting = count((o) => o.state === 'starting' && o.lastError === null);
  const failed = count((o) => o.state === 'released');
  const parts = [`${ready} ready`, `${recovering} recovering`, `${failed} failed`];
  if (starting > 0) parts.push(`${starting} starting`);
  const troubled = vfs.find((o) => o.state !== 'ready' && o.lastError !== null);
  const cause = troubled === undefined ? '' : `; ${troubled.id}: ${troubled.lastError!.code}`;
  return `${stopping ? 'stopping: ' : ''}${vfs.length} VF${vfs.length === 1 ? '' : 's'}: ${parts.join(', ')}${cause}`;
}

/** After a refused notification (the manager's queue full: EAGAIN), the next try of what is still unsent. */
export const NOTIFY_RETRY_MS = 100;

/** This process has begun to stop on a signal (notifyProcessStopping): its notifiers send no READY=1 or STATUS= after it. */
let processStopping = false;

/**
 * The process begins to stop on a signal, maybe before the daemon has a ServiceNotifier: STOPPING=1 to
 * the service manager now (once), and no READY=1 or STATUS= from any notifier of this process after it
 * (the daemon's own stopping() still sends `STOPPING=1` with its last STATUS=). A send that fails is left
 * to that stopping() (which logs it): a signal handler has nothing to report it to.
 */
export function notifyProcessStopping(notify: NotifyFn = (m) => sdNotify(m)): void {
  if (processStopping) return;
  processStopping = true;
  try {
    notify('STOPPING=1');
  } catch {
    // see above
  }
}

export class ServiceNotifier {
  readonly #settled = new Set<string>();
  #ready = false;
  #lastStatus: string | null = null;
  #failed = false;
  /** A retry of an unsent READY=1 / STATUS= (cleared by stopping()). */
  #retry: NodeJS.Timeout | null = null;
  /** stopping() was called: nothing more but its own datagram. */
  #stopping = false;
  /** Until unmute(): no READY=1, no STATUS=, events not counted; stopping() still speaks. */
  #muted: boolean;

  /**
   * `muted`: the daemon makes its notifier as start() begins, muted until `started` (unmute()), so that a
   * stop while it is still starting (stop() from code, `start failed`) says STOPPING=1 too.
   */
  constructor(
    private readonly vfs: () => readonly OwnedVf[],
    private readonly notify: NotifyFn,
    private readonly logger: Logger,
    options: { muted?: boolean } = {},
  ) {
    this.#muted = options.muted === true;
  }

  /** The daemon has started (every VF opened): READY=1 and STATUS= from now on (update() sends the first). */
  unmute(): void {
    this.#muted = false;
  }

  /** Feed every daemon event here. */
  onEvent(event: DaemonEvent): void {
    if (this.#muted) return;
    if (SETTLING.has(event.type)) this.#settled.add(event.vf);
    this.update();
  }

  /**
   * Sends READY=1 once every VF has settled, and STATUS= when the summary changed. Either counts as sent
   * only when the datagram went out: one the manager refused (its queue full during a busy start-up) is
   * tried again NOTIFY_RETRY_MS later, so READY=1 is never lost (systemd would kill a daemon that never
   * says it). Nothing once the daemon or the process has begun to stop: a VF that settles while the
   * daemon releases them must not make it claim readiness after STOPPING=1.
   */
  update(): void {
    if (this.#muted || this.#stopping || processStopping) return;
    const vfs = this.vfs();
    const status = statusLine(vfs);
    const lines: string[] = [];
    const readyNow = !this.#ready && vfs.every((o) => this.#settled.has(o.id) || o.state === 'released');
    if (readyNow) lines.push('READY=1');
    if (status !== this.#lastStatus) lines.push(`STATUS=${status}`);
    if (lines.length === 0) return;
    if (this.#send(lines.join('\n')) !== 'try-again') {
      if (readyNow) this.#ready = true;
      this.#lastStatus = status;
    } else {
      this.#retry ??= setTimeout(() => {
        this.#retry = null;
        this.update();
      }, NOTIFY_RETRY_MS);
    }
  }

  /** The daemon begins to stop (muted or not: also while it is still starting). Once: a second call sends nothing. */
  stopping(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#send(`STOPPING=1\nSTATUS=${statusLine(this.vfs(), true)}`);
  }

  /**
   * 'done' when sent (or there is no manager to tell, or its socket is gone for good: no retry could
   * help); 'try-again' when the manager's queue was full (EAGAIN, ENOBUFS: it drains).
   */
  #send(message: string): 'done' | 'try-again' {
    try {
      this.notify(message);
      return 'done';
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const transient = e.code === 'EAGAIN' || e.code === 'ENOBUFS';
      // A missing or full notify socket must never stop the daemon; said once.
      if (!this.#failed) {
        this.#failed = true;
        this.logger.log('warn', 'notify-failed', { error: e.message, code: e.code, socket: process.env['NOTIFY_SOCKET'], note: transient ? `the manager's queue is full: tried again every ${NOTIFY_RETRY_MS} ms until sent` : 'systemd readiness/status not sent' });
      }
      return transient ? 'try-again' : 'done';
    }
  }
}
