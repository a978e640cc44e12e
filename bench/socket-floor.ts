/**
 * The floor under any request through the daemon: a round trip of one short line between two Node
 * processes over a unix socket, with nothing else in it. The peer is a child `node -e` that echoes each
 * chunk it reads; this process writes a line and awaits the echo. Whatever the daemon's `status` costs
 * above this is the daemon's (framing, JSON, dispatch, reply); the floor itself is two processes' event
 * loops waking up through the kernel — in the TCG rig, the part that no code of ours can remove.
 * `pingPongOnread` is the same exchange with this side reading through `onread` (a buffer of its own, no
 * Readable stream), as DaemonClient reads: the floor under our client and the daemon's stream server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

const ECHO_PEER = `
const net = require('node:net');
const srv = net.createServer((c) => c.on('data', (d) => c.write(d)));
srv.listen(process.argv[1], () => process.stdout.write('ready\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

export interface EchoPeer {
  /** Round-trip times of `n` one-line pings, ms. */
  pingPong(n: number): Promise<number[]>;
  /** The same over a second connection that reads through `onread`, ms. */
  pingPongOnread(n: number): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startEchoPeer(socketPath: string): Promise<EchoPeer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', ECHO_PEER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`echo peer exited with ${code} before it listened`)));
    child.stdout!.once('data', () => resolve());
  });
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = connect(socketPath, () => resolve(s));
    s.once('error', reject);
  });
  let echoed: (() => void) | null = null;
  const fast: Socket = await new Promise((resolve, reject) => {
    const onread = {
      buffer: Buffer.allocUnsafe(4096),
      callback: (): boolean => {
        const done = echoed;
        echoed = null;
        done?.();
        return true;
      },
    };
    const s = connect({ path: socketPath, onread }, () => resolve(s));
    s.once('error', reject);
  });
  const line = Buffer.from('{"op":"status"}\n');
  return {
    async pingPong(n: number): Promise<number[]> {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          sock.once('data', () => resolve());
          sock.write(line);
        });
        out.push(performance.now() - t0);
      }
      return out;
    },
    async pingPongOnread(n: number): Promise<number[]> {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          echoed = resolve;
          fast.write(line);
        });
        out.push(performance.now() - t0);
      }
      return out;
    },
    async stop(): Promise<void> {
      sock.destroy();
      fast.destroy();
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
