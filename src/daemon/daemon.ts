/**
 * `ixgbevf daemon`: owns VFs for as long as it runs. This file owns the daemon's life and wiring: start
 * (the socket first, then metrics, then each VF opened with its initial state and brought up), the audit
 * log of every state change and the NACK explanations on the replies, the poll loop, and stop(), which
 * writes the pending state and lets every VF go. The answers to requests are in requests.ts, one owned
 * VF's queue and recovery in owned.ts, the socket in server.ts.
 */
import { EventEmitter } from 'node:events';
import { InvalidArgumentError, EnvironmentError } from '../errors.js';
import type { OpenOptions, VfHandle } from '../open/types.js';
import { sdNotify } from '../native.js';
import type { ConfiguredState } from './config.js';
import { asIxgbevfError } from './errors.js';
import { explainError } from './explain.js';
import { explainSaveError } from './save-error.js';
import { heapCompactor, HeapSettler } from './heap-settle.js';
import { initialState } from './initial-state.js';
import type { Logger } from './log.js';
import type { DaemonMetrics } from './metrics.js';
import { MetricsServer, parseMetricsAddress, type MetricsAddress } from './metrics-server.js';
import { ServiceNotifier, type NotifyFn } from './notify.js';
import { OwnedVf } from './owned.js';
import type { DaemonEvent } from './owned-types.js';
import type { PeerCredentials } from './peercred.js';
import type { Request } from './protocol.js';
import { answerRequest, type RequestHost } from './requests.js';
import { ControlServer } from './server.js';
import { prepareStateDir } from './state-dir.js';
import { takeLock, type HeldLock } from './file-lock.js';
import { STATE_LOCK_FILE } from './state.js';
import { StateStore } from './state.js';
import { stopOnSignals } from './signals.js';
import { vfStatus, type VfStatus } from './status.js';
import { resolveGroup } from './unix-socket.js';
import { parseVfSpec } from './validate.js';
import { changeOf, isMutating, type Caller, type MutatingRequest, type RequestOutcome } from './wire.js';
import path from 'node:path';

export type { VfStatus } from './status.js';

export type OpenVfFn = (spec: string, options?: OpenOptions) => Promise<VfHandle>;

/** How start() ended without an error: 'stopped' when a stop() began while it was starting (see start()). */
export type StartOutcome = 'started' | 'stopped';

export interface DaemonOptions {
  specs: readonly string[];
  socketPath: string;
  openVf: OpenVfFn;
  logger: Logger;
  stateDir?: string;
  /** Group (name or gid) allowed to use the socket (mode 0660). */
  group?: string;
  poll?: boolean;
  pollIntervalMs?: number;
  timeoutMs?: number;
  /** Mailbox tracing (`--verbose`). */
  onTrace?: OpenOptions['onTrace'];
  sysfsRoot?: string;
  /** /etc/group (tests). */
  groupFile?: string;
  /** Override of SO_PEERCRED (tests without the native addon). Default: the native addon. */
  peerCredentials?: (socket: import('node:net').Socket) => Promise<PeerCredentials | null>;
  retryMinMs?: number;
  retryMaxMs?: number;
  requestWaitMs?: number;
  /** Close client connections with no complete request for this long, ms (default 5000). */
  idleTimeoutMs?: number;
  /** systemd notifications (READY=1, STATUS=, STOPPING=1). Default: sd_notify(3) to $NOTIFY_SOCKET through the addon. */
  notify?: NotifyFn;
  /** Serve Prometheus metrics here (`--metrics`: port, host:port or a Unix socket path). Default: off. */
  metrics?: string | MetricsAddress;
  /** `--config`: per VF the desired-state fields the file sets; they override the state file's at start. */
  configured?: ReadonlyMap<string, ConfiguredState>;
}

