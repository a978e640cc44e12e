/** Starts `ixgbevf daemon` in-process (through run()) on a socket in a temp dir, with helpers to talk to it. */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run, type CliIo } from '../../src/cli/program.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { loadPeerCredentials } from '../../src/daemon/peercred.js';
import { testOpenVf } from './cli-sim.js';

/** Whether the native addon provides SO_PEERCRED (else daemon tests inject the test process's own). */
export const nativePeerCredentials = loadPeerCredentials() !== null;

export interface RunningDaemon {
  dir: string;
  socket: string;
  daemon: Daemon;
  /** Log lines so far. */
  log(): string;
  /** Sends SIGTERM-equivalent (abort) and resolves with the exit code of run(). */
  stop(): Promise<number>;
}

export function tempDir(prefix = 'ixgbevf-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startDaemon(args: string[], opts: { dir?: string; io?: Partial<CliIo> } = {}): Promise<RunningDaemon> {
  const dir = opts.dir ?? tempDir();
  const socket = path.join(dir, 'ixgbevf.sock');
  const controller = new AbortController();
  let log = '';
  let started: (d: Daemon) => void = () => undefined;
  const ready = new Promise<Daemon>((resolve) => (started = resolve));
  const done = run(['daemon', ...args, '--socket', socket], {
    stdout: (s) => (log += s),
    stderr: (s) => (log += s),
    env: { PATH: process.env.PATH },
    signal: controller.signal,
    openVf: testOpenVf,
    daemon: {
      ...(nativePeerCredentials ? {} : { peerCredentials: async () => ({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }) }),
      retryMinMs: 50,
      retryMaxMs: 200,
      ...opts.io?.daemon,
      onStarted: (d) => started(d),
    },
    ...(opts.io === undefined ? {} : Object.fromEntries(Object.entries(opts.io).filter(([k]) => k !== 'daemon'))),
  });
  const daemon = await Promise.race([ready, done.then((code) => Promise.reject(new Error(`daemon exited ${code} before starting:\n${log}`)))]);
  return {
    dir,
    socket,
    daemon,
    log: () => log,
    stop: async () => {
      controller.abort();
      return done;
    },
  };
}

/** A reply line of the control socket, as protocol tests read it. */
export type Reply = { id: unknown; ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string; hint?: string; exitCode: number } };

/** A raw JSON-lines connection for protocol tests. */
export class RawConn {
  readonly lines: unknown[] = [];
  #buf = '';
  #waiters: (() => void)[] = [];
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.#buf += d;
      let nl;
      while ((nl = this.#buf.indexOf('\n')) !== -1) {
        this.lines.push(JSON.parse(this.#buf.slice(0, nl)));
        this.#buf = this.#buf.slice(nl + 1);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((r) => socket.on('close', () => {
      for (const w of this.#waiters.splice(0)) w();
      r();
    }));
  }

  static open(file: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(file, () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  send(obj: unknown): void {
    this.socket.write(`${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n`);
  }

  /** Waits until a line matches (or the connection closes: then rejects). */
  async waitFor<T = Record<string, unknown>>(pred: (line: T) => boolean): Promise<T> {
    for (let seen = 0; ; ) {
      for (; seen < this.lines.length; seen++) if (pred(this.lines[seen] as T)) return this.lines[seen] as T;
      if (this.socket.destroyed) throw new Error(`connection closed; lines: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async request<T = Record<string, unknown>>(obj: { id: number } & Record<string, unknown>): Promise<T> {
    this.send(obj);
    return this.waitFor<T>((l) => (l as { id?: unknown; event?: unknown }).id === obj.id && (l as { event?: unknown }).event === undefined);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Asks `status` until the VF is ready (bring-up is asynchronous). */
export async function waitReady(conn: RawConn, vf: string, id = 9000): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await conn.request<{ ok: boolean; result: { vfs: { id: string; state: string }[] } }>({ id: id + i, op: 'status' });
    if (r.result.vfs.find((v) => v.id === vf)?.state === 'ready') return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/**
 * Opens a connection to a started daemon (in-process or direct), waits until `vf` is ready and runs
 * `body` on it; then, whatever `body` did, closes the connection and stops the daemon.
 */
export async function withReadyVf(d: { socket: string; stop(): Promise<unknown> }, vf: string, body: (conn: RawConn) => Promise<void>): Promise<void> {
  const conn = await RawConn.open(d.socket);
  try {
    await waitReady(conn, vf);
    await body(conn);
  } finally {
    conn.close();
    await d.stop();
  }
}
