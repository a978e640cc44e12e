/**
 * What our connected client adds to a request through the daemon, inside the rig (issue 15, target 3):
 *   scripts/vm/run node --import tsx bench/vm-client-split.ts [n=300] [rounds=3]
 * (`npm run bench:vm` does not run it; BENCHMARKS.md says what it found). No daemon and no VF: a peer
 * process answers every line at once without parsing it (an echo, or a canned set-mac reply of the
 * daemon's size), so what is left is the socket, the two processes' wake-ups and the client side. The
 * client side is built up step by step on a raw `onread` connection (the floor), then dist/'s
 * DaemonClient is measured whole. Rounds interleave the variants; medians in ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib.js';

const { DaemonClient } = (await import(pathToFileURL(join(ROOT, 'dist', 'cli', 'client.js')).href)) as typeof import('../src/cli/client.js');
const N = Number(process.argv[2] ?? 300);
const ROUNDS = Number(process.argv[3] ?? 3);
const VF = '0000:01:10.0';
const MAC = '02:00:00:00:00:01';
/** A set-mac reply's result as the daemon sends it without a state dir (the same fields and size). */
const RESULT = JSON.stringify({ vf: VF, mac: MAC, pfReply: '0x80000002', persisted: false, persistError: null, revision: 12, stateFile: null });

// The peer: a line whose third byte is 'o' ({"op"…) is echoed; any other line gets the canned reply with
// the next id (DaemonClient numbers its requests 1, 2, …), as the daemon would answer it.
const PEER = `
const net = require('node:net');
const result = process.argv[2];
net.createServer((c) => {
  let id = 0;
  c.on('data', (d) => {
    if (d[2] === 0x6f) return void c.write(d);
    id += 1;
    c.write('{"id":' + id + ',"ok":true,"result":' + result + '}\\n');
  });
}).listen(process.argv[1], () => process.stdout.write('ready\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

const dir = mkdtempSync('/tmp/bench-client-');
const socketPath = join(dir, 'peer.sock');
const peer = spawn(process.execPath, ['-e', PEER, socketPath, RESULT], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => peer.stdout!.once('data', resolve));

type Answer = (buf: Buffer, bytes: number) => void;
let answer: Answer | null = null;
const raw: Socket = await new Promise((resolve) => {
  const onread = {
    buffer: Buffer.allocUnsafe(65536),
    callback: (bytes: number, buf: Uint8Array): boolean => {
      const a = answer;
      answer = null;
      a?.(buf as Buffer, bytes);
      return true;
    },
  };
  const s = connect({ path: socketPath, onread }, () => resolve(s));
});
const client = (await DaemonClient.connect(socketPath))!;
const decoder = new StringDecoder('utf8');
const echoLine = Buffer.from('{"op":"status"}\n');
// Not echoed (third byte 'i'), so the peer answers with the canned reply; the id the peer sends is ignored here.
const requestLine = `${JSON.stringify({ id: 1, op: 'set-mac', vf: VF, mac: MAC })}\n`;
const persistentTimer = setTimeout(() => {}, 30_000);

const roundTrip = (line: string | Buffer, onAnswer: Answer = () => {}): Promise<void> =>
  new Promise((resolve) => {
    answer = (buf, bytes) => {
      onAnswer(buf, bytes);
      resolve();
    };
    raw.write(line);
  });

const variants: Record<string, () => Promise<unknown>> = {
  'floor: echo of a 16-byte line (onread)': () => roundTrip(echoLine),
  'set-mac-sized request and reply, nothing read': () => roundTrip(requestLine),
  '+ the reply decoded (StringDecoder)': () => roundTrip(requestLine, (b, n) => void decoder.write(b.subarray(0, n))),
  '+ the reply decoded and JSON.parse': () => roundTrip(requestLine, (b, n) => void JSON.parse(decoder.write(b.subarray(0, n)).slice(0, -1))),
  '+ a setTimeout/clearTimeout pair per request': () => {
    const t = setTimeout(() => {}, 30_000);
    return roundTrip(requestLine, () => clearTimeout(t));
  },
  '+ one timer per connection, refresh() per request': () => {
    persistentTimer.refresh();
    return roundTrip(requestLine);
  },
  'DaemonClient.request(set-mac), whole': () => client.request('set-mac', { vf: VF, mac: MAC }),
};

const samples = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(variants)) {
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await run();
      samples.get(name)!.push(performance.now() - t0);
    }
  }
}
clearTimeout(persistentTimer);
client.close();
raw.destroy();
peer.kill('SIGTERM');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const floor = median(samples.get('floor: echo of a 16-byte line (onread)')!);
console.log(`client side of a request, ${N} × ${ROUNDS} rounds per variant, medians (ms; Δ vs the floor):`);
for (const [name, xs] of samples) console.log(`  ${median(xs).toFixed(3)}  Δ ${(median(xs) - floor).toFixed(3)}  ${name}`);
