/**
 * Part 6, host side: boots the emulated rig once (scripts/vm/run, root only) and runs bench/vm-guest.ts
 * in it; the guest writes its results to $IXGBEVF_VM_OUT/vm.json, kept in bench/results/vm-rig/.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, ROOT, type Result } from './lib.js';

export async function runVmPart(): Promise<Result[]> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:vm: needs root (the QEMU rig, scripts/vm/run, boots a guest with vfio and loads modules); run it as root\n');
    process.exit(1);
  }
  const out = join(BENCH_DIR, 'results', 'vm-rig');
  const child = spawn(join(ROOT, 'scripts', 'vm', 'run'), [process.execPath, '--import', 'tsx', join(BENCH_DIR, 'vm-guest.ts')], {
    cwd: ROOT,
    env: { ...process.env, IXGBEVF_VM_RESULTS: out, IXGBEVF_VM_QUIET: '1', IXGBEVF_VM_PASSENV: 'BENCH_VM_RUNS BENCH_VM_ROUNDS' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const file = join(out, 'vm.json');
  if (code !== 0 || !existsSync(file)) throw new Error(`bench:vm: the rig run failed (exit ${code}); see ${out}/guest.log and console.log`);
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { results: Result[] };
  return doc.results;
}
