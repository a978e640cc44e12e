/**
 * Part 4: 64 simulated VFs (each `openVf('sim:…')`, i.e. its own simulated PF, as the daemon opens
 * them) each doing reset + negotiate + set-mac, all 64 concurrently, in one process. R rounds on the
 * same 64 handles; per round the total wall time; per VF per round its own latency (start → its
 * set-mac ACK). Memory per VF: RSS and V8 heap after a forced GC with the 64 VFs open and brought
 * up, minus the same before opening any (after a warm-up with 4 VFs, so code is not counted), divided
 * by 64. Run with --expose-gc.
 */
import { performance } from 'node:perf_hooks';
import { openVf } from '../../src/open/open-vf.js';
import type { VfHandle } from '../../src/open/types.js';
import { emit, sleep, stats, type Result } from '../lib.js';

const VFS = Number(process.env.BENCH_SCALE_VFS ?? 64);
const R = Number(process.env.BENCH_SCALE_ROUNDS ?? 10);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function mem(): { rss: number; heap: number; external: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
}

async function bringUp(h: VfHandle, i: number): Promise<number> {
  const t0 = performance.now();
  await h.vf.reset();
  await h.vf.negotiateApi();
  await h.vf.setMac(`02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`);
  return performance.now() - t0;
}

async function mode(poll: boolean): Promise<Result[]> {
  const label = poll ? '--poll' : 'interrupt';
  // Warm-up: load and JIT every code path first, so that the memory delta is per-VF state, not code.
  const warm: VfHandle[] = [];
  for (let i = 0; i < 4; i++) warm.push(await openVf(`sim:mtu=${1400 + i}`, { poll }));
  await Promise.all(warm.map((h, i) => bringUp(h, i)));
  // Reference: one VF alone (what the per-VF latency would be without the other 63).
  const alone: number[] = [];
  for (let r = 0; r < R; r++) alone.push(await bringUp(warm[0]!, 0));
  for (const h of warm) await h.close();
  await sleep(50);
  const before = mem();
  const handles: VfHandle[] = [];
  for (let i = 0; i < VFS; i++) handles.push(await openVf(`sim:mtu=${1500 + i}`, { poll }));
  const totals: number[] = [];
  const perVf: number[] = [];
  let after = before;
  for (let r = 0; r < R; r++) {
    const t0 = performance.now();
    const lat = await Promise.all(handles.map((h, i) => bringUp(h, i)));
    totals.push(performance.now() - t0);
    perVf.push(...lat);
    if (r === 0) after = mem();
  }
  for (const h of handles) await h.close();
  const kib = (b: number): number => b / 1024 / VFS;
  return [
    stats(4, `1 VF alone reset+negotiate+set-mac, ${label}`, 'ms', alone, { note: `${R} rounds, reference for the per-VF latency` }),
    stats(4, `${VFS} VFs reset+negotiate+set-mac concurrently, total, ${label}`, 'ms', totals, { note: `${R} rounds` }),
    stats(4, `per-VF reset+negotiate+set-mac latency, ${label}`, 'ms', perVf, { percentiles: true, note: `${R} rounds × ${VFS} VFs` }),
    { ...stats(4, `memory per VF (RSS), ${label}`, 'KiB', [kib(after.rss - before.rss)]), note: `(RSS after GC with ${VFS} VFs up − before) / ${VFS}` },
    { ...stats(4, `memory per VF (V8 heap used), ${label}`, 'KiB', [kib(after.heap - before.heap)]), note: `(heapUsed after GC − before) / ${VFS}` },
  ];
}

// One mode per process (argv: interrupt | poll), so that the memory delta of one does not skew the other.
emit(await mode(process.argv[2] === 'poll'));
