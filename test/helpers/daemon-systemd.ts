/**
 * A fake systemd for daemon tests: a notify socket (a python3 child binding an AF_UNIX SOCK_DGRAM socket
 * with SO_PASSCRED, as systemd does; Node has no Unix datagram sockets) that reports every datagram with
 * the sender's pid, and the real `ixgbevf daemon` (src/cli/main.ts through tsx) started under it with
 * NOTIFY_SOCKET, optionally JOURNAL_STREAM, and stderr going to a file (the journal's stream).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fstatSync, openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const RECEIVER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print('ready', flush=True)
while True:
    data, anc, flags, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = next((struct.unpack('iII', d)[0] for (lvl, typ, d) in anc if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS), None)
    print(json.dumps({'data': data.decode(), 'pid': pid}), flush=True)
`;

export interface Datagram {
  data: string;
  pid: number | null;
}

export class NotifyReceiver {
  readonly received: Datagram[] = [];
  #waiters: (() => void)[] = [];
  private constructor(
    readonly socket: string,
    private readonly child: ChildProcess,
  ) {}

  static async bind(socket: string): Promise<NotifyReceiver> {
    const child = spawn('python3', ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = new NotifyReceiver(socket, child);
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`notify receiver exited ${code}`)));
      lines.once('line', (l) => (l === 'ready' ? resolve() : reject(new Error(`receiver said ${l}`))));
    });
    lines.on('line', (l) => {
      r.received.push(JSON.parse(l) as Datagram);
      for (const w of r.#waiters.splice(0)) w();
    });
    return r;
  }

  /** Waits for a datagram matching `pred` (any received so far counts); `alive` false ends the wait with an error. */
  async waitFor(pred: (d: Datagram) => boolean, alive: () => boolean, what: string): Promise<Datagram> {
    for (;;) {
      const hit = this.received.find(pred);
      if (hit !== undefined) return hit;
      if (!alive()) throw new Error(`the daemon exited before sending ${what}; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200); // re-check alive()
      });
    }
  }

  close(): void {
    this.child.kill('SIGTERM');
  }
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The real daemon with stderr into `logFile`; `journal`: JOURNAL_STREAM names that file (as systemd names its stream). */
export function spawnDaemonUnder(args: string[], opts: { notifySocket?: string; logFile: string; journal?: boolean | string }): { child: ChildProcess; exited: Promise<ChildExit>; log(): string } {
  const fd = openSync(opts.logFile, 'w', 0o600);
  const st = fstatSync(fd);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' };
  if (opts.notifySocket !== undefined) env['NOTIFY_SOCKET'] = opts.notifySocket;
  if (opts.journal === true) env['JOURNAL_STREAM'] = `${st.dev}:${st.ino}`;
  else if (typeof opts.journal === 'string') env['JOURNAL_STREAM'] = opts.journal;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), 'daemon', ...args], { cwd: root, stdio: ['ignore', 'ignore', fd], env });
  closeSync(fd);
  const exited = new Promise<ChildExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, log: () => readFileSync(opts.logFile, 'utf8') };
}
