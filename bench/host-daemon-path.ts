/**
 * Host-side A/B helper for the daemon's request path (issue 15, target 3): one daemon of one simulated
 * VF (the bin's own build, dist/), a connected DaemonClient, interleaved rounds of set-mac with and
 * without --state-dir, status, and the bare socket echo (bench/socket-floor.ts). Medians in µs.
 * Usage: npx tsx bench/host-daemon-path.ts [samples per round] [rounds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonClient } from '../src/cli/client.js';
import { startDaemon } from './daemon.js';
import { startEchoPeer } from './socket-floor.js';

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SPEC = 'sim';
const MACS = ['02:00:00:00:00:21', '02:00:00:00:00:22'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const dir = mkdtempSync('/tmp/host-daemon-path-');
const echo = await startEchoPeer(join(dir, 'echo.sock'));
const withState = await startDaemon([SPEC], join(dir, 'a.sock'), ['--state-dir', join(dir, 'state')]);
const noState = await startDaemon([SPEC], join(dir, 'b.sock'));
const r: Record<string, number[]> = { 'set-mac --state-dir': [], 'set-mac no state dir': [], status: [], echo: [], 'echo, onread client': [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, d] of [['set-mac --state-dir', withState], ['set-mac no state dir', noState]] as const) {
      const client = (await DaemonClient.connect(d.socket))!;
      for (let i = 0; i < 50; i++) await client.request('set-mac', { vf: SPEC, mac: MACS[i & 1]! });
      for (let i = 0; i < N; i++) {
        const t0 = performance.now();
        await client.request('set-mac', { vf: SPEC, mac: MACS[i & 1]! });
        r[name]!.push((performance.now() - t0) * 1000);
      }
      if (name === 'set-mac no state dir') {
        for (let i = 0; i < N; i++) {
          const t0 = performance.now();
          await client.request('status');
          r.status!.push((performance.now() - t0) * 1000);
        }
      }
      client.close();
    }
    r.echo!.push(...(await echo.pingPong(N)).map((ms) => ms * 1000));
    r['echo, onread client']!.push(...(await echo.pingPongOnread(N)).map((ms) => ms * 1000));
  }
} finally {
  await withState.stop();
  await noState.stop();
  await echo.stop();
  rmSync(dir, { recursive: true, force: true });
}
for (const [name, xs] of Object.entries(r)) console.log(`${name.padEnd(22)} median ${median(xs).toFixed(1)} µs  (${xs.length})`);
