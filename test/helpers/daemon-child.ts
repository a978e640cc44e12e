/**
 * The real `ixgbevf daemon` in a child process (src/cli/main.ts through tsx, so no build is needed), with
 * its JSON log parsed as it comes: for signals, kill -9 and restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(root, 'src', 'cli', 'main.ts');

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class DaemonChild {
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  readonly exited: Promise<ChildExit>;
  readonly #child: ChildProcess;
  #waiters: (() => void)[] = [];
  #partial = '';

  /**
   * `nodeFlags`: node's own options before the script (as the systemd units pass IXGBEVF_NODE_FLAGS);
   * `preload`: modules imported after tsx (e.g. test/helpers/slow-open.mjs); `env`: added to PATH.
   */
  constructor(args: string[], opts: { nodeFlags?: readonly string[]; preload?: readonly string[]; env?: NodeJS.ProcessEnv } = {}) {
    const preload = (opts.preload ?? []).flatMap((m) => ['--import', m]);
    this.#child = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', ...preload, main, 'daemon', ...args, '--log-format', 'json'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...opts.env },
    });
    this.#child.stderr!.setEncoding('utf8');
    this.#child.stderr!.on('data', (d: string) => {
      this.stderr += d;
      this.#partial += d;
      let nl;
      while ((nl = this.#partial.indexOf('\n')) !== -1) {
        const line = this.#partial.slice(0, nl);
        this.#partial = this.#partial.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line (a crash trace): kept in stderr
        }
      }
      this.#notify();
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        this.#notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  #notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits for a log line matching `pred`; rejects if the process exits first. */
  async waitLog(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const hit = this.logs.find(pred);
      if (hit !== undefined) return hit;
      if (!this.alive) throw new Error(`daemon exited before the expected log line; stderr:\n${this.stderr}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }
}