export class Daemon extends EventEmitter {
  readonly vfs = new Map<string, OwnedVf>();
  #store: StateStore | null = null;
  /** `daemon.lock` in the state directory, held until stop(). */
  #stateLock: HeldLock | null = null;
  #server: ControlServer | null = null;
  #pollTimer: NodeJS.Timeout | null = null;
  #stopping: Promise<void> | null = null;
  #unhookSignals: (() => void) | null = null;
  #notifier: ServiceNotifier | null = null;
  #heap: HeapSettler | null = null;
  #metrics: DaemonMetrics | null = null;
  #metricsServer: MetricsServer | null = null;
  /** start()'s steps, settled (never rejects): stop() waits for it. Null before start(). */
  #starting: Promise<void> | null = null;
  /** start() got to `started`. */
  #started = false;
  /** The VFs a stop during start() kept it from opening. */
  #notOpened: readonly string[] = [];

  /** What answering a request needs of the daemon (requests.ts). */
  readonly #requestHost: RequestHost;

  constructor(readonly options: DaemonOptions) {
    super();
    this.#requestHost = {
      owned: (spec) => this.owned(spec),
      status: () => ({
        pid: process.pid,
        socket: this.options.socketPath,
        mode: this.options.poll === true ? 'poll' : 'interrupt',
        stateDir: this.options.stateDir ?? null,
        connections: this.#server?.connectionStats() ?? null,
        vfs: [...this.vfs.values()].map((o) => this.statusOf(o)),
      }),
      stateFile: (vf) => this.#stateFile(vf),
      logger: this.options.logger,
    };
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  #emitEvent(event: DaemonEvent): void {
    // Our own observers first (not as 'event' listeners: those are the watchers').
    this.#metrics?.onEvent(event);
    this.#notifier?.onEvent(event);
    this.#heap?.onEvent(event);
    this.emit('event', event);
  }

  /**
   * Opens every VF, starts their bring-up and the control socket. Throws (and releases what it opened) on
   * failure. A stop() that begins while it starts (a signal, or code) ends it as soon as the step in
   * flight ends (the state directory, the socket, the metrics endpoint, one VF's open): nothing more is
   * opened, no `started`, no READY=1; stop() then closes what was opened, removes the socket and releases
   * the locks, and start() resolves 'stopped' once that is done (it still rejects if the step itself
   * failed). 'started' otherwise.
   */
  async start(): Promise<StartOutcome> {
    const specs = this.options.specs.map(parseVfSpec);
    if (specs.length === 0) throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', 'daemon needs at least one VF', { hint: 'ixgbevf daemon 0000:03:10.0' });
    if (new Set(specs).size !== specs.length) throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', 'the same VF is given twice');
    const metricsAt = typeof this.options.metrics === 'string' ? parseMetricsAddress(this.options.metrics) : this.options.metrics;
    // Stopped before it began: nothing to open (stop() has already run its course).
    if (this.#stopping !== null) return 'stopped';
    // Muted until `started`: its STOPPING=1 also covers a stop while the daemon is still starting.
    this.#notifier = new ServiceNotifier(() => [...this.vfs.values()], this.options.notify ?? ((m) => sdNotify(m)), this.options.logger, { muted: true });
    const steps = this.#startSteps(specs, metricsAt);
    // stop() waits for this (never for start() itself, which waits for stop()).
    this.#starting = steps.then(
      () => undefined,
      () => undefined,
    );
    let outcome: Awaited<typeof steps>;
    try {
      outcome = await steps;
    } catch (err) {
      // The socket or the state directory failed (nothing else opened, their locks released): no stop
      // needed, unless one had begun anyway (it ends once this step did).
      if (this.#stopping !== null) await this.#stopping;
      throw err;
    }
    if (outcome.kind === 'failed') {
      // The same stop if one had begun (its reason stays), else 'start failed'.
      await this.stop('start failed');
      throw outcome.error;
    }
    if (outcome.kind === 'stopped') {
      await this.#stopping;
      return 'stopped';
    }
    return 'started';
  }

  /**
   * start()'s steps, each followed by a look at #stopping. Throws when the state directory or the socket
   * fails (their locks released here); any later failure is returned, for start() to stop the daemon.
   */
  async #startSteps(specs: readonly string[], metricsAt: MetricsAddress | undefined): Promise<{ kind: 'started' | 'stopped' } | { kind: 'failed'; error: unknown }> {
    const { logger } = this.options;
    const stopped = (done: number): { kind: 'stopped' } => {
      this.#notOpened = specs.slice(done);
      return { kind: 'stopped' };
    };
    try {
      if (this.options.stateDir !== undefined) await this.#openStore(this.options.stateDir);
      if (this.#stopping !== null) return stopped(0);
      // The socket first: a second daemon must fail before it touches (and resets) any VF.
      this.#server = new ControlServer(this, {
        socketPath: this.options.socketPath,
        logger,
        ...(this.options.group === undefined ? {} : { group: this.options.group }),
        ...(this.options.groupFile === undefined ? {} : { groupFile: this.options.groupFile }),
        ...(this.options.peerCredentials === undefined ? {} : { peerCredentials: this.options.peerCredentials }),
        ...(this.options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: this.options.idleTimeoutMs }),
      });
      await this.#server.listen();
    } catch (err) {
      this.#releaseStateLock();
      throw err;
    }
    if (this.#stopping !== null) return stopped(0);
    this.#unhookSignals = stopOnSignals(this, logger);
    let done = 0;
    try {
      if (metricsAt !== undefined) await this.#serveMetrics(metricsAt);
      if (this.#stopping !== null) return stopped(0);
      for (const spec of specs) {
        await this.#open(spec);
        done += 1;
        if (this.#stopping !== null) return stopped(done);
      }
    } catch (error) {
      return { kind: 'failed', error };
    }
    logger.log('info', 'started', {
      socket: this.options.socketPath,
      vfs: [...this.vfs.keys()].join(','),
      mode: this.options.poll === true ? 'poll' : 'interrupt',
      stateDir: this.options.stateDir,
      pid: process.pid,
    });
    // From here on nothing awaits: a stop now finds the daemon started.
    this.#started = true;
    const notifier = this.#notifier!;
    notifier.unmute();
    // Only when node runs without V8's memory reducer (the units' flags): heap-settle.ts.
    const compact = heapCompactor();
    if (compact !== null) this.#heap = new HeapSettler(this.vfs.keys(), compact, logger);
    for (const owned of this.vfs.values()) owned.start().catch(() => undefined);
    notifier.update();
    if (this.options.poll === true) {
      const tick = (): void => {
        for (const owned of this.vfs.values()) {
          owned.poll().catch((err: unknown) => logger.log('warn', 'poll-failed', { vf: owned.id, error: (err as Error).message }));
        }
      };
      this.#pollTimer = setInterval(tick, this.options.pollIntervalMs ?? 1000);
    }
    return { kind: 'started' };
  }

  /** The metrics endpoint (before any VF is touched: a port in use fails the start cleanly). */
  async #serveMetrics(address: MetricsAddress): Promise<void> {
    // prom-client is loaded only for a daemon that serves metrics.
    const { DaemonMetrics } = await import('./metrics.js');
    const metrics = new DaemonMetrics(() => [...this.vfs.values()]);
    this.#metrics = metrics;
    this.#metricsServer = new MetricsServer(metrics, this.options.logger);
    const gid = this.options.group === undefined || address.kind !== 'unix' ? null : await resolveGroup(this.options.group, this.options.groupFile);
    await this.#metricsServer.listen(address, gid);
  }

  /** Where the metrics are served (the real port when 0 was asked), or null. */
  get metricsAddress(): MetricsAddress | null {
    return this.#metricsServer?.address ?? null;
  }

  #releaseStateLock(): void {
    this.#stateLock?.release();
    this.#stateLock = null;
  }

  /** Checks the state directory (refuses an unsafe one) and removes temp files a killed daemon left. */
  async #openStore(dir: string): Promise<void> {
    const real = await prepareStateDir(dir);
    // One daemon per state directory, before anything in it is read or cleaned (a second daemon's
    // cleanup would remove the first one's temp file in flight, its saves would overwrite the first's).
    this.#stateLock = takeLock(path.join(real, STATE_LOCK_FILE), () =>
      new EnvironmentError('ERR_STATE_DIR_BUSY', `another daemon uses the state directory ${real} (it holds ${STATE_LOCK_FILE} there)`, {
        hint: 'give each daemon its own --state-dir (the template unit uses /var/lib/ixgbevf/<instance>), or stop the other: systemctl stop ixgbevf',
      }),
    );
    const { logger } = this.options;
    this.#store = new StateStore(real, {
      // A state directory that turns bad while the daemon runs (state.ts DirectoryFd): its saves fail
      // (`persisted: false`); the cause and its fix are logged once, and again when saves work.
      onDirectory: (e) => {
        if (e.kind === 'problem') logger.log('error', 'state-dir-problem', { dir: real, code: e.error.code, error: e.error.message, fix: e.error.hint });
        else if (e.kind === 'reopened') logger.log('warn', 'state-dir-reopened', { dir: real, note: 'the directory at this path is not the one the daemon opened: checked again and opened; state files of other VFs are not copied there' });
        else logger.log('info', 'state-dir-ok', { dir: real });
      },
    });
    const { removed, skipped } = await this.#store.removeLeftovers();
    if (removed.length > 0) this.options.logger.log('info', 'state-temp-removed', { dir: real, files: removed.join(',') });
    if (skipped.length > 0) this.options.logger.log('warn', 'state-temp-kept', { dir: real, files: skipped.join(','), reason: 'not a regular file of root or the daemon: left alone' });
  }

  async #open(spec: string): Promise<void> {
    const { logger } = this.options;
    let owned: OwnedVf | null = null;
    const opts: OpenOptions = {
      onTrace: (ev) => {
        owned?.traced(ev.direction, ev.words);
        this.#metrics?.traced(owned, ev.direction, ev.words);
        this.options.onTrace?.(ev);
      },
      ...(this.options.poll === true ? { poll: true } : {}),
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
      ...(this.options.sysfsRoot === undefined ? {} : { sysfsRoot: this.options.sysfsRoot }),
    };
    const handle = await this.options.openVf(spec, opts);
    if (this.#stopping !== null) {
      // A stop began while it opened: let it go at once (no state read, not brought up).
      try {
        await handle.close();
        logger.log('info', 'closed', { vf: handle.id, note: 'opened as the daemon began to stop: released without bringing it up' });
      } catch (err) {
        logger.log('warn', 'close-failed', { vf: handle.id, error: (err as Error).message });
      }
      return;
    }
    const store = this.#store;
    const { desired, problem, revision } = await initialState(handle, store, this.options.configured?.get(handle.id), logger);
    owned = new OwnedVf(handle, desired, {
      logger,
      emit: (e) => this.#emitEvent(e),
      save: store === null ? null : (vf, d, rev) => store.save(vf, d, rev).catch((err: unknown) => Promise.reject(explainSaveError(err, store.dir))),
      interrupts: this.options.poll !== true,
      retryMinMs: this.options.retryMinMs ?? 1000,
      retryMaxMs: this.options.retryMaxMs ?? 2000,
      requestWaitMs: this.options.requestWaitMs ?? 3000,
    });
    owned.stateProblem = problem;
    owned.revision = revision;
    this.vfs.set(handle.id, owned);
    logger.log('info', 'opened', { vf: handle.id, kind: handle.kind, family: handle.family.model, pf: handle.pfName ?? undefined, vfIndex: handle.vfIndex ?? undefined });
  }

  /** The owned VF for a (validated) spec; throws ERR_NOT_OWNED. */
  owned(spec: string): OwnedVf {
    const owned = this.vfs.get(spec);
    if (owned === undefined) {
      throw new EnvironmentError('ERR_NOT_OWNED', `this daemon does not own ${spec} (it owns ${[...this.vfs.keys()].join(', ') || 'nothing'})`, {
        hint: `ixgbevf daemon ${spec}`,
      });
    }
    return owned;
  }

  statusOf(owned: OwnedVf): VfStatus {
    return vfStatus(owned);
  }

  /**
   * Handles one validated request (everything but `watch`, which the server streams) and hands its
   * outcome to `reply`. Every state-changing request is then logged (`audit`, info) with the caller, the
   * change and the PF's answer: after `reply`, in the same turn, so the client's answer leaves before the
   * log line is formatted and written (issue 15: the audit line was ~1 ms of a request's latency in the
   * rig) and no other work runs between them. The state change itself is durable (or reported as not)
   * before `reply` is called.
   */
  async handle(req: Exclude<Request, { op: 'watch' }>, caller: Caller, reply: (outcome: RequestOutcome) => void): Promise<void> {
    this.#heap?.requestStarted();
    try {
      let outcome: RequestOutcome;
      try {
        outcome = { ok: true, result: await this.#handleExplained(req) };
      } catch (err) {
        outcome = { ok: false, error: err };
      }
      try {
        reply(outcome);
      } finally {
        if (isMutating(req)) this.#audit(req, caller, outcome);
      }
    } finally {
      this.#heap?.requestEnded();
    }
  }

  #audit(req: MutatingRequest, caller: Caller, outcome: RequestOutcome): void {
    let fields: Record<string, unknown>;
    if (outcome.ok) {
      const r = outcome.result as { pfReply?: string | null; persisted?: boolean };
      fields = { ok: true, pfReply: r.pfReply ?? null, persisted: r.persisted };
    } else {
      const e = asIxgbevfError(outcome.error);
      fields = { ok: false, code: e.code, error: e.message, pfReply: (e.details as { reply?: unknown } | undefined)?.reply ?? undefined };
    }
    this.options.logger.log('info', 'audit', {
      uid: caller?.uid ?? null,
      pid: caller?.pid ?? null,
      op: req.op,
      vf: req.vf,
      ...changeOf(req),
      ...fields,
    });
  }

  async #handleExplained(req: Exclude<Request, { op: 'watch' }>): Promise<unknown> {
    try {
      return await answerRequest(this.#requestHost, req);
    } catch (err) {
      const owned = 'vf' in req ? this.vfs.get(req.vf) : undefined;
      if (owned === undefined || req.op === 'sim') throw err;
      const arg = req.op === 'set-mac' ? req.mac : req.op === 'mtu' ? req.mtu : req.op === 'vlan' ? req.vlan : req.op === 'xcast' ? req.mode : undefined;
      throw explainError(err, owned.handle, req.op, arg);
    }
  }

  #stateFile(vf: string): string | null {
    return this.#store?.fileFor(vf) ?? null;
  }

  /**
   * Releases everything, closes the socket (and removes it). Idempotent. While start() runs: STOPPING=1 at
   * once, then waits for start()'s step in flight to end (start() opens nothing more after it), then the
   * same. The `stopped` line of a daemon that had not started says so (`started: false`, the VFs it never
   * opened).
   */
  stop(reason = 'stopped'): Promise<void> {
    this.#stopping ??= (async () => {
      this.#notifier?.stopping();
      await this.#starting;
      this.#heap?.stop();
      if (this.#pollTimer !== null) clearInterval(this.#pollTimer);
      for (const owned of this.vfs.values()) {
        try {
          await owned.flushState();
          await owned.close();
          this.options.logger.log('info', 'closed', { vf: owned.id });
        } catch (err) {
          this.options.logger.log('warn', 'close-failed', { vf: owned.id, error: (err as Error).message });
        }
      }
      await this.#server?.close();
      await this.#metricsServer?.close();
      this.#releaseStateLock();
      this.#unhookSignals?.();
      const early = this.#starting !== null && !this.#started;
      this.options.logger.log('info', 'stopped', {
        reason,
        ...(early
          ? {
              started: false,
              notOpened: this.#notOpened.length === 0 ? undefined : this.#notOpened.join(','),
              note: 'stopped while starting, before it was ready',
            }
          : {}),
      });
      this.emit('stopped');
    })();
    return this.#stopping;
  }
}
