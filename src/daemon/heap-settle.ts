/**
 * Giving start-up's garbage back when the work ends, not seconds later while idle. V8's memory reducer
 * returns the heap that a bring-up left behind (all VFs at start, or a wave of recoveries after PF resets)
 * with one to three full collections about 8 s after the last one: CPU spent in what is otherwise an idle
 * daemon (BENCHMARKS.md, target 6). The shipped units start node without the reducer and with `gc`
 * exposed (their `IXGBEVF_NODE_FLAGS`); the daemon then compacts the heap itself, once, right after the
 * last VF of a bring-up settles, in the same burst of work. Without those flags (`ixgbevf daemon` run by
 * hand, or an embedding program) V8's reducer does the job and this does nothing.
 */
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

/** Runs `compact` once every time the last busy VF settles (start-up's READY, the end of a recovery wave). */
export class HeapSettler {
  readonly #busy: Set<string>;
  #pending: { cancel(): void } | null = null;
  #stopped = false;

  constructor(
    vfs: Iterable<string>,
    private readonly compact: CompactFn,
    private readonly logger: Logger,
    /** Runs `fn` after the current work (default: setImmediate), so replies and notifications go first. */
    private readonly defer: (fn: () => void) => { cancel(): void } = deferImmediate,
  ) {
    this.#busy = new Set(vfs);
  }

  /** Feed every daemon event here (after the notifier, so READY=1 is on its way first). */
  onEvent(event: DaemonEvent): void {
    if (this.#stopped) return;
    const wasBusy = this.#busy.size > 0;
    if (SETTLING.has(event.type)) this.#busy.delete(event.vf);
    else if (BUSY.has(event.type)) this.#busy.add(event.vf);
    if (wasBusy && this.#busy.size === 0 && this.#pending === null) this.#pending = this.defer(() => this.#run());
  }

  /** The daemon stops: no compaction after this. */
  stop(): void {
    this.#stopped = true;
    this.#pending?.cancel();
    this.#pending = null;
  }

  #run(): void {
    this.#pending = null;
    if (this.#stopped || this.#busy.size > 0) return;
    const before = process.memoryUsage();
    const t0 = process.hrtime.bigint();
    try {
      this.compact();
    } catch (err) {
      this.logger.log('warn', 'heap-compact-failed', { error: (err as Error).message });
      return;
    }
    const after = process.memoryUsage();
    this.logger.log('info', 'heap-compacted', {
      ms: Number((process.hrtime.bigint() - t0) / 1000n) / 1000,
      heapUsedMiB: `${mib(before.heapUsed)}->${mib(after.heapUsed)}`,
      rssMiB: `${mib(before.rss)}->${mib(after.rss)}`,
    });
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function deferImmediate(fn: () => void): { cancel(): void } {
  const handle = setImmediate(fn);
  return { cancel: () => clearImmediate(handle) };
}
