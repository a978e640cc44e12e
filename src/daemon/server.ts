/**
 * The control socket: a Unix stream socket (mode 0600, or 0660 to `--group`), JSON lines, every peer
 * checked with SO_PEERCRED before it counts, every request validated, bounded per line, per queue of
 * pipelined requests and per unread output (never by a connection's lifetime total: a program that keeps
 * one connection open is served for as long as it runs). Connections are capped in total and per uid,
 * with room always kept for root; a connection that sends no complete request within `idleTimeoutMs` is
 * closed; a refused peer gets one JSON line with the reason (exit code 3) before the close (who is let
 * in, the caps and the refusal: admission.ts).
 */
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EnvironmentError, InvalidArgumentError, isIxgbevfError } from '../errors.js';
import { asIxgbevfError } from './errors.js';
import type { Logger } from './log.js';
import type { DaemonEvent } from './owned-types.js';
import type { RequestOutcome } from './wire.js';
import { getPeerCredentials, type PeerCredentials } from './peercred.js';
import { isAllowedPeer, Refusals, roomFor } from './admission.js';
import { checkSocketDirectory, checkSocketPathLength, fileIdOf, listenPublished, removeStaleSocket, resolveGroup, sameFile, type FileId } from './unix-socket.js';
import { takeLock, type HeldLock } from './file-lock.js';
import { PathWatch } from './path-watch.js';
import { requestFixCommand } from './request-fix.js';
import { shellWord } from '../shell-word.js';
import { errorToWire, MAX_LINE_BYTES, MAX_MULTICAST, MAX_PIPELINED, parseRequestJson, requestFromDoc, requestIdOf, type Reply, type Request, type RequestId, type WireError } from './protocol.js';

/** What the server needs of the daemon (an interface, so the server does not import the daemon). */
export interface ServedDaemon {
  on(event: 'event', listener: (event: DaemonEvent) => void): unknown;
  /** The owned VF for a spec; throws ERR_NOT_OWNED. */
  owned(vf: string): unknown;
  readonly vfs: ReadonlyMap<string, unknown>;
  /** Answers a request through `reply` (called once, before the request's audit line is written). */
  handle(req: Exclude<Request, { op: 'watch' }>, caller: PeerCredentials | null, reply: (outcome: RequestOutcome) => void): Promise<void>;
}

/** Default: a connection with no complete request for this long (and no `watch`) is closed. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5000;
/** The empty rest of a connection's input (shared: a zero-length Buffer is never written to). */
const NO_BYTES = Buffer.alloc(0);
/** At close: how long running requests may take to answer, and ended connections to go away. */
const CLOSE_GRACE_MS = 1000;
/** Unread output after which a slow watcher is dropped. */
const MAX_BUFFERED_OUTPUT = 1024 * 1024;
const LINE_TOO_LONG_HINT = `one JSON request per line, at most ${MAX_LINE_BYTES} bytes (a multicast list holds at most ${MAX_MULTICAST} addresses)`;
const TOO_MANY_QUEUED_HINT = `wait for replies before sending more: at most ${MAX_PIPELINED} requests may wait on one connection (or open another)`;
const IDLE_HINT = 'send a request soon after connecting, or connect again for each batch of requests';

/** The command that shows what the daemon on `file` owns: that daemon's own socket, not the default one. */
function listOwned(file: string): string {
  return `ixgbevf list --socket ${shellWord(file)} (shows which VFs it owns)`;
}

export interface ServerOptions {
  socketPath: string;
  logger: Logger;
  group?: string;
  groupFile?: string;
  peerCredentials?: (socket: net.Socket) => Promise<PeerCredentials | null>;
  /** Close connections with no complete request for this long (default DEFAULT_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
}

export class ControlServer {
  /** The listening server (replaced when the socket is published again: #checkSocket). */
  #server: net.Server;
  readonly #connections = new Set<net.Socket>();
  /** Served connections per uid. */
  readonly #perUid = new Map<number, number>();
  /** The one `watch` subscription of each connection that has one (O(1) removal on close). */
  readonly #watchers = new Map<net.Socket, (event: DaemonEvent) => void>();
  readonly #refusals = new Refusals();
  /** Every accepted socket, served or being refused (all destroyed on close). */
  readonly #all = new Set<net.Socket>();
  /** Requests being handled now (close() lets them answer first). */
  readonly #inFlight = new Set<Promise<void>>();
  #gid: number | null = null;
  #listening = false;
  /** `<socket>.lock`, held from before the stale-socket check until close(). */
  #lock: HeldLock | null = null;
  /** What the socket path and the lock path named when this daemon made them (see #checkPaths). */
  #socketId: FileId | null = null;
  #lockId: FileId | null = null;
  /** The socket's and the lock's path, watched while serving (#checkPaths). */
  #pathWatch: PathWatch | null = null;
  /** The last path problem logged (each once). */
  #pathProblem: string | null = null;

