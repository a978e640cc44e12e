/**
 * The control socket: a Unix stream socket (mode 0600, or 0660 to `--group`), JSON lines, every peer
 * checked with SO_PEERCRED, every request validated, bounded per line and per connection.
 */
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EnvironmentError, InvalidArgumentError, isIxgbevfError } from '../errors.js';
import type { Daemon } from './daemon.js';
import { asIxgbevfError } from './errors.js';
import type { Logger } from './log.js';
import type { DaemonEvent } from './owned.js';
import { getPeerCredentials, type PeerCredentials } from './peercred.js';
import { errorToWire, MAX_LINE_BYTES, MAX_PIPELINED, parseRequest, requestIdOf, type Reply, type RequestId } from './protocol.js';

export const MAX_CONNECTIONS = 64;
/** Bytes one connection may send in total (a CLI sends a few hundred). */
export const MAX_CONNECTION_BYTES = 1024 * 1024;
/** Unread output after which a slow watcher is dropped. */
const MAX_BUFFERED_OUTPUT = 1024 * 1024;

export interface ServerOptions {
  socketPath: string;
  logger: Logger;
  group?: string;
  groupFile?: string;
  peerCredentials?: (socket: net.Socket) => Promise<PeerCredentials | null>;
}

/** `--group NAME|GID` → gid, from /etc/group. */
export async function resolveGroup(spec: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(spec)) return Number(spec);
  let text = '';
  try {
    text = await fsp.readFile(groupFile, 'utf8');
  } catch {
    text = '';
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === spec && f.length >= 3 && /^\d+$/.test(f[2]!)) return Number(f[2]);
  }
  throw new InvalidArgumentError('ERR_UNKNOWN_GROUP', `no group ${JSON.stringify(spec)} in ${groupFile}`, { hint: `groupadd ${spec}` });
}

