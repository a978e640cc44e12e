/**
 * Part 5: wall time of the real command — the bin (`node <pkg>/dist/ixgbevf.mjs set-mac sim <mac>`: the
 * loader, the one-script esbuild bundle and its V8 code cache, built here from the current src/ by
 * scripts/bundle-cli.mjs into a temporary package whose node_modules/ and build/ link to this checkout),
 * the same bin without its code cache, and the unbundled tsc build (`dist/cli/main.js`) — spawned from
 * here and timed around spawnSync (process start → exit):
 *   - cold: no daemon (IXGBEVF_SOCKET names a socket that does not exist): opens the simulated VF,
 *     reset + negotiate + set-mac, exits;
 *   - through a running daemon that owns `sim`: connect, one request, print, exit;
 *   - floors: `node -e 0` (Node's own start-up) and `ixgbevf --version` (loading the CLI);
 *   - the daemon request alone, from a process that is already running (DaemonClient over the socket).
 * N runs each, interleaved (one of each per round) so that machine noise hits all alike.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DaemonClient } from '../../src/cli/client.js';
import { CLI, startDaemon } from '../daemon.js';
import { ROOT, emit, stats } from '../lib.js';

const N = Number(process.env.BENCH_CLI_RUNS ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'ixgbevf-bench-cli-'));
const socket = join(dir, 'd.sock');
const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02'];

/** A package directory holding dist/ (the bin's three files, or all but the cache) and links to node_modules/ and build/. */
function binPackage(name: string, from?: string, files?: string[]): string {
  const pkg = join(dir, name);
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  for (const link of ['node_modules', 'build']) symlinkSync(join(ROOT, link), join(pkg, link));
  if (from === undefined) execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs'), '--outdir', join(pkg, 'dist')], { stdio: 'inherit' });
  else for (const f of files!) copyFileSync(join(from, 'dist', f), join(pkg, 'dist', f));
  return join(pkg, 'dist', 'ixgbevf.mjs');
}
const BIN = binPackage('bin');
const NO_CACHE = binPackage('bin-no-cache', join(dir, 'bin'), ['ixgbevf.mjs', 'ixgbevf-cli.cjs']);

function timed(args: string[], env: NodeJS.ProcessEnv, expect?: RegExp): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0 || (expect !== undefined && !expect.test(r.stdout))) {
    throw new Error(`${args.join(' ')} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  return ms;
}

const d = await startDaemon(['sim'], socket);
try {
  const cold = { ...process.env, IXGBEVF_SOCKET: join(dir, 'none.sock') };
  const viaDaemon = { ...process.env, IXGBEVF_SOCKET: socket };
  const s = { node: [] as number[], version: [] as number[], cold: [] as number[], coldNoCache: [] as number[], coldUnbundled: [] as number[], daemon: [] as number[] };
  timed([BIN, '--version'], cold); // warm the page cache
  timed([NO_CACHE, '--version'], cold);
  timed([CLI, '--version'], cold);
  for (let i = 0; i < N; i++) {
    s.node.push(timed(['-e', '0'], cold));
    s.version.push(timed([BIN, '--version'], cold));
    s.cold.push(timed([BIN, 'set-mac', 'sim', MACS[i & 1]!], cold, /MAC set to/));
    s.coldNoCache.push(timed([NO_CACHE, 'set-mac', 'sim', MACS[i & 1]!], cold, /MAC set to/));
    s.coldUnbundled.push(timed([CLI, 'set-mac', 'sim', MACS[i & 1]!], cold, /MAC set to/));
    s.daemon.push(timed([BIN, 'set-mac', 'sim', MACS[i & 1]!], viaDaemon, /through the daemon/));
  }
  const client = (await DaemonClient.connect(socket))!;
  const req: number[] = [];
  for (let i = 0; i < 20 + 200; i++) {
    const t0 = performance.now();
    await client.request('set-mac', { vf: 'sim', mac: MACS[i & 1]! });
    if (i >= 20) req.push(performance.now() - t0);
  }
  client.close();
  emit([
    stats(5, 'CLI set-mac sim, cold (no daemon)', 'ms wall', s.cold, { note: `${N} runs: spawn → exit, the bin (bundle + code cache)` }),
    stats(5, 'CLI set-mac sim, cold, the bin without its code cache', 'ms wall', s.coldNoCache, { note: `${N} runs: the same bundle compiled from source` }),
    stats(5, 'CLI set-mac sim, cold, unbundled tsc build', 'ms wall', s.coldUnbundled, { note: `${N} runs: dist/cli/main.js` }),
    stats(5, 'CLI set-mac sim, through a running daemon', 'ms wall', s.daemon, { note: `${N} runs: spawn → exit` }),
    stats(5, 'floor: node -e 0', 'ms wall', s.node, { note: `${N} runs` }),
    stats(5, 'floor: ixgbevf --version', 'ms wall', s.version, { note: `${N} runs` }),
    stats(5, 'daemon set-mac request from a running client', 'ms', req, { percentiles: true, note: '200 requests over one connection (after 20 warm-up)' }),
  ]);
} finally {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
}
