/**
 * Where the in-process set-MAC spends its time, from a V8 CPU profile, inside the rig (any NIC):
 *   scripts/vm/run node --cpu-prof --cpu-prof-dir="$IXGBEVF_VM_OUT" --cpu-prof-interval 50 \
 *     --import tsx bench/vm-profile.ts [n] [--poll]
 * (`npm run bench:vm` does not run it; BENCHMARKS.md says how it was used). Opens VF0, resets,
 * negotiates, then n (default 1000) sequential `vf.setMac()` calls; the profile lands in $IXGBEVF_VM_OUT
 * and `npx tsx bench/profile-summary.ts <file>` groups its samples.
 * `--daemon`: instead, the real daemon (dist/, --state-dir) owns VF0 and is profiled itself (NODE_OPTIONS
 * --cpu-prof; written when it stops), while this process sends it n set-mac requests over one connection.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonClient } from '../src/cli/client.js';
import { openVf } from '../src/open.js';
import { startDaemon } from './daemon.js';

const n = Number(process.argv[2] ?? 1000);
const poll = process.argv.includes('--poll');
const vf0 = process.env.VF0;
if (vf0 === undefined) throw new Error('run in the rig: VF0 is not set');
const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
if (process.argv.includes('--daemon')) {
  const dir = mkdtempSync('/tmp/bench-prof-');
  process.env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${process.env.IXGBEVF_VM_OUT ?? dir} --cpu-prof-name=daemon.cpuprofile --cpu-prof-interval=50`;
  const d = await startDaemon([vf0], join(dir, 'd.sock'), ['--state-dir', join(dir, 'state')]);
  delete process.env.NODE_OPTIONS;
  try {
    const c = (await DaemonClient.connect(d.socket))!;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await c.request('set-mac', { vf: vf0, mac: macs[i & 1]! });
    process.stderr.write(`vm-profile: ${n} set-mac requests to the daemon, ${((performance.now() - t0) / n).toFixed(3)} ms each\n`);
    c.close();
  } finally {
    await d.stop();
  }
  process.exit(0);
}
const h = await openVf(vf0, { poll });
try {
  await h.vf.reset();
  await h.vf.negotiateApi();
  for (let i = 0; i < 20; i++) await h.vf.setMac(macs[i & 1]!);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await h.vf.setMac(macs[i & 1]!);
  process.stderr.write(`vm-profile: ${n} set-MACs (${poll ? 'poll' : 'interrupt'}), ${((performance.now() - t0) / n).toFixed(3)} ms each\n`);
} finally {
  await h.close();
}
