/**
 * Part 6, inside the emulated rig (scripts/vm/README.md; `IXGBEVF_VM_NIC` igb or ixgbe, stock Linux PF):
 * this driver on VF0 (vfio-pci) against the stock kernel VF driver on VF1, in one boot.
 *
 * BENCH_VM_MODE=time (default):
 *   kernel: `ip link set <vf1> address` one process per change and in `ip -batch`, with ftrace on the
 *     driver's set-MAC function (bench/vm-kernel.ts); a batch with the unchanged address is the floor;
 *   ours in-process: `vf.setMac()` timed with performance.now(), interrupt-driven and `--poll`, split by
 *     the mailbox trace hook into before-the-request / waiting-for-the-PF / after-the-reply; the code as
 *     it ships (`dist/`, tsc's output, which `npm run bench` compiles first), with the same calls through
 *     tsx from `src/` interleaved for comparison (tsx's keepNames helper costs ~30 % on the host);
 *   the daemon's own work: set-mac handed to an in-process Daemon (dist/) owning VF0, no socket;
 *   warm lines: the in-process set-MAC and the daemon's set-mac (no state dir) after BENCH_VM_WARM_UP
 *     (2000) unmeasured calls, when V8 has optimized the path; the other lines are from the first ~60;
 *   ours through the daemon (`dist/cli/main.js daemon VF0`, with and without --state-dir): a connected
 *     client's (dist/'s DaemonClient) set-mac and status requests, and the CLI as a whole process
 *     (`ixgbevf set-mac VF0 …` through the daemon) next to `node -e 0`;
 *   costs for the breakdown: one BAR0 register read (VFSTATUS), a setImmediate turn, an await;
 *   ixgbe only: the PF's own time per request from the model's trace (QEMU clock, REQ → STS).
 * BENCH_VM_MODE=count (ixgbe, with `-global ixgbe.mbx-trace-regs=on`): register accesses per set-MAC,
 *   ours (interrupt, poll) and the kernel's, and PF ready → re-applied for a daemon-owned VF0 over
 *   BENCH_VM_RESETS PF down/up cycles (bench/vm-trace.ts). Tracing every access slows both drivers, so
 *   this mode reports no latency of its own.
 * Writes $IXGBEVF_VM_OUT/vm-<mode>.json: { results: Result[], raw }.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { openVf as openVfThroughTsx } from '../src/open/open-vf.js';
import { CLI, startDaemon } from './daemon.js';
import { ROOT, stats, type Result } from './lib.js';
import { bindStockVf } from './vm-kernel.js';
import { startEchoPeer } from './socket-floor.js';
import { MailboxTrace, accessesPerSetMac, pfTimes, recoveries } from './vm-trace.js';

/** The compiled module `dist/<rel>` (what users run), typed as its source. */
const shipped = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(ROOT, 'dist', rel)).href)) as T;
const { openVf } = await shipped<typeof import('../src/open/open-vf.js')>('open/open-vf.js');
const { DaemonClient } = await shipped<typeof import('../src/cli/client.js')>('cli/client.js');
const { Daemon } = await shipped<typeof import('../src/daemon/daemon.js')>('daemon/daemon.js');
const { parseRequest } = await shipped<typeof import('../src/daemon/protocol.js')>('daemon/protocol.js');
const { createLogger } = await shipped<typeof import('../src/daemon/log.js')>('daemon/log.js');

