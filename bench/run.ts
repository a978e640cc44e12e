/**
 * `npm run bench` (parts 1–5 and 7) and `npm run bench:vm` (part 6, the emulated rig; needs root): runs each
 * part in a fresh process, prints one table, judges the issue's goals, writes
 * bench/results/latest.json (parts 1–5, 7) or bench/results/latest-vm.json (part 6) and a .md next to it.
 *
 *   tsx bench/run.ts [--only=1,3] [--vm]     --vm adds part 6; --only picks parts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, ROOT, goalsTable, machine, runPart, table, type Goal, type Result } from './lib.js';
import { runVmPart, vmGoals } from './vm.js';

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').map(Number);
const parts = only ?? (args.includes('--vm') ? [1, 2, 3, 4, 5, 7, 6] : [1, 2, 3, 4, 5, 7]);

const started = new Date();
const before = machine();
const results: Result[] = [];
const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

if (parts.some((p) => p === 3 || p === 5 || p === 6 || p === 7)) {
  log('compiling dist/ (tsc -p tsconfig.json, then the bin\'s bundle): parts 3, 5, 6 and 7 run the real bin');
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  } catch {
    // tsc still emits on type errors; a tree mid-edit elsewhere should not stop a measurement.
    log('tsc reported errors (see above); dist/ was emitted anyway, measuring what it holds');
  }
  // The bin is the bundle of the same sources: rebuilt too, or it would run what an older build left.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs')], { stdio: 'inherit' });
}
for (const part of parts) {
  const t0 = Date.now();
  log(`part ${part} …`);
  switch (part) {
    case 1:
      execFileSync(process.execPath, [join(BENCH_DIR, 'build-noop.mjs')], { stdio: 'inherit' });
      results.push(...(await runPart('mmio.ts')));
      break;
    case 2:
      results.push(...(await runPart('mailbox.ts')));
      break;
    case 3:
      results.push(...(await runPart('idle.ts')));
      break;
    case 4:
      results.push(...(await runPart('scale.ts', ['--expose-gc'], ['interrupt'])));
      results.push(...(await runPart('scale.ts', ['--expose-gc'], ['poll'])));
      break;
    case 5:
      results.push(...(await runPart('cli.ts')));
      break;
    case 6:
      results.push(...(await runVmPart()));
      break;
    case 7:
      results.push(...(await runPart('daemon-scale.ts')));
      break;
    default:
      throw new Error(`no part ${part}`);
  }
  log(`part ${part} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const find = (part: number, name: string): Result | undefined => results.find((r) => r.part === part && r.name.startsWith(name));
const goals: Goal[] = [];
{
  const floor = find(1, 'empty N-API call noop()');
  const read = find(1, 'read32 via accessors');
  const write = find(1, 'write32 via accessors');
  const methodRead = find(1, 'read32 (mmap');
  const dispatch = find(1, 'empty method, addon dispatch');
  const wrapped = find(1, 'read32 via VfioDevice.regs');
  if (floor && read && write) {
    const rr = read.median / floor.median;
    const wr = write.median / floor.median;
    goals.push({
      part: 1,
      goal: 'target 5: read32/write32 through the driver path ≤ 2× an empty N-API call',
      met: rr <= 2 && wr <= 2,
      measured: `driver path (bound accessors): read32 ${read.median.toFixed(0)} ns (${rr.toFixed(1)}×), write32 ${write.median.toFixed(0)} ns (${wr.toFixed(1)}×), noop() ${floor.median.toFixed(0)} ns` +
        (wrapped ? `; through VfioDevice.regs' closed-check wrapper ${wrapped.median.toFixed(0)} ns (${(wrapped.median / floor.median).toFixed(1)}×)` : '') +
        (methodRead ? `; region.read32 method ${methodRead.median.toFixed(0)} ns` : '') +
        (dispatch ? `; an empty method with the addon's dispatch (type-tag check + unwrap of \`this\`) alone: ${dispatch.median.toFixed(0)} ns (${(dispatch.median / floor.median).toFixed(1)}×)` : ''),
    });
  }
  const idle = find(3, 'idle daemon, 64 sim VFs, interrupt: CPU over');
  const win = find(3, 'idle daemon, 64 sim VFs, interrupt: CPU per 1-s');
  const sw = find(3, 'idle daemon, 64 sim VFs, interrupt: context');
  if (idle && win && sw) {
    goals.push({
      part: 3,
      goal: 'idle daemon (64 VFs, interrupt mode): CPU near zero (≤ 0.01 CPU s in 10 s, i.e. ≤ 0.1 % of a core)',
      met: idle.median <= 0.01,
      measured: `${idle.median.toFixed(2)} CPU s in 10 s; per-second windows ${win.min.toFixed(1)}/${win.median.toFixed(1)}/${win.max.toFixed(1)} ms (min/median/max); ${sw.median} context switches`,
    });
  }
  const cold = find(5, 'CLI set-mac sim, cold');
  const nodeFloor = find(5, 'floor: node -e 0');
  if (cold && nodeFloor) {
    goals.push({ part: 5, goal: 'target 4: CLI `set-mac sim` cold ≤ 1.5× `node -e 0`', met: cold.median <= 1.5 * nodeFloor.median, measured: `${cold.median.toFixed(0)} ms vs ${nodeFloor.median.toFixed(0)} ms (${(cold.median / nodeFloor.median).toFixed(2)}×), medians of ${cold.runs} interleaved runs` });
  }
  const n = (name: string): Result | undefined => results.find((r) => r.part === 7 && r.name.includes(name));
  const idle2 = n('idle CPU over 10 s, window 2');
  const idle1 = n('idle CPU over 10 s, window 1');
  const perVf = n('RSS per VF ((N-VF − 1-VF) / (N − 1)), lowest');
  const perVfEnd = n('RSS per VF ((N-VF − 1-VF) / (N − 1)), at the end');
  const rec = n('all re-applied');
  if (idle1 && idle2 && perVf && rec) {
    goals.push({
      part: 7,
      goal: 'target 6: one daemon, 256 sim VFs: idle ≤ 0.01 CPU s / 10 s, RSS ≤ 32 KiB per VF, all re-applied ≤ 1 s after their PFs reset',
      met: idle1.median <= 0.01 && idle2.median <= 0.01 && perVf.median <= 32 && rec.max <= 1000,
      measured: `idle ${idle1.median.toFixed(2)} CPU s (first 10 s) / ${idle2.median.toFixed(2)} CPU s (next 10 s); RSS per VF ${perVf.median.toFixed(1)} KiB (lowest sample; ${perVfEnd?.median.toFixed(1)} KiB at the end); all re-applied in ${rec.median.toFixed(0)} ms median, ${rec.max.toFixed(0)} ms max of ${rec.runs}`,
    });
  }
  goals.push(...vmGoals(results));
}

let git = 'unknown';
try {
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'native'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  git = dirty ? `${head} (src/ or native/ modified in the working tree)` : head;
} catch {
  /* not a checkout */
}
const doc = { git, started: started.toISOString(), finished: new Date().toISOString(), command: `npm run ${parts.includes(6) && parts.length === 1 ? 'bench:vm' : 'bench'}`, machineBefore: before, machineAfter: machine(), parts, results, goals };
const out = join(BENCH_DIR, 'results');
mkdirSync(out, { recursive: true });
const base = parts.length === 1 && parts[0] === 6 ? 'latest-vm' : 'latest';
writeFileSync(join(out, `${base}.json`), `${JSON.stringify(doc, null, 2)}\n`);
const md = `${table(results)}\n\n${goals.length > 0 ? `${goalsTable(goals)}\n` : ''}`;
writeFileSync(join(out, `${base}.md`), md);
process.stdout.write(`\n${md}\ngit ${git}; load average before ${JSON.stringify(before.loadavg)}, after ${JSON.stringify(machine().loadavg)}\nwritten: bench/results/${base}.json, bench/results/${base}.md\n`);
