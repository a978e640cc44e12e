/**
 * Starting the real daemon (`node dist/cli/main.js daemon …`) for parts 3, 5 and 7 the way the shipped
 * systemd unit starts it (its `Environment=` settings and the node flags its ExecStart passes, read from
 * scripts/ixgbevf.service), and reading its /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonClient } from '../src/cli/client.js';
import { ROOT, sleep } from './lib.js';

export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
/** The installed bin: the esbuild bundle of the same CLI (scripts/bundle-cli.mjs). */
export const BIN = join(ROOT, 'dist', 'ixgbevf.mjs');

/** The unit whose settings the bench's daemons run with. */
export const SERVICE_UNIT = join(ROOT, 'scripts', 'ixgbevf.service');

/**
 * The variables a systemd unit's `Environment=` lines set, in order (a later assignment wins), as
 * systemd.exec(5) reads them: each line holds space-separated `NAME=value` assignments, an assignment in
 * double quotes may contain spaces; an empty `Environment=` resets the list. Only the [Service] section
 * counts. Specifiers (%i) and `$` expansion are not resolved (the shipped units use neither there).
 */
export function unitEnvironment(unitText: string): Record<string, string> {
  const env: Record<string, string> = {};
  let section = '';
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    if (section !== '[Service]' || !line.startsWith('Environment=')) continue;
    const value = line.slice('Environment='.length);
    if (value === '') {
      for (const k of Object.keys(env)) delete env[k];
      continue;
    }
    for (const m of value.matchAll(/"([^"]*)"|(\S+)/g)) {
      const assignment = m[1] ?? m[2]!;
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new Error(`not an assignment in Environment=: ${assignment}`);
      env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  return env;
}

/**
 * The node flags the units start the daemon with: their `IXGBEVF_NODE_FLAGS`, split on blanks as the
 * unit's `/bin/sh -c '… exec node $IXGBEVF_NODE_FLAGS …'` splits it (no quoting inside the value).
 */
export function unitNodeFlags(unitPath = SERVICE_UNIT): string[] {
  const value = unitEnvironment(readFileSync(unitPath, 'utf8'))['IXGBEVF_NODE_FLAGS'] ?? '';
  return value.split(/\s+/).filter((f) => f !== '');
}

/** The environment of a bench daemon: ours, with the unit's `Environment=` settings over it (as systemd gives them). */
export function daemonEnvironment(unitPath = SERVICE_UNIT): NodeJS.ProcessEnv {
  return { ...process.env, ...unitEnvironment(readFileSync(unitPath, 'utf8')) };
}

export interface RunningDaemon {
  child: ChildProcess;
  pid: number;
  socket: string;
  stop(): Promise<void>;
}

/** Spawns a daemon owning `specs` (with the unit's environment) and waits until every VF is `ready` (status op over the socket). */
export async function startDaemon(specs: string[], socket: string, extra: string[] = [], timeoutMs = 120_000): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [...unitNodeFlags(), CLI, 'daemon', ...specs, '--socket', socket, ...extra], { cwd: ROOT, stdio: 'ignore', env: daemonEnvironment() });
  const pid = child.pid!;
  let exited = false;
  const exit = new Promise<void>((r) => child.on('exit', () => { exited = true; r(); }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`daemon exited during start (${specs.length} VFs)`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('daemon did not get ready in time');
    }
    let client: DaemonClient | null = null;
    try {
      client = await DaemonClient.connect(socket);
    } catch {
      client = null;
    }
    if (client !== null) {
      const st = await client.request<{ vfs: { state: string }[] }>('status');
      client.close();
      if (st.vfs.length === specs.length && st.vfs.every((v) => v.state === 'ready')) break;
    }
    await sleep(100);
  }
  return {
    child,
    pid,
    socket,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}

/** CPU of every thread of `pid`: utime+stime in clock ticks (/proc/pid/stat) and ns on CPU (schedstat). */
export function procCpu(pid: number): { ticks: number; ns: number; switches: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // fields 14, 15 (utime, stime), counted from field 3
  let ns = 0;
  let switches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      switches += Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(st)?.[1] ?? 0) + Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(st)?.[1] ?? 0);
    } catch {
      /* thread went away */
    }
  }
  return { ticks, ns, switches };
}

/** VmRSS / VmHWM in KiB. */
export function procMem(pid: number): { rssKiB: number; hwmKiB: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssKiB: Number(/^VmRSS:\s*(\d+)/m.exec(st)?.[1]), hwmKiB: Number(/^VmHWM:\s*(\d+)/m.exec(st)?.[1]) };
}

/** USER_HZ (clock ticks per second of /proc/<pid>/stat): `getconf CLK_TCK`, 100 on Linux. */
export function clockTicks(): number {
  try {
    const out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const n = Number(out);
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}