  constructor(
    private readonly daemon: ServedDaemon,
    private readonly opts: ServerOptions,
  ) {
    this.#server = this.#newServer();
    daemon.on('event', (event: DaemonEvent) => {
      for (const listener of this.#watchers.values()) listener(event);
    });
  }

  #newServer(): net.Server {
    const server = net.createServer((socket) => void this.#accept(socket));
    server.on('error', (err) => this.opts.logger.log('error', 'socket-error', { error: err.message }));
    return server;
  }

  /** Connections being served now: in total and per uid (for `status`). */
  connectionStats(): { served: number; byUid: Record<string, number> } {
    return { served: this.#connections.size, byUid: Object.fromEntries([...this.#perUid].map(([uid, n]) => [String(uid), n])) };
  }

  async listen(): Promise<void> {
    const file = this.opts.socketPath;
    try {
      checkSocketPathLength(file);
    } catch (err) {
      throw new InvalidArgumentError('ERR_SOCKET_PATH', `cannot use ${(err as Error).message}`, { hint: 'choose a shorter path: --socket /run/ixgbevf/ixgbevf.sock' });
    }
    if (this.opts.group !== undefined) this.#gid = await resolveGroup(this.opts.group, this.opts.groupFile);
    // Another user who may write in the socket's directory could put a listener of theirs in its place
    // (the clients would talk to it) or aim the lock and stale-socket handling elsewhere (trusted-path.ts).
    // Checked before the directory is created, so nothing is made inside a tree that is refused.
    await checkSocketDirectory('control socket', file);
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      throw new EnvironmentError('ERR_SOCKET_DIR', `cannot create ${path.dirname(file)} (${err.code ?? err.message})`, {
        hint: `run the daemon as root, or choose a writable place: --socket /tmp/ixgbevf.sock`,
        cause: err,
      });
    });
    // One daemon per socket path: the lock comes before the stale-socket check, so two daemons started at
    // once never both find the path stale (one would unlink the other's fresh socket and both stay up).
    this.#lock = takeLock(`${file}.lock`, () =>
      new EnvironmentError('ERR_DAEMON_RUNNING', `another daemon is running or starting on ${file} (it holds ${file}.lock)`, {
        hint: `${listOwned(file)}; or stop it: systemctl stop ixgbevf`,
      }),
    );
    if (this.#lock === null) this.opts.logger.log('warn', 'socket-unlocked', { socket: file, reason: 'no flock in this build of the native addon: two daemons started at once on this path are not kept apart' });
    this.#lockId = this.#lock === null ? null : await fileIdOf(`${file}.lock`);
    try {
      await this.#listenLocked(file);
    } catch (err) {
      this.#lock?.release();
      this.#lock = null;
      throw err;
    }
    this.#pathWatch = new PathWatch({
      file,
      names: [path.basename(file), `${path.basename(file)}.lock`],
      check: () => this.#checkPaths(file),
      onCheckFailed: (err) => this.opts.logger.log('error', 'socket-check-failed', { socket: file, error: err.message }),
      onWatchFailed: (err, started) =>
        this.opts.logger.log('warn', 'socket-watch-failed', { socket: file, error: err.message, ...(started ? {} : { note: 'a socket removed while the daemon runs is not created again' }) }),
    });
    this.#pathWatch.start();
  }

  /** The stale-socket check, the listen and the socket's access, under `<socket>.lock`. */
  async #listenLocked(file: string): Promise<void> {
    const removed = await removeStaleSocket(file, {
      notSocket: () => new EnvironmentError('ERR_SOCKET_PATH', `${file} exists and is not a socket; not removing it`, { hint: `choose another path with --socket, or rm ${file}` }),
      live: () => new EnvironmentError('ERR_DAEMON_RUNNING', `another daemon is listening on ${file}`, { hint: `${listOwned(file)}; or stop it: systemctl stop ixgbevf` }),
    });
    if (removed) this.opts.logger.log('info', 'stale-socket-removed', { socket: file });
    await this.#publish(file);
  }

  /** Listens and publishes the socket at `file` (private from the start, then loosened for --group). */
  async #publish(file: string): Promise<void> {
    const failed = (err: NodeJS.ErrnoException): EnvironmentError =>
      new EnvironmentError('ERR_SOCKET_LISTEN', `cannot listen on ${file} (${err.code ?? err.message})`, {
        hint: err.code === 'EACCES' ? 'run the daemon as root, or pass --socket <path in a writable directory>' : `choose another path with --socket`,
        cause: err,
      });
    try {
      this.#socketId = await listenPublished(this.#server, file, this.#gid, failed);
    } catch (err) {
      throw err instanceof EnvironmentError ? err : failed(err as NodeJS.ErrnoException);
    }
    this.#listening = true;
  }

  /**
   * The socket and `<socket>.lock` changing under the running daemon (inotify on their directory, no
   * timer). The socket removed (rm, a cleanup of /run): published again, so clients reach this daemon and
   * a second daemon started on the path is refused by the lock as before. The lock file removed or
   * replaced: taken again (a second daemon that already took the new one is logged: it is the one the
   * path's clients now reach). The socket replaced by another file: logged with its fix, and left alone
   * (close() unlinks the path only while it is this daemon's socket).
   */
  async #checkPaths(file: string): Promise<void> {
    await this.#checkLock(file);
    await this.#checkSocket(file);
  }

  async #checkSocket(file: string): Promise<void> {
    const now = await fileIdOf(file);
    if (sameFile(now, this.#socketId)) return;
    if (now !== null) {
      this.#logPathProblem(file, `${file} was replaced by another file while the daemon ran: clients reach that, not this daemon (pid ${process.pid})`, `ls -l ${shellWord(file)}; if nothing should answer there: rm ${shellWord(file)} (this daemon then publishes its socket again)`);
      return;
    }
    if (this.#lock !== null && !sameFile(await fileIdOf(`${file}.lock`), this.#lockId)) return; // another daemon's path now
    // A new server for the new socket; the old one stops listening at once (its connections, tracked
    // here, are served on and ended by close()).
    const old = this.#server;
    this.#server = this.#newServer();
    old.close();
    await this.#publish(file);
    this.#pathProblem = null;
    this.opts.logger.log('warn', 'socket-recreated', { socket: file, reason: 'the socket file was removed while the daemon ran' });
  }

  async #checkLock(file: string): Promise<void> {
    if (this.#lock === null) return; // no flock in this build
    const lockFile = `${file}.lock`;
    if (sameFile(await fileIdOf(lockFile), this.#lockId)) return;
    let lock: HeldLock | null;
    try {
      lock = takeLock(lockFile, () => new EnvironmentError('ERR_DAEMON_RUNNING', `another daemon holds ${lockFile}`));
    } catch (err) {
      this.#logPathProblem(file, `${lockFile} was removed while the daemon ran and another process holds the new one: a second daemon may serve ${file} now (${(err as Error).message})`, `ixgbevf list --socket ${shellWord(file)} (the daemon that answers there); this one (pid ${process.pid}) is reached by no client: kill ${process.pid}`);
      return;
    }
    if (lock === null) return;
    this.#lock.release();
    this.#lock = lock;
    this.#lockId = await fileIdOf(lockFile);
    this.opts.logger.log('warn', 'socket-lock-recreated', { socket: file, lock: lockFile, reason: 'the lock file was removed or replaced while the daemon ran: taken again' });
  }

  #logPathProblem(file: string, error: string, fix: string): void {
    if (this.#pathProblem === error) return;
    this.#pathProblem = error;
    this.opts.logger.log('error', 'socket-path-problem', { socket: file, error, fix });
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

  async #accept(socket: net.Socket): Promise<void> {
    socket.on('error', () => undefined);
    socket.pause();
    this.#all.add(socket);
    socket.once('close', () => this.#all.delete(socket));
    // Who it is first: the cap is counted per uid, and a refused uid never takes a place.
    const creds = await (this.opts.peerCredentials ?? getPeerCredentials)(socket);
    if (creds === null) {
      this.opts.logger.log('warn', 'peer-refused', { reason: 'peer credentials unavailable (SO_PEERCRED needs the native addon): refusing' });
      this.#refusals.refuse(socket, 'ERR_PEER_UNVERIFIED', 'the daemon cannot verify who you are (SO_PEERCRED unavailable: native addon missing or too old), so it refuses the connection', 'rebuild the native addon: npm run build (or npm rebuild ixgbevf-vfio)');
      return;
    }
    if (!(await isAllowedPeer(creds, this.#gid))) {
      this.opts.logger.log('warn', 'peer-refused', { uid: creds.uid, gid: creds.gid, pid: creds.pid, reason: 'uid not allowed' });
      this.#refusals.refuse(
        socket,
        'ERR_PEER_REFUSED',
        `uid ${creds.uid} may not use this daemon (allowed: root, uid ${process.geteuid?.() ?? '?'}${this.#gid === null ? '' : `, group ${this.#gid}`})`,
        this.#gid === null ? 'run as root, or start the daemon with --group <group> and add the user to it' : `add the user to group ${this.opts.group}: usermod -aG ${this.opts.group} <user>`,
      );
      return;
    }
    if (socket.destroyed) return;
    const room = roomFor(creds.uid, this.#connections.size, this.#perUid);
    if (!room.ok) {
      this.opts.logger.log('warn', 'peer-refused', { uid: creds.uid, pid: creds.pid, reason: room.message });
      this.#refusals.refuse(socket, 'ERR_TOO_MANY_CONNECTIONS', room.message, room.hint);
      return;
    }
    this.#serve(socket, creds);
  }

  #serve(socket: net.Socket, creds: PeerCredentials): void {
    this.#connections.add(socket);
    this.#perUid.set(creds.uid, (this.#perUid.get(creds.uid) ?? 0) + 1);
    const idleMs = this.opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    // One timer per connection, re-armed with refresh() after each request instead of a clearTimeout and
    // a new setTimeout per request. `idleArmed` says whether it counts: a line arriving disarms it
    // without touching the timer list, and a timer that fires disarmed does nothing (the next armIdle
    // re-arms it from that moment).
    let idleArmed = false;
    const idleTimer = setTimeout(() => {
      if (!idleArmed) return;
      idleArmed = false;
      this.opts.logger.log('info', 'client-idle-closed', { uid: creds.uid, pid: creds.pid, afterMs: idleMs });
      this.#send(socket, { id: null, ok: false, error: { code: 'ERR_IDLE', message: `no complete request within ${idleMs} ms: closing`, hint: IDLE_HINT, exitCode: 3 } });
      socket.end();
      socket.destroy();
    }, idleMs);
    const stopIdle = (): void => {
      idleArmed = false;
    };
    /** Arms the idle timer (a full `idleMs` from now) when nothing is pending and the connection does not watch. */
    const armIdle = (): void => {
      stopIdle();
      if (socket.destroyed || this.#watchers.has(socket) || busy || queue.length > 0) return;
      idleArmed = true;
      idleTimer.refresh();
    };
    socket.once('close', () => {
      stopIdle();
      clearTimeout(idleTimer);
      this.#connections.delete(socket);
      const left = (this.#perUid.get(creds.uid) ?? 1) - 1;
      if (left <= 0) this.#perUid.delete(creds.uid);
      else this.#perUid.set(creds.uid, left);
      this.#watchers.delete(socket);
    });
    let buffer: Buffer = NO_BYTES;
    const queue: string[] = [];
    let busy = false;
    /** The connection-level error that ends this connection once the request running now has answered. */
    let ending: WireError | null = null;
    const sendEndingAndClose = (error: WireError): void => {
      this.#send(socket, { id: null, ok: false, error });
      socket.end();
    };
    /**
     * A limit broken: no more is read, the requests queued but not started never run (their client fails
     * them on the error line, so no change happens that goes unanswered), a running one answers first
     * (one reply per request, in order), then the error line and the close.
     */
    const fail = (code: string, message: string, hint: string): void => {
      socket.removeAllListeners('data');
      socket.pause();
      queue.length = 0;
      ending = { code, message, hint, exitCode: 2 };
      if (!busy) sendEndingAndClose(ending);
    };
    const lineTooLong = (): void => fail('ERR_BAD_REQUEST', `request line longer than ${MAX_LINE_BYTES} bytes`, LINE_TOO_LONG_HINT);
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !socket.destroyed) {
        const line = queue.shift()!;
        const handled = this.#handleLine(socket, line, creds);
        this.#inFlight.add(handled);
        try {
          await handled;
        } finally {
          this.#inFlight.delete(handled);
        }
      }
      busy = false;
      if (ending !== null) sendEndingAndClose(ending);
      else armIdle();
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let nl: number;
      while (buffer.length > 0 && (nl = buffer.indexOf(0x0a)) !== -1) {
        const end = nl > 0 && buffer[nl - 1] === 0x0d ? nl - 1 : nl; // a CRLF line ends before its \r
        const line = buffer.toString('utf8', 0, end);
        // The usual chunk is one whole line: nothing left, and no view of an empty rest to allocate.
        buffer = nl + 1 === buffer.length ? NO_BYTES : buffer.subarray(nl + 1);
        if (end > MAX_LINE_BYTES) return lineTooLong();
        if (line.trim() === '') continue;
        if (queue.length >= MAX_PIPELINED) return fail('ERR_BAD_REQUEST', `more than ${MAX_PIPELINED} requests waiting on one connection`, TOO_MANY_QUEUED_HINT);
        queue.push(line);
        stopIdle();
      }
      // Room for a CRLF line's \r, which is not part of the line.
      if (buffer.length > MAX_LINE_BYTES + 1) return lineTooLong();
      // Only a complete request is activity: bytes without a newline leave the idle timer running (a
      // client dribbling half a line no longer keeps its connection forever).
      if (queue.length > 0) void pump();
    });
    socket.resume();
    armIdle();
  }

  async #handleLine(socket: net.Socket, line: string, creds: PeerCredentials): Promise<void> {
    let id: RequestId = null;
    let doc: unknown;
    try {
      // One JSON.parse per line: the id for an error reply comes from the same document.
      doc = parseRequestJson(line);
      id = requestIdOf(doc);
      const req = requestFromDoc(doc);
      if (req.op === 'watch') {
        const only = req.vf;
        if (only !== undefined) this.daemon.owned(only);
        if (this.#watchers.has(socket)) {
          throw new InvalidArgumentError('ERR_ALREADY_WATCHING', 'this connection already has a watch subscription (one per connection)', {
            hint: 'open another connection for another watch',
          });
        }
        this.#watchers.set(socket, (event: DaemonEvent): void => {
          if (only === undefined || event.vf === only) this.#send(socket, { id: req.id, event });
        });
        this.#send(socket, { id: req.id, ok: true, result: { watching: only === undefined ? [...this.daemon.vfs.keys()] : [only] } });
        return;
      }
      await this.daemon.handle(req, creds, (outcome) => {
        if (outcome.ok) this.#send(socket, { id: req.id, ok: true, result: outcome.result });
        else this.#sendError(socket, id, outcome.error);
      });
    } catch (err) {
      this.#sendError(socket, id, this.#withRequestFix(err, doc));
    }
  }

  /** A bad request's error with, as its hint, the command that sends it with good values (request-fix.ts), unless its hint already is a command. */
  #withRequestFix(err: unknown, doc: unknown): unknown {
    if (!(err instanceof InvalidArgumentError) || err.hint?.startsWith('ixgbevf ') === true) return err;
    const fix = requestFixCommand(doc, this.opts.socketPath);
    return fix === null ? err : new InvalidArgumentError(err.code, err.message, { hint: fix, details: err.details });
  }

  /** The error reply to a request (an unexpected error is a bug: logged with its stack). */
  #sendError(socket: net.Socket, id: RequestId, err: unknown): void {
    const e = asIxgbevfError(err);
    if (!isIxgbevfError(err)) this.opts.logger.log('error', 'request-failed', { error: e.message, stack: (err as Error)?.stack });
    this.#send(socket, { id, ok: false, error: errorToWire(e) });
  }

  /**
   * Stops serving. Requests still running answer first (the daemon has closed its VFs by now, so they end
   * fast; at most CLOSE_GRACE_MS), then served connections are ended after their queued output (a reply
   * already decided reaches its client; a peer that does not close is cut CLOSE_GRACE_MS later), the rest
   * destroyed.
   */
  async close(): Promise<void> {
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise<void>((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
    }
    for (const s of this.#all) {
      if (this.#connections.has(s) && !s.destroyed && s.writable) {
        s.end();
        setTimeout(() => s.destroy(), CLOSE_GRACE_MS).unref();
      } else {
        s.destroy();
      }
    }
    await this.#pathWatch?.stop(); // a publish in flight ends first
    if (this.#listening) {
      this.#listening = false;
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      // Only while the path still names this daemon's socket: never another daemon's or another file.
      if (sameFile(await fileIdOf(this.opts.socketPath), this.#socketId)) await fsp.unlink(this.opts.socketPath).catch(() => undefined);
    }
    // After the unlink: the next daemon on this path finds no socket of ours.
    this.#lock?.release();
    this.#lock = null;
  }
}