/** Supplementary groups of a process (from /proc/<pid>/status), empty when unreadable. */
async function supplementaryGroups(pid: number): Promise<number[]> {
  try {
    const text = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('Groups:'));
    return line === undefined ? [] : line.slice(7).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Connects to `socketPath`: true when something answers (a live daemon), false on ECONNREFUSED/ENOENT. */
function probe(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class ControlServer {
  readonly #server: net.Server;
  readonly #connections = new Set<net.Socket>();
  /** Every accepted socket, served or being refused (all destroyed on close). */
  readonly #all = new Set<net.Socket>();
  #gid: number | null = null;
  #listening = false;

  constructor(
    private readonly daemon: Daemon,
    private readonly opts: ServerOptions,
  ) {
    this.#server = net.createServer((socket) => void this.#accept(socket));
    this.#server.on('error', (err) => opts.logger.log('error', 'socket-error', { error: err.message }));
  }

  async listen(): Promise<void> {
    const file = this.opts.socketPath;
    if (this.opts.group !== undefined) this.#gid = await resolveGroup(this.opts.group, this.opts.groupFile);
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      throw new EnvironmentError('ERR_SOCKET_DIR', `cannot create ${path.dirname(file)} (${err.code ?? err.message})`, {
        hint: `run the daemon as root, or choose a writable place: --socket /tmp/ixgbevf.sock`,
        cause: err,
      });
    });
    let st;
    try {
      st = await fsp.lstat(file);
    } catch {
      st = null;
    }
    if (st !== null) {
      if (!st.isSocket()) {
        throw new EnvironmentError('ERR_SOCKET_PATH', `${file} exists and is not a socket; not removing it`, { hint: `choose another path with --socket, or rm ${file}` });
      }
      if (await probe(file)) {
        throw new EnvironmentError('ERR_DAEMON_RUNNING', `another daemon is listening on ${file}`, { hint: `ixgbevf list (shows which VFs it owns); or stop it: systemctl stop ixgbevf` });
      }
      await fsp.unlink(file);
      this.opts.logger.log('info', 'stale-socket-removed', { socket: file });
    }
    // The socket is created with the umask's mode: make it private from the start, then loosen for --group.
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void => {
          reject(
            new EnvironmentError('ERR_SOCKET_LISTEN', `cannot listen on ${file} (${err.code ?? err.message})`, {
              hint: err.code === 'EACCES' ? 'run the daemon as root, or pass --socket <path in a writable directory>' : `choose another path with --socket`,
              cause: err,
            }),
          );
        };
        this.#server.once('error', onError);
        this.#server.listen(file, () => {
          this.#server.off('error', onError);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    this.#listening = true;
    await fsp.chmod(file, 0o600);
    if (this.#gid !== null) {
      await fsp.chown(file, -1, this.#gid);
      await fsp.chmod(file, 0o660);
    }
  }

  async #allowed(creds: PeerCredentials): Promise<boolean> {
    if (creds.uid === 0) return true;
    if (typeof process.geteuid === 'function' && creds.uid === process.geteuid()) return true;
    if (this.#gid !== null) {
      if (creds.gid === this.#gid) return true;
      if ((await supplementaryGroups(creds.pid)).includes(this.#gid)) return true;
    }
    return false;
  }

  #send(socket: net.Socket, msg: Reply | { id: RequestId; event: DaemonEvent }): void {
    if (socket.destroyed || !socket.writable) return;
    if (socket.writableLength > MAX_BUFFERED_OUTPUT) {
      this.opts.logger.log('warn', 'client-dropped', { reason: 'not reading its replies' });
      socket.destroy();
      return;
    }
    socket.write(`${JSON.stringify(msg)}\n`);
  }

  #refuse(socket: net.Socket, code: string, message: string, hint: string): void {
    const reply: Reply = { id: null, ok: false, error: { code, message, hint, exitCode: 3 } };
    // Say why, then close without reading anything the peer sent.
    socket.end(`${JSON.stringify(reply)}\n`, () => socket.destroy());
  }

  async #accept(socket: net.Socket): Promise<void> {
    socket.on('error', () => undefined);
    socket.pause();
    this.#all.add(socket);
    socket.once('close', () => this.#all.delete(socket));
    if (this.#connections.size >= MAX_CONNECTIONS) {
      this.#refuse(socket, 'ERR_TOO_MANY_CONNECTIONS', `the daemon already serves ${MAX_CONNECTIONS} connections`, 'close idle ixgbevf watch sessions');
      return;
    }
    const creds = await (this.opts.peerCredentials ?? getPeerCredentials)(socket);
    if (creds === null) {
      this.opts.logger.log('warn', 'peer-refused', { reason: 'peer credentials unavailable (SO_PEERCRED needs the native addon): refusing' });
      this.#refuse(socket, 'ERR_PEER_UNVERIFIED', 'the daemon cannot verify who you are (SO_PEERCRED unavailable: native addon missing or too old), so it refuses the connection', 'rebuild the native addon: npm run build (or npm rebuild ixgbevf-vfio)');
      return;
    }
    if (!(await this.#allowed(creds))) {
      this.opts.logger.log('warn', 'peer-refused', { uid: creds.uid, gid: creds.gid, pid: creds.pid, reason: 'uid not allowed' });
      this.#refuse(
        socket,
        'ERR_PEER_REFUSED',
        `uid ${creds.uid} may not use this daemon (allowed: root, uid ${process.geteuid?.() ?? '?'}${this.#gid === null ? '' : `, group ${this.#gid}`})`,
        this.#gid === null ? 'run as root, or start the daemon with --group <group> and add the user to it' : `add the user to group ${this.opts.group}: usermod -aG ${this.opts.group} <user>`,
      );
      return;
    }
    this.#serve(socket);
  }

  #serve(socket: net.Socket): void {
    this.#connections.add(socket);
    const unwatch: (() => void)[] = [];
    socket.once('close', () => {
      this.#connections.delete(socket);
      for (const off of unwatch) off();
    });
    let buffer: Buffer = Buffer.alloc(0);
    let total = 0;
    const queue: string[] = [];
    let busy = false;
    const fail = (code: string, message: string): void => {
      this.#send(socket, { id: null, ok: false, error: { code, message, exitCode: 2 } });
      socket.end();
      socket.removeAllListeners('data');
    };
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !socket.destroyed) {
        const line = queue.shift()!;
        await this.#handleLine(socket, line, unwatch);
      }
      busy = false;
    };
    socket.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_CONNECTION_BYTES) return fail('ERR_BAD_REQUEST', `more than ${MAX_CONNECTION_BYTES} bytes on one connection`);
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let nl: number;
      while ((nl = buffer.indexOf(0x0a)) !== -1) {
        const line = buffer.subarray(0, nl).toString('utf8').replace(/\r$/, '');
        buffer = buffer.subarray(nl + 1);
        if (nl > MAX_LINE_BYTES) return fail('ERR_BAD_REQUEST', `request line longer than ${MAX_LINE_BYTES} bytes`);
        if (line.trim() === '') continue;
        if (queue.length >= MAX_PIPELINED) return fail('ERR_BAD_REQUEST', `more than ${MAX_PIPELINED} requests waiting on one connection`);
        queue.push(line);
      }
      if (buffer.length > MAX_LINE_BYTES) return fail('ERR_BAD_REQUEST', `request line longer than ${MAX_LINE_BYTES} bytes`);
      void pump();
    });
    socket.resume();
  }

  async #handleLine(socket: net.Socket, line: string, unwatch: (() => void)[]): Promise<void> {
    let id: RequestId = null;
    try {
      try {
        id = requestIdOf(JSON.parse(line));
      } catch {
        id = null;
      }
      const req = parseRequest(line);
      if (req.op === 'watch') {
        const only = req.vf;
        if (only !== undefined) this.daemon.owned(only);
        const listener = (event: DaemonEvent): void => {
          if (only === undefined || event.vf === only) this.#send(socket, { id: req.id, event });
        };
        this.daemon.on('event', listener);
        unwatch.push(() => this.daemon.off('event', listener));
        this.#send(socket, { id: req.id, ok: true, result: { watching: only === undefined ? [...this.daemon.vfs.keys()] : [only] } });
        return;
      }
      const result = await this.daemon.handle(req);
      this.#send(socket, { id: req.id, ok: true, result });
    } catch (err) {
      const e = asIxgbevfError(err);
      if (!isIxgbevfError(err)) this.opts.logger.log('error', 'request-failed', { error: e.message, stack: (err as Error)?.stack });
      this.#send(socket, { id, ok: false, error: errorToWire(e) });
    }
  }

  async close(): Promise<void> {
    for (const s of this.#all) s.destroy();
    if (!this.#listening) return;
    this.#listening = false;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await fsp.unlink(this.opts.socketPath).catch(() => undefined);
  }
}
