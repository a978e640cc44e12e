/**
 * Daemon test helpers: a Daemon built directly (every option reachable: idle timeout, recovery timers,
 * JSON log), and clients run as another uid in a child process (`node -e`, uid/gid 65534).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { Daemon, type DaemonOptions, type OpenVfFn } from '../../src/daemon/daemon.js';
import { simHandle } from '../../src/open/open-vf.js';
import { createSimulatedVf, type SimFaults } from '../../src/sim/index.js';
import { Vf } from '../../src/vf/vf.js';
import { createLogger } from '../../src/daemon/log.js';
import { getPeerCredentials } from '../../src/daemon/peercred.js';
import { nativePeerCredentials, tempDir } from './cli-daemon.js';
import { testOpenVf } from './cli-sim.js';

export const OTHER_UID = 65534;
export const isRoot = process.getuid?.() === 0;

export interface DirectDaemon {
  daemon: Daemon;
  dir: string;
  socket: string;
  /** JSON log lines so far, parsed. */
  log(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts a Daemon in-process with a JSON logger, the real SO_PEERCRED (when the addon has it) and `opts`. */
export async function startDirectDaemon(specs: string[], opts: Partial<DaemonOptions> = {}): Promise<DirectDaemon> {
  const dir = tempDir();
  chmodSync(dir, 0o755); // other uids may reach the socket (the daemon's own checks decide)
  const socket = path.join(dir, 'ixgbevf.sock');
  const lines: string[] = [];
  const daemon = new Daemon({
    specs,
    socketPath: socket,
    openVf: testOpenVf,
    logger: createLogger('json', (l) => lines.push(l)),
    retryMinMs: 50,
    retryMaxMs: 200,
    ...(nativePeerCredentials ? { peerCredentials: getPeerCredentials } : { peerCredentials: async () => ({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }) }),
    ...opts,
  });
  await daemon.start();
  return {
    daemon,
    dir,
    socket,
    log: () => lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: () => daemon.stop(),
  };
}

export interface ForeignClients {
  child: ChildProcess;
  /** Lines the child printed (one JSON object each). */
  lines: Record<string, unknown>[];
  /** Resolves when `pred` holds for the lines so far. */
  until(pred: (lines: Record<string, unknown>[]) => boolean): Promise<void>;
  kill(): Promise<void>;
}

/**
 * Runs `count` connections to `socket` as uid/gid 65534 in a child process. Each connection optionally
 * writes `request` at once, then the child prints `{"conn":i,"line":…}` for every line the daemon sends,
 * `{"conn":i,"closed":true,"error":code}` on close, and `{"conn":i,"connected":true}` on connect.
 */
export function foreignClients(socket: string, count: number, request?: unknown): ForeignClients {
  const script = `
    const net = require('net');
    const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
    for (let i = 0; i < ${count}; i++) {
      const s = net.createConnection(${JSON.stringify(socket)});
      let buf = '', err = null;
      s.on('connect', () => { out({ conn: i, connected: true }); ${request === undefined ? '' : `s.write(${JSON.stringify(`${JSON.stringify(request)}\n`)});`} });
      s.on('data', (d) => { buf += d; let n; while ((n = buf.indexOf('\\n')) !== -1) { out({ conn: i, line: JSON.parse(buf.slice(0, n)) }); buf = buf.slice(n + 1); } });
      s.on('error', (e) => { err = e.code; });
      s.on('close', () => out({ conn: i, closed: true, error: err }));
    }
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { uid: OTHER_UID, gid: OTHER_UID, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let n;
    while ((n = buf.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buf.slice(0, n)) as Record<string, unknown>);
      buf = buf.slice(n + 1);
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    child,
    lines,
    async until(pred) {
      while (!pred(lines)) {
        if (child.exitCode !== null) throw new Error(`client child exited; lines: ${JSON.stringify(lines).slice(0, 2000)}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** An openVf for `sim` specs whose simulated PF obeys `faults` (a silent PF, a reset mid-transaction…). */
export function openVfWithFaults(faults: SimFaults): OpenVfFn {
  return async (spec, options = {}) => {
    const sim = createSimulatedVf({ spec, faults });
    const vf = new Vf({
      regs: sim.regs,
      irqs: sim.irqs,
      family: sim.family,
      interrupts: options.poll !== true,
      pfName: 'simpf0',
      vfIndex: 0,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    return simHandle(spec, sim, vf, 'simpf0');
  };
}
