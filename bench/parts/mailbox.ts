/**
 * Part 2: mailbox transactions on the simulated PF (src/sim, in this process), interrupt-driven waits
 * (default) vs poll mode (`--poll`: short timers, no interrupts). One transaction = one SET_MAC_ADDR
 * request and its ACK (`vf.setMac`, two alternating addresses: the PF really reprograms the filter).
 *
 * Per mode: R rounds of N transactions back to back. Per round: transactions per second (N / wall) and
 * CPU per transaction (process.cpuUsage() user+system / N; includes the simulated PF, which runs in
 * the same process: an upper bound for the driver). Per transaction: wall latency (performance.now()).
 */
import { performance } from 'node:perf_hooks';
import { openVf } from '../../src/open/open-vf.js';
import { emit, stats, type Result } from '../lib.js';

const R = Number(process.env.BENCH_MBX_ROUNDS ?? 7);
const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02'];

async function mode(poll: boolean, n: number): Promise<Result[]> {
  const label = poll ? '--poll' : 'interrupt';
  const h = await openVf('sim', { poll });
  await h.vf.reset();
  await h.vf.negotiateApi();
  for (let i = 0; i < 50; i++) await h.vf.setMac(MACS[i & 1]!); // warm-up
  const tps: number[] = [];
  const cpu: number[] = [];
  const lat: number[] = [];
  for (let r = 0; r < R; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await h.vf.setMac(MACS[i & 1]!);
      lat.push((performance.now() - s) * 1000);
    }
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    tps.push(n / (wall / 1000));
    cpu.push((c.user + c.system) / n);
  }
  await h.close();
  return [
    stats(2, `mailbox set-mac throughput, ${label}`, 'tx/s', tps, { note: `${R} rounds of ${n} sequential transactions` }),
    stats(2, `mailbox CPU per transaction, ${label}`, 'µs CPU/tx', cpu, { note: `${R} rounds of ${n}; process user+system incl. the simulated PF` }),
    stats(2, `mailbox set-mac latency, ${label}`, 'µs', lat, { percentiles: true, note: `${R * n} transactions` }),
  ];
}

emit([...(await mode(false, Number(process.env.BENCH_MBX_N ?? 2000))), ...(await mode(true, Number(process.env.BENCH_MBX_POLL_N ?? 300)))]);
