/**
 * Part 6, host side: boots the emulated rig (scripts/vm/run, root only) and runs bench/vm-guest.ts in it.
 * For each NIC of BENCH_VM_NICS (default `ixgbe`; `igb,ixgbe` for both): one `time` boot (latencies, both
 * drivers side by side); on ixgbe also one `count` boot with `-global ixgbe.mbx-trace-regs=on` (register
 * accesses per set-MAC, PF ready → re-applied), kept apart because tracing every access slows the
 * drivers. Guest results and logs are kept in bench/results/vm-rig/<nic>-<mode>/.
 * Also judges the rig targets (1, 2, 3, 7) from those results.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, ROOT, type Goal, type Result } from './lib.js';

const PASS = 'BENCH_VM_RUNS BENCH_VM_ROUNDS BENCH_VM_CLI_RUNS BENCH_VM_RESETS BENCH_VM_MODE';

async function boot(nic: string, mode: 'time' | 'count'): Promise<Result[]> {
  const out = join(BENCH_DIR, 'results', 'vm-rig', `${nic}-${mode}`);
  const t0 = Date.now();
  const child = spawn(join(ROOT, 'scripts', 'vm', 'run'), [process.execPath, '--import', 'tsx', join(BENCH_DIR, 'vm-guest.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      IXGBEVF_VM_NIC: nic,
      IXGBEVF_VM_RESULTS: out,
      IXGBEVF_VM_QUIET: '1',
      IXGBEVF_VM_PASSENV: PASS,
      BENCH_VM_MODE: mode,
      ...(mode === 'count' ? { IXGBEVF_VM_QEMU_ARGS: `${process.env.IXGBEVF_VM_QEMU_ARGS ?? ''} -global ixgbe.mbx-trace-regs=on`.trim() } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const file = join(out, `vm-${mode}.json`);
  if (code !== 0 || !existsSync(file)) throw new Error(`bench:vm: the ${nic} rig run (${mode}) failed (exit ${code}); see ${out}/guest.log and console.log`);
  process.stderr.write(`bench: ${nic} ${mode} boot took ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { results: Result[] }).results;
}

export async function runVmPart(): Promise<Result[]> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:vm: needs root (the QEMU rig, scripts/vm/run, boots a guest with vfio and loads modules); run it as root\n');
    process.exit(1);
  }
  const nics = (process.env.BENCH_VM_NICS ?? 'ixgbe').split(',').filter((n) => n !== '');
  const results: Result[] = [];
  for (const nic of nics) {
    results.push(...(await boot(nic, 'time')));
    if (nic === 'ixgbe') results.push(...(await boot(nic, 'count')));
  }
  return results;
}

/** Targets 1, 2, 3 and 7 of the rig, per NIC found in `results`. */
export function vmGoals(results: readonly Result[]): Goal[] {
  const goals: Goal[] = [];
  for (const nic of ['igb', 'ixgbe']) {
    const f = (name: string): Result | undefined => results.find((r) => r.part === 6 && r.name.startsWith(`${nic}: ${name}`));
    const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    const kc = f('register accesses per set-MAC, kernel');
    const oc = f('register accesses per set-MAC, ours interrupt');
    const pc = f('register accesses per set-MAC, ours --poll');
    if (kc && oc && pc) {
      goals.push({ part: 6, goal: `[${nic}] target 1: register accesses per set-MAC ≤ the kernel's`, met: oc.median <= kc.median && pc.median <= kc.median, measured: `ours interrupt ${oc.median}, --poll ${pc.median} (median; min–max ${oc.min}–${oc.max} / ${pc.min}–${pc.max}) vs kernel ${kc.median} (${kc.min}–${kc.max})` });
    }
    const oi = f('ours set-mac round trip, interrupt');
    const op = f('ours set-mac round trip, --poll');
    const kt = f('kernel ') && results.find((r) => r.part === 6 && r.name.startsWith(`${nic}: kernel `) && r.name.includes('ftrace'));
    if (oi && op && kt) {
      goals.push({ part: 6, goal: `[${nic}] target 2: in-process set-MAC ≤ 2× the kernel's (same boot)`, met: oi.median <= 2 * kt.median && op.median <= 2 * kt.median, measured: `median ours interrupt ${oi.median.toFixed(3)} ms (${x(oi.median, kt.median)}), --poll ${op.median.toFixed(3)} ms (${x(op.median, kt.median)}) vs kernel ${kt.median.toFixed(3)} ms (ftrace)` });
    }
    const ds = f('ours through the daemon: set-mac, connected client (--state-dir)');
    const dn = f('ours through the daemon: set-mac, connected client (no state dir)');
    const st = f('ours through the daemon: status');
    const fl = f('floor: one-line echo between two Node processes');
    const fo = f('floor, our client\'s way');
    const hn = f('the daemon\'s own work: set-mac through Daemon.handle() in-process (no state dir)');
    const ow = f('ours set-mac round trip, interrupt, warm');
    const dw = f('ours through the daemon: set-mac, connected client (no state dir), warm');
    if (oi && ds) {
      goals.push({ part: 6, goal: `[${nic}] target 3: through the daemon (connected client) ≤ 2× in-process`, met: ds.median <= 2 * oi.median, measured: `set-mac with --state-dir ${ds.median.toFixed(3)} ms (${x(ds.median, oi.median)} of in-process interrupt ${oi.median.toFixed(3)} ms)` + (dn ? `, without a state dir ${dn.median.toFixed(3)} ms (${x(dn.median, oi.median)})` : '') + (st ? `; a bare status round trip ${st.median.toFixed(3)} ms` : '') + (fl ? `; the floor, a one-line echo between two Node processes, ${fl.median.toFixed(3)} ms (${x(fl.median, oi.median)} of in-process)` : '') + (fo ? `, ${fo.median.toFixed(3)} ms (${x(fo.median, oi.median)}) with the client reading through onread as ours does` : '') + (hn ? `; the daemon's own work without the socket (Daemon.handle() in-process, no state dir) ${hn.median.toFixed(3)} ms (${x(hn.median, oi.median)})` : '') + (ow && dw ? `; warm (after the warm-up requests): through the daemon ${dw.median.toFixed(3)} ms vs in-process ${ow.median.toFixed(3)} ms (${x(dw.median, ow.median)})` : '') });
    }
    const re = f('PF ready → VF0 state re-applied');
    if (re) goals.push({ part: 6, goal: `[${nic}] target 7: PF ready → state re-applied ≤ 100 ms`, met: re.median <= 100 && re.max <= 100, measured: `median ${re.median.toFixed(1)} ms, max ${re.max.toFixed(1)} ms over ${re.runs} PF down/up (QEMU clock, with register tracing on)` });
  }
  return goals;
}
