/**
 * Groups the samples of a V8 .cpuprofile (node --cpu-prof) by where the code lives: our layers (src/mbx,
 * src/vf, src/vfio, …), the addon, Node's internals, the garbage collector, (program) (native code and
 * VM work outside JS, e.g. the N-API call and the trap into the device), and (idle) (the event loop
 * asleep in epoll). Prints self time per group and the top self-time functions.
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [--skip-ms=N]   (N: ignore the first N ms)
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const file = process.argv[2];
if (file === undefined) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(process.argv.slice(3).find((a) => !a.startsWith('--')) ?? 25);
const skipMs = Number(process.argv.find((a) => a.startsWith('--skip-ms='))?.slice('--skip-ms='.length) ?? 0);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
let at = 0;
p.samples.forEach((id, i) => {
  at += p.timeDeltas[i] ?? 0;
  if (at >= skipMs * 1000) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
});

function group(n: Node): string {
  const { functionName: f, url } = n.callFrame;
  if (url === '') return f === '' ? '(anonymous native)' : f.startsWith('(') ? f : `native: ${f}`;
  const m = /\/src\/([a-z-]+)\//.exec(url);
  if (m !== null) return `src/${m[1]}`;
  if (/\/src\/[a-z-]+\.ts/.test(url)) return 'src/*.ts';
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('node_modules')) return 'node_modules';
  return url;
}
const groups = new Map<string, number>();
const fns = new Map<string, number>();
let total = 0;
for (const [id, us] of self) {
  const n = byId.get(id)!;
  total += us;
  groups.set(group(n), (groups.get(group(n)) ?? 0) + us);
  const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\/(src|node_modules)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(1).padStart(8)} ms`;
process.stdout.write(`total ${(total / 1000).toFixed(1)} ms sampled\n\nby group (self time):\n`);
for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${pct(us)}  ${g}\n`);
process.stdout.write(`\ntop ${top} functions (self time):\n`);
for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(us)}  ${f}\n`);
