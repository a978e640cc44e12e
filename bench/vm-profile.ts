/**
 * Where the in-process set-MAC spends its time, from a V8 CPU profile, inside the rig (any NIC):
 *   scripts/vm/run node --import tsx bench/vm-profile.ts [n] [--poll | --daemon]
 * (`npm run bench:vm` does not run it; BENCHMARKS.md says how it was used). Opens VF0, resets,
 * negotiates, then n (default 1000) sequential `vf.setMac()` calls, profiled (node:inspector, BENCH_PROFILE_INTERVAL_US
 * sampling, default 500 µs) from the first to the last call only; the profile lands in $IXGBEVF_VM_OUT/inproc.cpuprofile and `npx tsx bench/profile-summary.ts <file>` groups its samples.
 * `--daemon`: instead, the real daemon (dist/, --state-dir) owns VF0 and is profiled itself (node
 * --cpu-prof, whole process life; written when it stops), while this process sends it n set-mac requests
 * over one connection; it prints how long after the spawn the daemon was ready (skip that much of the
 * profile: profile-summary --skip-ms).
 */
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { DaemonClient } from '../src/cli/client.js';
import { openVf } from '../src/open/open-vf.js';
import { CLI } from './daemon.js';

const n = Number(process.argv[2] ?? 1000);
const poll = process.argv.includes('--poll');
/** Sampling interval: finer intervals slow the guest (TCG) enough to distort what is measured. */
const INTERVAL_US = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 500);
const vf0 = process.env.VF0;
if (vf0 === undefined) throw new Error('run in the rig: VF0 is not set');
const macs = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
if (process.argv.includes('--daemon')) {
  const dir = mkdtempSync('/tmp/bench-prof-');
  const socket = join(dir, 'd.sock');
  const spawned = performance.now();
  // --cpu-prof is not allowed in NODE_OPTIONS: the daemon is spawned with it on its command line.
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${process.env.IXGBEVF_VM_OUT ?? dir}`, '--cpu-prof-name=daemon.cpuprofile', `--cpu-prof-interval=${INTERVAL_US}`, CLI, 'daemon', vf0, '--socket', socket, '--state-dir', join(dir, 'state')], { stdio: ['ignore', 'ignore', openSync(join(dir, 'daemon.log'), 'w')] });
  const exited = new Promise((r) => child.on('exit', r));
  for (;;) {
    const c = await DaemonClient.connect(socket).catch(() => null);
    const st = c === null ? null : await c.request<{ vfs: { state: string }[] }>('status');
    c?.close();
    if (st !== null && st.vfs.length === 1 && st.vfs.every((v) => v.state === 'ready')) break;
    if (performance.now() - spawned > 120_000) throw new Error('the daemon did not get ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stderr.write(`vm-profile: daemon ready ${(performance.now() - spawned).toFixed(0)} ms after the spawn\n`);
  // The daemon's log goes to the guest's own disk (a file on the results share, 9p, would cost ~1.8 ms a
  // line: more than the request) and is copied to the results when the daemon has stopped.
  const d = { socket, stop: async () => { child.kill('SIGTERM'); await exited; if (process.env.IXGBEVF_VM_OUT !== undefined) copyFileSync(join(dir, 'daemon.log'), join(process.env.IXGBEVF_VM_OUT, 'daemon.log')); } };
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
  // BENCH_PROFILE_INTERVAL_US=0: no profiler, the plain loop (an A/B timing of two trees in one boot).
  const session = INTERVAL_US > 0 ? new Session() : null;
  session?.connect();
  await session?.post('Profiler.enable');
  await session?.post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  await session?.post('Profiler.start');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await h.vf.setMac(macs[i & 1]!);
  if (session !== null) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(process.env.IXGBEVF_VM_OUT ?? '/tmp', `inproc${poll ? '-poll' : ''}.cpuprofile`), JSON.stringify(profile));
  }
  const each = (performance.now() - t0) / n;
  process.stderr.write(`vm-profile: ${n} set-MACs (${poll ? 'poll' : 'interrupt'}${session === null ? '' : ', profiled'}), ${each.toFixed(3)} ms each\n`);
} finally {
  await h.close();
}
