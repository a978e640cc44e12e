/**
 * Part 3: what a daemon costs while nothing happens. The real daemon (`ixgbevf daemon`, dist/) owns 64
 * simulated VFs (`sim:mtu=1500` … `sim:mtu=1563`: distinct specs, each its own simulated PF); once all
 * are `ready` and the status connection is closed, 1 s to settle, then 10 one-second windows. CPU is
 * read from /proc (utime+stime of the process in clock ticks; per-thread schedstat for ns resolution),
 * with context switches of all its threads (a wake-up is a switch). RSS from /proc/<pid>/status.
 * Interrupt mode (the default: nothing but the sockets and the interrupt sources to wait on) and
 * `--poll` (a 1 s interval timer that checks every VF). RSS per VF: (64-VF daemon − 1-VF daemon) / 63,
 * the 1-VF daemon started just before and idling alongside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockTicks, procCpu, procMem, startDaemon } from '../daemon.js';
import { emit, single, sleep, stats, type Result } from '../lib.js';

const VFS = 64;
const WINDOWS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const specs = Array.from({ length: VFS }, (_, i) => `sim:mtu=${1500 + i}`);
const dir = mkdtempSync(join(tmpdir(), 'ixgbevf-bench-idle-'));
const hz = clockTicks();

async function idle(poll: boolean): Promise<{ results: Result[]; rssKiB: number; oneRssKiB: number }> {
  const label = poll ? '--poll' : 'interrupt';
  // A 1-VF daemon idles alongside, for RSS per VF measured at the same age (V8's heap shrinks a few
  // seconds after start-up: an RSS taken earlier is not comparable).
  const one = await startDaemon(['sim:mtu=1500'], join(dir, `one-${poll ? 'p' : 'i'}.sock`), poll ? ['--poll'] : []);
  const d = await startDaemon(specs, join(dir, `${poll ? 'p' : 'i'}.sock`), poll ? ['--poll'] : []);
  try {
    await sleep(1000);
    const perWindowMs: number[] = [];
    const first = procCpu(d.pid);
    let prev = first;
    for (let w = 0; w < WINDOWS; w++) {
      await sleep(1000);
      const now = procCpu(d.pid);
      perWindowMs.push((now.ns - prev.ns) / 1e6);
      prev = now;
    }
    const mem = procMem(d.pid);
    const oneMem = procMem(one.pid);
    process.stderr.write(`bench: idle ${label} windows (CPU ms): ${perWindowMs.map((x) => x.toFixed(2)).join(' ')}\n`);
    const name = `idle daemon, ${VFS} sim VFs, ${label}`;
    return {
      rssKiB: mem.rssKiB,
      oneRssKiB: oneMem.rssKiB,
      results: [
        single(3, `${name}: CPU over ${WINDOWS} s (utime+stime)`, 'CPU s', (prev.ticks - first.ticks) / hz, `/proc/<pid>/stat, ${1000 / hz} ms resolution`),
        stats(3, `${name}: CPU per 1-s window (schedstat)`, 'CPU ms', perWindowMs, { note: `${WINDOWS} windows; sum of /proc/<pid>/task/*/schedstat` }),
        single(3, `${name}: context switches over ${WINDOWS} s`, 'switches', prev.switches - first.switches, 'all threads; each wake-up is one'),
        single(3, `${name}: RSS`, 'MiB', mem.rssKiB / 1024, `VmRSS at the end (VmHWM ${(mem.hwmKiB / 1024).toFixed(1)} MiB)`),
        single(3, `idle daemon, 1 sim VF, ${label}: RSS`, 'MiB', oneMem.rssKiB / 1024, 'VmRSS at the same time, same age'),
        single(3, `daemon RSS per VF ((64-VF − 1-VF) / 63), ${label}`, 'KiB', (mem.rssKiB - oneMem.rssKiB) / (VFS - 1)),
      ],
    };
  } finally {
    await d.stop();
    await one.stop();
  }
}

try {
  const i = await idle(false);
  const p = await idle(true);
  emit([...i.results, ...p.results]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
