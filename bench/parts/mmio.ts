/**
 * Part 1: the cost of one register access through the addon, next to empty N-API calls in the same
 * process (the floor). The region is a file-backed mapping (`mapFile`, as the native tests use), so a
 * read32 is the N-API call + argument checks + one volatile load from the page cache.
 *
 * Method: for each operation, a tight loop of K calls timed with process.hrtime.bigint(); ns per call =
 * loop time / K. R rounds; in every round each operation runs once, in rotated order, so noise from
 * the (shared) machine hits all of them alike. Warm-up rounds first (JIT tiers up) are not recorded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../../src/native.js';
import { BENCH_DIR, emit, stats, type Result } from '../lib.js';

interface Floor {
  noop(): undefined;
  rawNoop(): undefined;
  Target: new () => { noop(): undefined; read32(off: number): number; write32(off: number, v: number): undefined };
  Tagged: new () => { read32(off: number): number; check(off: number): undefined };
}

const K = Number(process.env.BENCH_MMIO_CALLS ?? 1_000_000);
const R = Number(process.env.BENCH_MMIO_ROUNDS ?? 15);
const WARMUP = 3;

const native = loadNative();
const floor = createRequire(import.meta.url)(join(BENCH_DIR, 'native', 'build', 'Release', 'bench_noop.node')) as Floor;
const dir = mkdtempSync(join(tmpdir(), 'ixgbevf-bench-'));
const file = join(dir, 'bar0');
writeFileSync(file, Buffer.alloc(16384));
const region = native.mapFile(file);
const pread = native.mapFile(file, undefined, { mmap: false });
const target = new floor.Target();
const tagged = new floor.Tagged();
if (!region.mapped || pread.mapped) throw new Error('expected one mapped and one pread region');
// The driver's path: VfioDevice uses these bound functions for BAR0 (no per-call `this` check).
const bound = region.accessors();

// What VfioDevice.regs wraps around the accessors (src/vfio/device.ts): a closed check, then the call.
let deviceClosed = false;
const gone = (): never => {
  throw new Error('closed');
};
const deviceRegs = {
  read32: (offset: number): number => (deviceClosed ? gone() : bound.read32(offset)),
  write32: (offset: number, value: number): void => (deviceClosed ? gone() : bound.write32(offset, value)),
};

let sink = 0;
// Each loop has the same shape: K calls, the offset varies over 64 registers, the result is kept.
const ops: { name: string; run: () => void }[] = [
  { name: 'empty N-API call noop() (floor)', run: () => { for (let i = 0; i < K; i++) floor.noop(); } },
  { name: 'empty C N-API call rawNoop()', run: () => { for (let i = 0; i < K; i++) floor.rawNoop(); } },
  { name: 'empty ObjectWrap method target.read32(off)', run: () => { let s = 0; for (let i = 0; i < K; i++) s ^= target.read32((i & 63) << 2); sink ^= s; } },
  { name: 'empty method, type-tag check of this only', run: () => { for (let i = 0; i < K; i++) tagged.check((i & 63) << 2); } },
  { name: 'empty method, addon dispatch (tag check+unwrap)', run: () => { let s = 0; for (let i = 0; i < K; i++) s ^= tagged.read32((i & 63) << 2); sink ^= s; } },
  { name: 'region.size getter (N-API accessor)', run: () => { let s = 0; for (let i = 0; i < K; i++) s ^= region.size; sink ^= s; } },
  { name: 'read32 (mmap of a file)', run: () => { let s = 0; for (let i = 0; i < K; i++) s ^= region.read32((i & 63) << 2); sink ^= s; } },
  { name: 'write32 (mmap of a file)', run: () => { for (let i = 0; i < K; i++) region.write32((i & 63) << 2, i); } },
  { name: 'read32 via accessors (mmap; the driver path)', run: () => { let s = 0; for (let i = 0; i < K; i++) s ^= bound.read32((i & 63) << 2); sink ^= s; } },
  { name: 'write32 via accessors (mmap; the driver path)', run: () => { for (let i = 0; i < K; i++) bound.write32((i & 63) << 2, i); } },
  { name: 'read32 via VfioDevice.regs wrapper (closed check + accessors)', run: () => { let s = 0; for (let i = 0; i < K; i++) s ^= deviceRegs.read32((i & 63) << 2); sink ^= s; } },
  { name: 'write32 via VfioDevice.regs wrapper (closed check + accessors)', run: () => { for (let i = 0; i < K; i++) deviceRegs.write32((i & 63) << 2, i); } },
  { name: 'read32 (pread fallback, mmap:false)', run: () => { let s = 0; const n = K / 10; for (let i = 0; i < n; i++) s ^= pread.read32((i & 63) << 2); sink ^= s; } },
];
const callsOf = (name: string): number => (name.includes('pread') ? K / 10 : K);

const samples = new Map<string, number[]>(ops.map((o) => [o.name, []]));
for (let round = 0; round < WARMUP + R; round++) {
  for (let j = 0; j < ops.length; j++) {
    const op = ops[(round + j) % ops.length]!;
    const t0 = process.hrtime.bigint();
    op.run();
    const ns = Number(process.hrtime.bigint() - t0) / callsOf(op.name);
    if (round >= WARMUP) samples.get(op.name)!.push(ns);
  }
}
region.close();
pread.close();
rmSync(dir, { recursive: true, force: true });
if (sink === 0.5) console.error(sink); // keep `sink` alive
deviceClosed = sink === 0.25;

const results: Result[] = ops.map((o) =>
  stats(1, o.name, 'ns/call', samples.get(o.name)!, { note: `${R} rounds of ${callsOf(o.name)} calls; value = round time / calls` }),
);
emit(results);
