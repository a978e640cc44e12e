/**
 * Part 6, inside the emulated rig (QEMU igb PF with the stock Linux igb driver; see scripts/vm/README.md):
 * the set-MAC round trip of this driver on VF0 (vfio-pci; interrupt-driven, then `--poll`) against the
 * stock kernel igbvf driver on VF1 doing the same.
 *
 * Ours: `vf.setMac()` timed with performance.now() in this process (request written → PF's ACK read).
 * Kernel: `ip link set dev <vf1-netdev> address <mac>` (alternating two addresses), measured two ways:
 *   - ftrace function_graph on igbvf_set_mac (ndo_set_mac_address: writes SET_MAC_ADDR to the
 *     mailbox, polls for the ACK and the reply): the driver's own round trip, what ours is compared to;
 *   - the wall time of the whole `ip` command, and of `ip link set … address <the current address>`
 *     (the kernel returns before calling the driver when the address does not change): process + netlink floor.
 * ROUNDS rounds; each runs a block of RUNS of every variant in turn (kernel, floor, ours interrupt, ours poll).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openVf } from '../src/open.js';
import { stats, type Result } from './lib.js';

const RUNS = Number(process.env.BENCH_VM_RUNS ?? 20);
const ROUNDS = Number(process.env.BENCH_VM_ROUNDS ?? 3);
const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined || v === '') throw new Error(`bench vm-guest: ${k} is not set (run through scripts/vm/run)`);
  return v;
};
const VF0 = env('VF0');
const VF1 = env('VF1');
const KROOT = env('IXGBEVF_VM_KROOT');
const OUT = env('IXGBEVF_VM_OUT');
const log = (s: string): void => void process.stderr.write(`vm-guest: ${s}\n`);
const write = (path: string, text: string): void => writeFileSync(path, text);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- VF1 on the stock igbvf driver
execFileSync('/sbin/modprobe', ['-d', KROOT, 'igbvf']);
write(`/sys/bus/pci/devices/${VF1}/driver_override`, 'igbvf');
write('/sys/bus/pci/drivers_probe', VF1);
let netdev = '';
for (let i = 0; i < 100 && netdev === ''; i++) {
  const dir = `/sys/bus/pci/devices/${VF1}/net`;
  if (existsSync(dir)) netdev = readdirSync(dir)[0] ?? '';
  if (netdev === '') await sleep(100);
}
if (netdev === '') throw new Error(`igbvf did not create a netdev for ${VF1}`);
log(`VF1 ${VF1} is ${netdev} (igbvf)`);
const currentMac = (): string => readFileSync(`/sys/class/net/${netdev}/address`, 'utf8').trim();

// --- ftrace on igbvf_set_mac, if the kernel has it
const T = '/sys/kernel/tracing';
let ftrace = false;
try {
  if (!existsSync(join(T, 'trace'))) execFileSync('/bin/mount', ['-t', 'tracefs', 'nodev', T]);
  const funcs = readFileSync(join(T, 'available_filter_functions'), 'utf8');
  if (/^igbvf_set_mac\b/m.test(funcs)) {
    write(join(T, 'tracing_on'), '0');
    write(join(T, 'current_tracer'), 'nop');
    write(join(T, 'set_ftrace_filter'), 'igbvf_set_mac');
    write(join(T, 'current_tracer'), 'function_graph');
    ftrace = true;
  } else log('igbvf_set_mac is not traceable: kernel side from ip wall time only');
} catch (err) {
  log(`no ftrace (${(err as Error).message.split('\n')[0]}): kernel side from ip wall time only`);
}
function traced(): number[] {
  const text = readFileSync(join(T, 'trace'), 'utf8');
  const out: number[] = [];
  for (const m of text.matchAll(/([\d.]+) us\s*\|\s*igbvf_set_mac/g)) out.push(Number(m[1]) / 1000);
  return out;
}

const MACS_K = ['02:00:00:00:01:01', '02:00:00:00:01:02'];
const MACS_O = ['02:00:00:00:00:01', '02:00:00:00:00:02'];
const ip = (args: string[]): number => {
  const t0 = performance.now();
  const r = spawnSync('/sbin/ip', args, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return ms;
};

const s = { kernIp: [] as number[], kernFloor: [] as number[], kernTrace: [] as number[], floorTraced: 0, oursInt: [] as number[], oursPoll: [] as number[], wireInt: [] as number[], wirePoll: [] as number[] };
let kIdx = 0;
async function ours(poll: boolean, into: number[], wire: number[]): Promise<void> {
  // The mailbox trace marks the request being copied into the mailbox (tx) and the reply copied out
  // (rx): tx → rx is the time spent waiting for the PF (its handling + our notification), the rest
  // of the round trip is this driver's own work (lock, checks, doorbell, promise resumption).
  let tx = 0;
  let rx = 0;
  const h = await openVf(VF0, {
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
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await h.vf.setMac(MACS_O[i & 1]!);
      into.push(performance.now() - t0);
      wire.push(rx - tx);
    }
  } finally {
    await h.close();
  }
}

for (let r = 0; r < ROUNDS; r++) {
  log(`round ${r + 1}/${ROUNDS}`);
  ip(['link', 'set', 'dev', netdev, 'address', MACS_K[kIdx++ & 1]!]); // warm-up
  if (ftrace) {
    write(join(T, 'trace'), '');
    write(join(T, 'tracing_on'), '1');
  }
  for (let i = 0; i < RUNS; i++) s.kernIp.push(ip(['link', 'set', 'dev', netdev, 'address', MACS_K[kIdx++ & 1]!]));
  if (ftrace) {
    write(join(T, 'tracing_on'), '0');
    s.kernTrace.push(...traced());
    write(join(T, 'trace'), '');
    write(join(T, 'tracing_on'), '1');
  }
  for (let i = 0; i < RUNS; i++) s.kernFloor.push(ip(['link', 'set', 'dev', netdev, 'address', currentMac()]));
  if (ftrace) {
    write(join(T, 'tracing_on'), '0');
    s.floorTraced += traced().length;
  }
  await ours(false, s.oursInt, s.wireInt);
  await ours(true, s.oursPoll, s.wirePoll);
}
if (ftrace) write(join(T, 'current_tracer'), 'nop');

const n = ROUNDS * RUNS;
const note = `${ROUNDS} rounds × ${RUNS}`;
const results: Result[] = [
  stats(6, 'ours set-mac round trip, interrupt (VF0, vfio-pci)', 'ms', s.oursInt, { percentiles: true, note: `${note}; vf.setMac() in-process` }),
  stats(6, 'ours set-mac round trip, --poll (VF0, vfio-pci)', 'ms', s.oursPoll, { percentiles: true, note: `${note}; vf.setMac() in-process` }),
  stats(6, 'ours: waiting for the PF (request in → reply out), interrupt', 'ms', s.wireInt, { percentiles: true, note: `${note}; mailbox trace timestamps` }),
  stats(6, 'ours: waiting for the PF (request in → reply out), --poll', 'ms', s.wirePoll, { percentiles: true, note: `${note}; mailbox trace timestamps` }),
];
if (ftrace && s.kernTrace.length > 0) {
  results.push(stats(6, 'kernel igbvf set-mac round trip (ftrace igbvf_set_mac, VF1)', 'ms', s.kernTrace, { percentiles: true, note: `${s.kernTrace.length} of ${n} calls traced (function_graph duration)` }));
}
results.push(
  stats(6, 'kernel: ip link set address (VF1 igbvf), whole command', 'ms wall', s.kernIp, { percentiles: true, note: `${note}; spawn → exit` }),
  stats(6, 'floor: ip link set address <unchanged> (no driver call)', 'ms wall', s.kernFloor, { percentiles: true, note: `${note}; igbvf_set_mac calls seen: ${ftrace ? s.floorTraced : 'n/a'}` }),
);
const kernel = execFileSync('/bin/uname', ['-r'], { encoding: 'utf8' }).trim();
writeFileSync(join(OUT, 'vm.json'), `${JSON.stringify({ kernel, netdev, ftrace, raw: s, results }, null, 2)}\n`);
log(`done: ${results.length} results (kernel ${kernel}, ftrace ${ftrace})`);
