/**
 * Watching a published socket's path while the daemon runs (the control socket and its lock, the metrics
 * socket): inotify on the directory (fs.watch, never keeping the loop alive; no timer), and on an event
 * for one of the watched names one check at a time — an event during a check runs it once more after, so
 * none is lost and none overlaps. stop() ends the watch and waits for a check in flight.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PathWatchOptions {
  /** The published path; its directory is watched. */
  file: string;
  /** Entry names in that directory whose change runs the check. */
  names: readonly string[];
  /** Looks at the paths and acts (publish again, take the lock again, log a problem). */
  check: () => Promise<void>;
  /** A check that threw. */
  onCheckFailed: (err: Error) => void;
  /** The watch could not start (`started` false: nothing will be checked) or failed later. */
  onWatchFailed: (err: Error, started: boolean) => void;
}

export class PathWatch {
  #watcher: fs.FSWatcher | null = null;
  #checking: Promise<void> | null = null;
  #again = false;

  constructor(private readonly opts: PathWatchOptions) {}

  start(): void {
    const names = new Set(this.opts.names);
    try {
      this.#watcher = fs.watch(path.dirname(this.opts.file), { persistent: false }, (_type, name) => {
        if (name === null || names.has(String(name))) void this.check();
      });
      this.#watcher.on('error', (err) => this.opts.onWatchFailed(err, true));
    } catch (err) {
      this.opts.onWatchFailed(err as Error, false);
    }
  }

  /** Runs the check now, or once more after the one running. */
  check(): Promise<void> {
    if (this.#checking !== null) {
      this.#again = true;
      return this.#checking;
    }
    const run = (async () => {
      do {
        this.#again = false;
        if (this.#watcher === null) return; // stopped
        await this.opts.check();
      } while (this.#again);
    })()
      .catch((err: unknown) => this.opts.onCheckFailed(err as Error))
      .finally(() => (this.#checking = null));
    this.#checking = run;
    return run;
  }

  /** Ends the watch; a check in flight ends first (it sees the watch gone before its next round). */
  async stop(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = null;
    await this.#checking;
  }
}
