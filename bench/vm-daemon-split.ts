/**
 * Where a request through the daemon spends its time, inside the rig (issue 15, target 3):
 *   scripts/vm/run node --import tsx bench/vm-daemon-split.ts [cold=300] [warm-up=2000]
 * (`npm run bench:vm` does not run it; BENCHMARKS.md says what it found). For status, set-mac without a
 * state dir and set-mac with one: a fresh daemon (dist/, the units' node flags and environment, plus the
 * bench-only preload bench/daemon-split-preload.mjs) owns VF0; one connected client (dist/'s DaemonClient)
 * sends `cold` requests, then `warm-up` unmeasured ones, then `cold` more (warm). For each group it prints
 * the medians of the client's round trip and, inside the daemon, of 'data' → reply written, split for a
 * set-mac into 'data' → request in the mailbox → PF's reply copied out → reply written, and layer by layer
 * (the preload's marks: server → daemon → owned VF → VF → mailbox → PF → back). What is left of the round
 * trip is the socket both ways, the two processes' wake-ups and the client's own work.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CLI, daemonEnvironment, unitNodeFlags } from './daemon.js';
import { ROOT } from './lib.js';

const { DaemonClient } = (await import(pathToFileURL(join(ROOT, 'dist', 'cli', 'client.js')).href)) as typeof import('../src/cli/client.js');
const COLD = Number(process.argv[2] ?? 300);
const WARM_UP = Number(process.argv[3] ?? 2000);
const VF0 = process.env.VF0;
if (VF0 === undefined) throw new Error('run in the rig: VF0 is not set');
const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
const dir = mkdtempSync('/tmp/bench-split-');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const f3 = (x: number): string => x.toFixed(3);
/** A request's marks in the daemon (bench/daemon-split-preload.mjs says what each is), ms. */
type Marks = Record<string, number | undefined>;
/** The layers a set-mac passes, in order. */
const STEPS = ['data', 'handle', 'change', 'vfCall', 'mailbox', 'requestIn', 'replyOut', 'vfCallDone', 'changeDone', 'write'] as const;

for (const [name, op, extra] of [['status', 'status', []], ['set-mac, no state dir', 'set-mac', []], ['set-mac, --state-dir', 'set-mac', ['--state-dir', join(dir, 'state')]]] as const) {
  const socket = join(dir, `${op}-${extra.length}.sock`);
  const out = join(dir, `${op}-${extra.length}.json`);
  const child = spawn(process.execPath, [...unitNodeFlags(), '--import', join(ROOT, 'bench', 'daemon-split-preload.mjs'), CLI, 'daemon', VF0, '--socket', socket, ...extra], {
    stdio: 'ignore',
    env: { ...daemonEnvironment(), DAEMON_SPLIT_OUT: out },
  });
  const exited = new Promise((r) => child.on('exit', r));
  let client: Awaited<ReturnType<typeof DaemonClient.connect>> = null;
  for (let tries = 0; client === null; tries++) {
    if (tries > 1200) throw new Error('the daemon did not get ready');
    const c = await DaemonClient.connect(socket).catch(() => null);
    const st = c === null ? null : await c.request<{ vfs: { state: string }[] }>('status');
    if (st !== null && st.vfs.length === 1 && st.vfs[0]!.state === 'ready') client = c;
    else {
      c?.close();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const roundTrips: number[] = [];
  const total = COLD + WARM_UP + COLD;
  for (let i = 0; i < total; i++) {
    const t0 = performance.now();
    await client.request(op, op === 'status' ? {} : { vf: VF0, mac: MACS[i & 1]! });
    roundTrips.push(performance.now() - t0);
  }
  client.close();
  child.kill('SIGTERM');
  await exited;
  const inside = (JSON.parse(readFileSync(out, 'utf8')) as Marks[]).slice(-total);
  for (const [group, from] of [['cold', 0], ['warm', COLD + WARM_UP]] as const) {
    const rt = roundTrips.slice(from, from + COLD);
    const sp = inside.slice(from, from + COLD);
    const between = (a: string, b: string): number => median(sp.filter((m) => m[a] !== undefined && m[b] !== undefined).map((m) => m[b]! - m[a]!));
    const inDaemon = between('data', 'write');
    const split = op === 'set-mac' ? `; data → request in ${f3(between('data', 'requestIn'))}, request → reply out ${f3(between('requestIn', 'replyOut'))}, reply → written ${f3(between('replyOut', 'write'))}` : '';
    console.log(`${name.padEnd(22)} ${group} (${COLD}): round trip ${f3(median(rt))} ms; in the daemon data → reply written ${f3(inDaemon)} ms${split}; outside it ${f3(median(rt) - inDaemon)} ms`);
    if (op === 'set-mac') console.log(`${''.padEnd(22)} ${group} by layer: ${STEPS.slice(1).map((step, i) => `${STEPS[i]} → ${step} ${f3(between(STEPS[i]!, step))}`).join(', ')}`);
  }
}
