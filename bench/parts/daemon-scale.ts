/**
 * Part 7: one daemon owning many simulated VFs (BENCH_DAEMON_VFS, default 256). The real daemon
 * (`node dist/cli/main.js daemon sim:mtu=1500 … --state-dir <tmp>`; every spec distinct, and each sim
 * spec is its own simulated PF, so 256 VFs are 256 PFs × 1 VF — a superset of 4 PFs × 64 in resets
 * to handle) is started; the bench waits until all are `ready`, then sets a MAC on every VF (so each
 * has state to re-apply and persist), and measures:
 *   - idle CPU: two consecutive 10-s windows (utime+stime from /proc, schedstat per second), the first
 *     starting 1 s after the set-MACs, the second right after it (steady state);
 *   - RSS per VF: (RSS of this daemon − RSS of a 1-VF daemon of the same age) / (N − 1), at the end and
 *     at the lowest and highest of the per-second samples (the highest is before V8's memory reducer);
 *   both daemons run with the environment and node flags of scripts/ixgbevf.service (bench/daemon.ts), as users get them;
 *   - recovery: the `sim` op `pf-reset` sent for every VF over one connection (32 in flight, the
 *     daemon's per-connection limit); time from the
 *     first request until the status op shows every VF `ready` with its `recoveries` count raised
 *     (status polled every 20 ms), BENCH_DAEMON_RESETS times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DaemonClient } from '../../src/cli/client.js';
import { clockTicks, procCpu, procMem, startDaemon } from '../daemon.js';
import { emit, single, sleep, stats, type Result } from '../lib.js';

const VFS = Number(process.env.BENCH_DAEMON_VFS ?? 256);
const RESETS = Number(process.env.BENCH_DAEMON_RESETS ?? 5);
const specs = Array.from({ length: VFS }, (_, i) => `sim:mtu=${1500 + i}`);
const dir = mkdtempSync(join(tmpdir(), 'ixgbevf-bench-dscale-'));
const hz = clockTicks();
const mac = (i: number, salt: number): string => `02:${salt.toString(16).padStart(2, '0')}:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

/** The daemon queues at most 32 requests per connection: send in windows of 32. */
async function pipelined(items: readonly string[], send: (vf: string, i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += 32) await Promise.all(items.slice(i, i + 32).map((vf, j) => send(vf, i + j)));
}

interface StatusVf { vf: string; state: string; recoveries: number }

const one = await startDaemon(['sim:mtu=1500'], join(dir, 'one.sock'), ['--state-dir', join(dir, 'one-state')]);
const t0 = performance.now();
const d = await startDaemon(specs, join(dir, 'd.sock'), ['--state-dir', join(dir, 'state')], 300_000);
const startMs = performance.now() - t0;
const results: Result[] = [];
try {
  const client = (await DaemonClient.connect(d.socket))!;
  const t1 = performance.now();
  await pipelined(specs, (vf, i) => client.request('set-mac', { vf, mac: mac(i, 1) }));
  const setAllMs = performance.now() - t1;
  client.close();
  await sleep(1000);
  // RSS of both daemons every second: V8 sizes its heap in steps of MiBs (and shrinks it once the memory
  // reducer runs, some seconds after start-up), so the lowest sample is the comparable one.
  const rss: { n: number; one: number }[] = [];
  const windows: { cpuS: number; perSecondMs: number[]; switches: number }[] = [];
  for (let w = 0; w < 2; w++) {
    const first = procCpu(d.pid);
    let prev = first;
    const perSecondMs: number[] = [];
    for (let s = 0; s < 10; s++) {
      await sleep(1000);
      const now = procCpu(d.pid);
      perSecondMs.push((now.ns - prev.ns) / 1e6);
      prev = now;
      rss.push({ n: procMem(d.pid).rssKiB, one: procMem(one.pid).rssKiB });
    }
    windows.push({ cpuS: (prev.ticks - first.ticks) / hz, perSecondMs, switches: prev.switches - first.switches });
    process.stderr.write(`bench: daemon-scale idle window ${w + 1} (CPU ms/s): ${perSecondMs.map((x) => x.toFixed(1)).join(' ')}\n`);
  }
  const mem = procMem(d.pid);
  const oneMem = procMem(one.pid);
  const low = rss.reduce((a, b) => (b.n < a.n ? b : a));
  const high = rss.reduce((a, b) => (b.n - b.one > a.n - a.one ? b : a));

  const c = (await DaemonClient.connect(d.socket))!;
  const recovery: number[] = [];
  for (let r = 0; r < RESETS; r++) {
    const before = new Map(((await c.request<{ vfs: StatusVf[] }>('status')).vfs).map((v) => [v.vf, v.recoveries]));
    const ts = performance.now();
    await pipelined(specs, (vf) => c.request('sim', { vf, action: 'pf-reset' }));
    for (;;) {
      const st = await c.request<{ vfs: StatusVf[] }>('status');
      if (st.vfs.every((v) => v.state === 'ready' && v.recoveries > (before.get(v.vf) ?? 0))) break;
      if (performance.now() - ts > 60_000) throw new Error('daemon-scale: VFs not recovered within 60 s');
      await sleep(20);
    }
    recovery.push(performance.now() - ts);
    await sleep(500);
  }
  c.close();
  const name = `one daemon, ${VFS} sim VFs`;
  results.push(
    single(7, `${name}: start-up until all ready`, 'ms', startMs, 'spawn → status shows every VF ready'),
    single(7, `${name}: set-mac on all at once (one connection)`, 'ms', setAllMs, `${VFS} requests pipelined 32 at a time (the daemon's per-connection limit), --state-dir`),
    ...windows.map((w, i) => single(7, `${name}: idle CPU over 10 s, window ${i + 1}`, 'CPU s', w.cpuS, `utime+stime; per second (schedstat) ${w.perSecondMs.map((x) => x.toFixed(1)).join(' ')} ms; ${w.switches} context switches`)),
    single(7, `${name}: RSS`, 'MiB', mem.rssKiB / 1024, `VmRSS; 1-VF daemon of the same age ${(oneMem.rssKiB / 1024).toFixed(1)} MiB`),
    single(7, `${name}: RSS per VF ((N-VF − 1-VF) / (N − 1)), at the end`, 'KiB', (mem.rssKiB - oneMem.rssKiB) / (VFS - 1)),
    single(7, `${name}: RSS per VF ((N-VF − 1-VF) / (N − 1)), lowest sample`, 'KiB', (low.n - low.one) / (VFS - 1), `of 20 one-second samples: ${(low.n / 1024).toFixed(1)} vs ${(low.one / 1024).toFixed(1)} MiB`),
    single(7, `${name}: RSS per VF ((N-VF − 1-VF) / (N − 1)), highest sample`, 'KiB', (high.n - high.one) / (VFS - 1), `before V8's memory reducer has collected the start-up garbage (it runs once, ~8 s after the start-up's mark-compact): ${(high.n / 1024).toFixed(1)} vs ${(high.one / 1024).toFixed(1)} MiB`),
    stats(7, `${name}: every PF reset → all re-applied (status ready, recoveries +1)`, 'ms', recovery, { note: `${RESETS} rounds; ${VFS} sim pf-reset requests, 32 in flight, status polled every 20 ms` }),
  );
} finally {
  await d.stop();
  await one.stop();
  rmSync(dir, { recursive: true, force: true });
}
emit(results);