const num = (k: string, d: number): number => Number(process.env[k] ?? d);
const RUNS = num('BENCH_VM_RUNS', 20);
const ROUNDS = num('BENCH_VM_ROUNDS', 3);
const CLI_RUNS = num('BENCH_VM_CLI_RUNS', 5);
const RESETS = num('BENCH_VM_RESETS', 5);
/** Requests (and in-process calls) run before the *warm* lines are measured: V8 has optimized the path by then. */
const WARM_UP = num('BENCH_VM_WARM_UP', 2000);
const MODE = process.env.BENCH_VM_MODE === 'count' ? 'count' : 'time';
const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined || v === '') throw new Error(`bench vm-guest: ${k} is not set (run through scripts/vm/run)`);
  return v;
};
const NIC = env('IXGBEVF_VM_NIC');
const VF0 = env('VF0');
const OUT = env('IXGBEVF_VM_OUT');
const log = (s: string): void => void process.stderr.write(`vm-guest: ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const trace = new MailboxTrace(OUT);
const MACS_K = ['02:00:00:00:01:01', '02:00:00:00:01:02'];
const MACS_O = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
const alternating = (macs: readonly string[], n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => macs[(from + i) & 1]!);

const kernel = await bindStockVf(NIC, env('VF1'), env('IXGBEVF_VM_KROOT'), log);
let kIdx = 0;
const nextK = (): string => MACS_K[kIdx++ & 1]!;

interface OursSamples { total: number[]; before: number[]; wire: number[]; after: number[]; pf: number[] }
const newOurs = (): OursSamples => ({ total: [], before: [], wire: [], after: [], pf: [] });
const micro = { read32: [] as number[], immediate: [] as number[], await: [] as number[] };

/** `n` set-MACs on VF0 in-process; before = call → request copied in, wire = → reply copied out, after = → resumed. */
async function ours(poll: boolean, n: number, into: OursSamples, measureMicro = false, open: typeof openVf = openVf): Promise<void> {
  let tx = 0;
  let rx = 0;
  const h = await open(VF0, {
    poll,
    onTrace: (e) => {
      if (e.direction === 'vf-to-pf') tx = performance.now();
      else rx = performance.now();
    },
  });
  try {
    await h.vf.reset();
    await h.vf.negotiateApi();
    for (let i = 0; i < 3; i++) await h.vf.setMac(MACS_O[i & 1]!);
    const mark = trace.mark();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await h.vf.setMac(MACS_O[i & 1]!);
      const t1 = performance.now();
      into.total.push(t1 - t0);
      into.before.push(tx - t0);
      into.wire.push(rx - tx);
      into.after.push(t1 - rx);
    }
    if (trace.present) into.pf.push(...pfTimes(trace.since(mark), 0));
    if (measureMicro && h.regs !== undefined) {
      const K = 2000;
      let t0 = performance.now();
      let sink = 0;
      for (let i = 0; i < K; i++) sink ^= h.regs.read32(0x8); // VFSTATUS: no side effect
      micro.read32.push(((performance.now() - t0) / K) * 1000);
      t0 = performance.now();
      for (let i = 0; i < 200; i++) await new Promise<void>((r) => setImmediate(r));
      micro.immediate.push(((performance.now() - t0) / 200) * 1000);
      t0 = performance.now();
      for (let i = 0; i < K; i++) await null;
      micro.await.push(((performance.now() - t0) / K) * 1000 + (sink & 0));
    }
  } finally {
    await h.close();
  }
}

/**
 * `n` set-mac requests handed to an in-process Daemon that owns VF0 (the shipped dist/ Daemon, its real
 * openVf, its log written to /dev/null like the socket daemon's here): the daemon's own work per request
 * (parse and validate the line, dispatch, the mailbox transaction, the desired state, the save when
 * `stateDir` is given, the reply document, the audit line) without the socket and without a second
 * process. Set against the socket daemon's set-mac in the same boot, the difference is the unix-socket
 * round trip and the wake-ups of two processes.
 */
async function daemonHandle(stateDir: string | null, n: number, into: number[], dir: string): Promise<void> {
  const nullFd = openSync('/dev/null', 'w');
  const daemon = new Daemon({
    specs: [VF0],
    socketPath: join(dir, `handle-${stateDir === null ? 'nostate' : 'state'}.sock`),
    openVf,
    logger: createLogger('text', (line) => void writeSync(nullFd, line)),
    ...(stateDir === null ? {} : { stateDir }),
  });
  await daemon.start();
  try {
    const caller = { pid: process.pid, uid: 0, gid: 0 };
    let replies = 0;
    const reply = (outcome: { ok: boolean; result?: unknown }): void => {
      if (!outcome.ok) throw new Error(`in-process daemon set-mac failed: ${JSON.stringify(outcome)}`);
      if (JSON.stringify({ id: replies, ok: true, result: outcome.result }).length > 0) replies += 1; // the reply line, as the server would write it
    };
    const line = (i: number): string => JSON.stringify({ id: i, op: 'set-mac', vf: VF0, mac: MACS_O[i & 1]! });
    for (let i = 0; i < 3; i++) await daemon.handle(parseRequest(line(i)) as Parameters<typeof daemon.handle>[0], caller, reply);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await daemon.handle(parseRequest(line(i)) as Parameters<typeof daemon.handle>[0], caller, reply);
      into.push(performance.now() - t0);
    }
    if (replies !== n + 3) throw new Error(`in-process daemon: ${replies} replies for ${n + 3} requests`);
  } finally {
    await daemon.stop();
    closeSync(nullFd);
  }
}

/** In-process set-MACs on VF0 after WARM_UP unmeasured ones in the same open (the warm counterpart of ours()). */
async function oursWarm(n: number, into: number[]): Promise<void> {
  const h = await openVf(VF0);
  try {
    await h.vf.reset();
    await h.vf.negotiateApi();
    for (let i = 0; i < WARM_UP; i++) await h.vf.setMac(MACS_O[i & 1]!);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await h.vf.setMac(MACS_O[i & 1]!);
      into.push(performance.now() - t0);
    }
  } finally {
    await h.close();
  }
}

const results: Result[] = [];
const raw: Record<string, unknown> = { nic: NIC, netdev: kernel.netdev, traced: kernel.traced };
const P = (name: string): string => `${NIC}: ${name}`;
const ms = (name: string, unit: string, samples: number[], note: string): void => {
  if (samples.length > 0) results.push(stats(6, P(name), unit, samples, { percentiles: true, note }));
};

if (MODE === 'time') {
  const k = { trace: [] as number[], ip: [] as number[], batch: [] as number[], batchFloor: [] as number[], pf: [] as number[] };
  const oi = newOurs();
  const op = newOurs();
  const oiTsx = newOurs();
  const d = { setMac: [] as number[], status: [] as number[], setMacNoState: [] as number[], cli: [] as number[], node: [] as number[], echo: [] as number[], echoOnread: [] as number[], handle: [] as number[], handleNoState: [] as number[], setMacWarm: [] as number[] };
  const oursWarmSamples: number[] = [];
  const handleDir = mkdtempSync('/tmp/bench-vm-handle-');
  const kernelBlock = (): void => {
    const mark = trace.mark();
    kernel.traceOn();
    for (let i = 0; i < RUNS; i++) k.ip.push(kernel.ipOnce(nextK()));
    k.batch.push(kernel.ipBatch(alternating(MACS_K, RUNS, kIdx)) / RUNS);
    kIdx += RUNS;
    k.trace.push(...kernel.traceOff());
    k.batchFloor.push(kernel.ipBatch(Array.from({ length: RUNS }, () => kernel.currentMac())) / RUNS);
    if (trace.present) k.pf.push(...pfTimes(trace.since(mark), 1));
  };
  kernel.ipOnce(nextK()); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    log(`in-process round ${r + 1}/${ROUNDS}`);
    kernelBlock();
    await ours(false, RUNS, oi, r === 0);
    await ours(true, RUNS, op);
    await ours(false, RUNS, oiTsx, false, openVfThroughTsx);
    await daemonHandle(join(handleDir, 'state'), RUNS, d.handle, handleDir);
    await daemonHandle(null, RUNS, d.handleNoState, handleDir);
  }
  log(`in-process, warm: ${WARM_UP} set-MACs, then ${ROUNDS * RUNS} measured`);
  await oursWarm(ROUNDS * RUNS, oursWarmSamples);
  // The daemon owns VF0 from here; the kernel blocks go on interleaved with it.
  const dir = mkdtempSync('/tmp/bench-vm-');
  const socket = join(dir, 'd.sock');
  const echo = await startEchoPeer(join(dir, 'echo.sock'));
  for (const persist of [true, false]) {
    const daemon = await startDaemon([VF0], socket, persist ? ['--state-dir', join(dir, 'state')] : []);
    try {
      for (let r = 0; r < ROUNDS; r++) {
        log(`daemon round ${r + 1}/${ROUNDS} (${persist ? 'with' : 'without'} --state-dir)`);
        kernelBlock();
        // A new connection per round: the daemon closes one that stays idle for 5 s (the kernel block).
        const client = (await DaemonClient.connect(socket))!;
        for (let i = 0; i < 3; i++) await client.request('set-mac', { vf: VF0, mac: MACS_O[i & 1]! });
        for (let i = 0; i < RUNS; i++) {
          let t0 = performance.now();
          await client.request('set-mac', { vf: VF0, mac: MACS_O[i & 1]! });
          (persist ? d.setMac : d.setMacNoState).push(performance.now() - t0);
          if (!persist) continue;
          t0 = performance.now();
          await client.request('status');
          d.status.push(performance.now() - t0);
        }
        client.close();
        if (persist) {
          d.echo.push(...(await echo.pingPong(RUNS)));
          d.echoOnread.push(...(await echo.pingPongOnread(RUNS)));
        }
      }
      if (!persist) {
        // Warm: the same connected client after WARM_UP requests (V8 has optimized the daemon's path).
        log(`daemon, warm: ${WARM_UP} set-macs, then ${ROUNDS * RUNS} measured (no state dir)`);
        const client = (await DaemonClient.connect(socket))!;
        for (let i = 0; i < WARM_UP; i++) await client.request('set-mac', { vf: VF0, mac: MACS_O[i & 1]! });
        for (let i = 0; i < ROUNDS * RUNS; i++) {
          const t0 = performance.now();
          await client.request('set-mac', { vf: VF0, mac: MACS_O[i & 1]! });
          d.setMacWarm.push(performance.now() - t0);
        }
        client.close();
      }
      if (persist) {
        const cliEnv = { ...process.env, IXGBEVF_SOCKET: socket };
        for (let i = 0; i < CLI_RUNS; i++) {
          let t0 = performance.now();
          const r = spawnSync(process.execPath, [CLI, 'set-mac', VF0, MACS_O[i & 1]!], { cwd: ROOT, env: cliEnv, encoding: 'utf8' });
          d.cli.push(performance.now() - t0);
          if (r.status !== 0 || !/through the daemon/.test(r.stdout)) throw new Error(`CLI set-mac through the daemon failed: ${r.stdout}${r.stderr}`);
          t0 = performance.now();
          spawnSync(process.execPath, ['-e', '0']);
          d.node.push(performance.now() - t0);
        }
      }
    } finally {
      await daemon.stop();
    }
  }
  await echo.stop();
  kernel.release();
  const n = `${ROUNDS} rounds × ${RUNS}`;
  ms('ours set-mac round trip, interrupt (VF0, vfio-pci)', 'ms', oi.total, `${n}; vf.setMac() in-process`);
  ms('ours set-mac round trip, --poll (VF0, vfio-pci)', 'ms', op.total, `${n}; vf.setMac() in-process`);
  ms('ours set-mac round trip, interrupt, warm (after the warm-up calls)', 'ms', oursWarmSamples, `${ROUNDS * RUNS} after ${WARM_UP} unmeasured set-MACs in the same open`);
  ms('comparison: ours interrupt, src/ through tsx (not as shipped)', 'ms', oiTsx.total, `${n}; the same calls, interleaved`);
  ms(`kernel ${kernel.driver} set-mac round trip (ftrace ${kernel.traced ?? '-'}, VF1)`, 'ms', k.trace, `${k.trace.length} traced calls, all kernel blocks (single ip and ip -batch)`);
  ms('ours through the daemon: set-mac, connected client (--state-dir)', 'ms', d.setMac, `${n}; DaemonClient over the unix socket`);
  ms('ours through the daemon: set-mac, connected client (no state dir)', 'ms', d.setMacNoState, `${n}`);
  ms('ours through the daemon: status, connected client', 'ms', d.status, `${n}; the socket round trip alone`);
  ms('ours through the daemon: set-mac, connected client (no state dir), warm', 'ms', d.setMacWarm, `${ROUNDS * RUNS} after ${WARM_UP} unmeasured requests on the same daemon`);
  ms('the daemon\'s own work: set-mac through Daemon.handle() in-process (--state-dir)', 'ms', d.handle, `${n}; parse, dispatch, transaction, save, reply, audit; no socket, one process`);
  ms('the daemon\'s own work: set-mac through Daemon.handle() in-process (no state dir)', 'ms', d.handleNoState, `${n}; interleaved with the in-process rounds`);
  ms('floor: one-line echo between two Node processes over a unix socket', 'ms', d.echo, `${n}; bench/socket-floor.ts, interleaved with the status rounds`);
  ms('floor, our client\'s way: the same echo, read through onread', 'ms', d.echoOnread, `${n}; as DaemonClient reads (the peer, like the daemon, reads through its stream)`);
  ms('ours: CLI set-mac through the daemon, whole process', 'ms wall', d.cli, `${CLI_RUNS} runs; spawn → exit`);
  ms('floor: node -e 0', 'ms wall', d.node, `${CLI_RUNS} runs`);
  ms(`kernel: ip link set address (VF1 ${kernel.driver}), whole command`, 'ms wall', k.ip, `${k.ip.length} runs; spawn → exit`);
  ms(`kernel: ip -batch, per address change (VF1 ${kernel.driver})`, 'ms wall', k.batch, `${k.batch.length} batches of ${RUNS}; process wall / ${RUNS}`);
  ms('floor: ip -batch, per unchanged-address line (no driver call)', 'ms wall', k.batchFloor, `${k.batchFloor.length} batches of ${RUNS}`);
  ms('breakdown ours interrupt: call → request in the mailbox', 'ms', oi.before, 'lock, checks, 16 words, doorbell');
  ms('breakdown ours interrupt: request in → reply copied out', 'ms', oi.wire, 'the PF + our wake-up + reading the reply');
  ms('breakdown ours interrupt: reply copied out → await resumed', 'ms', oi.after, 'release, decode, promise resumption');
  ms('breakdown ours --poll: call → request in the mailbox', 'ms', op.before, '');
  ms('breakdown ours --poll: request in → reply copied out', 'ms', op.wire, '');
  ms('breakdown ours --poll: reply copied out → await resumed', 'ms', op.after, '');
  ms('PF time per request, ours (model trace REQ → STS, QEMU clock)', 'ms', [...oi.pf, ...op.pf], 'vf=0, both modes');
  ms('PF time per request, kernel (model trace REQ → STS, QEMU clock)', 'ms', k.pf, 'vf=1');
  ms('cost: one BAR0 register read (regs.read32, trap into QEMU)', 'µs', micro.read32, '2000 reads of VFSTATUS');
  ms('cost: one setImmediate turn of the event loop', 'µs', micro.immediate, '200 turns');
  ms('cost: one await of a resolved value', 'µs', micro.await, '2000 awaits');
  Object.assign(raw, { kernel: k, oursInt: oi, oursPoll: op, daemon: d, micro });
} else {
  if (!trace.present) throw new Error('count mode needs the ixgbe rig (the model writes the mailbox trace)');
  const N = RUNS;
  let mark = trace.mark();
  for (let i = 0; i < N + 1; i++) kernel.ipOnce(nextK());
  const kc = accessesPerSetMac(trace.since(mark), 1);
  const count: Record<string, ReturnType<typeof accessesPerSetMac>> = { kernel: kc };
  for (const poll of [false, true]) {
    const s = newOurs();
    mark = trace.mark();
    await ours(poll, N + 1, s);
    const lines = trace.since(mark);
    // Only the timed loop: from the 4th SET_MAC request on (3 warm-up set-MACs precede it).
    const all = accessesPerSetMac(lines, 0);
    count[poll ? 'poll' : 'interrupt'] = { total: all.total.slice(3), reads: all.reads.slice(3), writes: all.writes.slice(3) };
  }
  for (const [who, c] of Object.entries(count)) {
    const name = who === 'kernel' ? `kernel ${kernel.driver}` : `ours ${who === 'poll' ? '--poll' : 'interrupt'}`;
    results.push(stats(6, P(`register accesses per set-MAC, ${name}`), 'accesses', c.total, { note: `reads ${c.reads.join('/')} | writes ${c.writes.join('/')}` }));
  }
  // PF ready → re-applied: the daemon owns VF0 with a MAC; the PF goes down and up.
  kernel.release();
  const dir = mkdtempSync('/tmp/bench-vm-');
  const socket = join(dir, 'd.sock');
  const daemon = await startDaemon([VF0], socket, ['--state-dir', join(dir, 'state')]);
  const pfnet = env('PFNET');
  try {
    const client = (await DaemonClient.connect(socket))!;
    await client.request('set-mac', { vf: VF0, mac: MACS_O[0]! });
    client.close();
    mark = trace.mark();
    for (let r = 0; r < RESETS; r++) {
      const m = trace.mark();
      spawnSync('/sbin/ip', ['link', 'set', pfnet, 'down']);
      spawnSync('/sbin/ip', ['link', 'set', pfnet, 'up']);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !trace.since(m).some((l) => l.kind === 'msg' && l.vf === 0 && l.dir === 'pf2vf' && (l.w0 & 0xffff) === 0x02)) await sleep(200);
      await sleep(1000);
    }
    const rec = recoveries(trace.since(mark), 0);
    results.push(
      stats(6, P('PF ready → VF0 first request (daemon; model trace, QEMU clock)'), 'ms', rec.react, { percentiles: true, note: `${RESETS} PF down/up; pf-reset-done event → VF's first request` }),
      stats(6, P('PF ready → VF0 state re-applied (daemon; model trace, QEMU clock)'), 'ms', rec.reapplied, { percentiles: true, note: `${RESETS} PF down/up; pf-reset-done → last reply of the re-apply` }),
    );
    Object.assign(raw, { count, recoveries: rec });
  } finally {
    await daemon.stop();
  }
}
writeFileSync(join(OUT, `vm-${MODE}.json`), `${JSON.stringify({ results, raw }, null, 2)}\n`);
log(`done: ${results.length} results (${MODE}, ${NIC})`);
