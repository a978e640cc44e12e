/**
 * Giving start-up's garbage back when the work ends, not seconds later while idle. V8's memory reducer
 * returns the heap that a bring-up left behind (all VFs at start, or a wave of recoveries after PF resets)
 * with one to three full collections about 8 s after the last one: CPU spent in what is otherwise an idle
 * daemon (BENCHMARKS.md, target 6). The shipped units start node without the reducer and with `gc`
 * exposed (their `IXGBEVF_NODE_FLAGS`); the daemon then compacts the heap itself, once, right after the
 * last VF of a bring-up settles, and once requests that grew the heap have stopped coming for
 * REQUEST_QUIET_MS (a client that keeps sending is never paused by a full collection between two of its
 * requests). Without those flags (`ixgbevf daemon` run by hand, or an embedding program) V8's reducer
 * does the job and this does nothing.
 */
import { getHeapStatistics } from 'node:v8';
import type { Logger } from './log.js';
import { SETTLING } from './notify.js';
import type { DaemonEvent } from './owned-types.js';

/** One full, compacting collection. */
export type CompactFn = () => void;

/** Events that start work on a VF (a bring-up or a recovery); SETTLING ends it. */
const BUSY: ReadonlySet<DaemonEvent['type']> = new Set(['recovering', 'pf-reset']);

/**
 * The compaction this process can do for itself: only when node runs without V8's memory reducer
 * (`--no-memory-reducer`) and with `gc` exposed (`--expose-gc`); null otherwise. With
 * `--compact-on-every-full-gc` (the units set it) the collection also moves objects off sparse pages,
 * which is what returns memory; without it, it frees objects only.
 */
export function heapCompactor(execArgv: readonly string[] = process.execArgv, gc: unknown = (globalThis as { gc?: unknown }).gc): CompactFn | null {
  if (!execArgv.includes('--no-memory-reducer') || typeof gc !== 'function') return null;
  return () => {
    (gc as () => void)();
  };
}

/**
 * Committed heap growth since the last compaction after which a burst of requests ends with one (bytes).
 * A burst of set-macs on 256 VFs, each with its state save, grows it by 1.5–2 MiB; a single request by
 * kilobytes, so a client sending one request after another does not cause a compaction each time.
 */
export const HEAP_GROWTH_BEFORE_COMPACT = 1024 * 1024;

/**
 * How long no request may have ended before the heap a burst of requests grew is compacted, ms. Between
 * two requests of a connected client nothing is in flight for a moment (µs on the host, a few ms in the
 * emulated rig); compacting there cost that client 7–9 ms (host) every ~300 set-macs (issue 15, target
 * 3). Short enough that a burst's garbage is gone long before the daemon is idle (bench part 7 measures
 * idle CPU from 1 s after its burst). One timer per burst, refreshed as each request ends: an idle daemon
 * has none.
 */
export const REQUEST_QUIET_MS = 100;

/** A one-shot timer that can be pushed back to its full length (a Node Timeout's refresh()). */
export interface QuietTimer {
  cancel(): void;
  refresh(): void;
}

export interface HeapSettlerOptions {
  /** Runs `fn` after the current work (default: setImmediate), so replies and notifications go first. */
  defer?: (fn: () => void) => { cancel(): void };
  /** Committed heap in bytes (default: V8's total_heap_size). */
  heapSize?: () => number;
  /** Runs `fn` once after REQUEST_QUIET_MS (default: an unref'd setTimeout). */
  afterQuiet?: (fn: () => void) => QuietTimer;
}

/**
 * Runs `compact` when the daemon's work ends: every time the last busy VF settles (start-up's READY, the
 * end of a recovery wave), and when no request has ended for REQUEST_QUIET_MS and the heap has grown by
 * HEAP_GROWTH_BEFORE_COMPACT since the last compaction. Never while a VF is coming up or a request runs
 * (checked again when the deferred run comes).
 */
export class HeapSettler {
  readonly #busy: Set<string>;
  readonly #defer: (fn: () => void) => { cancel(): void };
  readonly #heapSize: () => number;
  readonly #afterQuiet: (fn: () => void) => QuietTimer;
  #quiet: QuietTimer | null = null;
  #inFlight = 0;
  #baseline: number;
  #pending: { cancel(): void } | null = null;
  #stopped = false;

  constructor(
    vfs: Iterable<string>,
    private readonly compact: CompactFn,
    private readonly logger: Logger,
    options: HeapSettlerOptions = {},
  ) {
    this.#busy = new Set(vfs);
    this.#defer = options.defer ?? deferImmediate;
    this.#heapSize = options.heapSize ?? committedHeap;
    this.#afterQuiet = options.afterQuiet ?? quietTimeout;
    this.#baseline = this.#heapSize();
  }

  /** Feed every daemon event here (after the notifier, so READY=1 is on its way first). */
  onEvent(event: DaemonEvent): void {
    if (this.#stopped) return;
    const wasBusy = this.#busy.size > 0;
    if (SETTLING.has(event.type)) this.#busy.delete(event.vf);
    else if (BUSY.has(event.type)) this.#busy.add(event.vf);
    if (wasBusy && this.#busy.size === 0) this.#schedule();
  }

  /** A client's request begins. */
  requestStarted(): void {
    this.#inFlight += 1;
  }

  /** A client's request has been answered (or failed). */
  requestEnded(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#stopped || !this.#isQuiet()) return;
    if (this.#quiet !== null) this.#quiet.refresh();
    else if (this.#hasGrown()) {
      this.#quiet = this.#afterQuiet(() => {
        this.#quiet = null;
        // A bring-up's compaction may have come in between; a request in flight now ends with a new timer.
        if (this.#hasGrown()) this.#run();
      });
    }
  }

  #hasGrown(): boolean {
    return this.#heapSize() - this.#baseline >= HEAP_GROWTH_BEFORE_COMPACT;
  }

  /** The daemon stops: no compaction after this. */
  stop(): void {
    this.#stopped = true;
    this.#pending?.cancel();
    this.#pending = null;
    this.#quiet?.cancel();
    this.#quiet = null;
  }

  #isQuiet(): boolean {
    return this.#busy.size === 0 && this.#inFlight === 0;
  }

  #schedule(): void {
    if (this.#pending === null) this.#pending = this.#defer(() => this.#run());
  }

  #run(): void {
    this.#pending = null;
    if (this.#stopped || !this.#isQuiet()) return;
    const before = process.memoryUsage();
    const t0 = process.hrtime.bigint();
    try {
      this.compact();
    } catch (err) {
      this.logger.log('warn', 'heap-compact-failed', { error: (err as Error).message });
      return;
    } finally {
      this.#baseline = this.#heapSize();
    }
    const after = process.memoryUsage();
    this.logger.log('info', 'heap-compacted', {
      ms: Number((process.hrtime.bigint() - t0) / 1000n) / 1000,
      heapUsedMiB: `${mib(before.heapUsed)}->${mib(after.heapUsed)}`,
      rssMiB: `${mib(before.rss)}->${mib(after.rss)}`,
    });
  }
}

function committedHeap(): number {
  return getHeapStatistics().total_heap_size;
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function quietTimeout(fn: () => void): QuietTimer {
  const timer = setTimeout(fn, REQUEST_QUIET_MS);
  timer.unref();
  return { cancel: () => clearTimeout(timer), refresh: () => void timer.refresh() };
}

function deferImmediate(fn: () => void): { cancel(): void } {
  const handle = setImmediate(fn);
  return { cancel: () => clearImmediate(handle) };
}
