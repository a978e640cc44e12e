/**
 * The CLI side of the control socket: connect (or learn that no daemon runs), send requests, stream
 * watch events. Replies with `ok:false` become errors carrying the daemon's code, hint and exit code.
 */
import fs from 'node:fs';
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import { DaemonError } from '../daemon/errors.js';
import type { DaemonEvent } from '../daemon/owned-types.js';
import type { WireError } from '../daemon/protocol.js';
import { fitsSocketAddress, UNIX_SOCKET_PATH_MAX } from '../daemon/unix-socket.js';
import { loadNative } from '../native.js';
import { shellWord } from '../shell-word.js';

export const DEFAULT_SOCKET = '/run/ixgbevf/ixgbevf.sock';

/** A socket path as a message shows it: as it is, or JSON-quoted when it holds a control character (a message stays one line, no terminal escape). */
export function at(path: string): string {
  return /[\u0000-\u001f\u007f]/.test(path) ? JSON.stringify(path) : path;
}

/**
 * The buffer the socket reads replies into (reused for every read; a longer reply takes more reads).
 * Reading through `onread` skips the socket's Readable stream (no Buffer, push and 'data' event per
 * chunk): in the emulated rig that took a one-line round trip between two Node processes from 0.74 to
 * 0.47 ms (issue 15, BENCHMARKS.md).
 */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * How long a request waits for the daemon's reply. The daemon's own waits are bounded well below this (a
 * mailbox transaction 1 s, a VF still coming up 3 s, a reset-and-retry a few seconds more); a daemon that
 * took the connection and then says nothing (stopped with SIGSTOP, hung) must not hang the command.
 */
export const DAEMON_REPLY_TIMEOUT_MS = 30_000;

/**
 * The longest reply line this client keeps reading (characters). A daemon's longest reply (status of every
 * VF it owns) is a few KiB per VF; something that sends more without a newline is not an ixgbevf daemon
 * (a socket of another program, a flood) and must not grow this process without bound until the timeout.
 */
export const MAX_REPLY_LINE_CHARS = 16 * 1024 * 1024;

/**
 * A socket path too long to connect to or listen on (it does not fit a Unix socket address, the daemon's
 * own bound: libuv cuts it, a daemon listening there read as "stale", and the default socket fell back to a
 * one-shot change beside the daemon that owns the VF): an error (exit 2 when named with --socket, else 3), or null.
 */
export function socketPathTooLong(path: string, explicit: boolean): InvalidArgumentError | EnvironmentError | null {
  if (fitsSocketAddress(path)) return null;
  const bytes = Buffer.byteLength(path);
  const message = `the socket path ${JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path)} is ${bytes} bytes; a Unix socket path holds at most ${UNIX_SOCKET_PATH_MAX}`;
  const details = { socket: path, bytes, maxBytes: UNIX_SOCKET_PATH_MAX };
  return explicit
    ? new InvalidArgumentError('ERR_SOCKET_PATH_TOO_LONG', `--socket: ${message}`, { hint: `ixgbevf list --socket ${DEFAULT_SOCKET}`, details })
    : new EnvironmentError('ERR_SOCKET_PATH_TOO_LONG', `$IXGBEVF_SOCKET: ${message}`, { hint: `IXGBEVF_SOCKET=${DEFAULT_SOCKET} ixgbevf list`, details });
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEvent?: (event: DaemonEvent) => void;
}

export function wireToError(e: WireError | undefined): DaemonError {
  return new DaemonError(e?.code ?? 'ERR_DAEMON', e?.message ?? 'the daemon answered with an error', typeof e?.exitCode === 'number' ? e.exitCode : 1, e?.hint === undefined ? undefined : { hint: e.hint });
}

/** The daemon closed (or reset) the connection without a reason line: an environment error, exit 3. */
function closedError(path: string, err: NodeJS.ErrnoException | null): EnvironmentError {
  const how = err === null ? '' : ` (${err.code ?? err.message})`;
  return new EnvironmentError('ERR_DAEMON_CLOSED', `the daemon at ${at(path)} closed the connection without answering${how}: it refused this connection or stopped`, {
    hint: 'journalctl -u ixgbevf (or the daemon\'s log on its stderr) says why',
    ...(err === null ? {} : { cause: err }),
    details: { socket: path, ...(err?.code === undefined ? {} : { errno: err.code }) },
  });
}

/** ECONNREFUSED: a socket file nothing listens on (a killed daemon's), or something that is no socket at all. */
function refusedBecause(path: string): string {
  try {
    const st = fs.statSync(path);
    if (st.isSocket()) return 'a stale socket: nothing listens on it';
    return `it is not a socket but a ${st.isDirectory() ? 'directory' : st.isFile() ? 'regular file' : 'special file'}`;
  } catch {
    return 'a stale socket: nothing listens on it';
  }
}

/** A process that holds `<socket>.lock` now: `pid` when the kernel names it to us, else null. */
export interface LockHolder {
  pid: number | null;
}

/**
 * Who holds the flock on `file` (a daemon's `<socket>.lock`), without taking it: the line of /proc/locks
 * for its device and inode (the kernel prints `MAJOR:MINOR:INODE`, major and minor in hex: lock_get_status
 * in fs/locks.c; a pid it cannot show in our pid namespace is 0). Only when /proc/locks cannot be read:
 * a non-blocking flock on a read-only descriptor, released at once. Null when nobody holds it (or the
 * file cannot be read: then nothing is claimed).
 */
export function lockHolder(file: string): LockHolder | null {
  let st: fs.BigIntStats;
  try {
    st = fs.lstatSync(file, { bigint: true });
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  let table: string;
  try {
    table = fs.readFileSync('/proc/locks', 'utf8');
  } catch {
    return probeLock(file);
  }
  // glibc's gnu_dev_major / gnu_dev_minor of st_dev.
  const major = ((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn);
  const minor = (st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    // `N: FLOCK ADVISORY WRITE pid dev:ino start end`; a waiter's line has `->` after the number.
    if (f[1] !== 'FLOCK' || f[3] !== 'WRITE' || f[5] !== id) continue;
    const pid = Number(f[4]);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : null };
  }
  return null;
}

function probeLock(file: string): LockHolder | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    return loadNative().lockExclusive(fd) ? null : { pid: null };
  } catch {
    return null; // no flock in this build, or it failed: nothing claimed
  } finally {
    fs.closeSync(fd); // a lock we took goes with it
  }
}

/** No daemon answers at a socket the user named (`--socket`): exit 3, never a silent one-shot change. */
export function unreachableError(path: string, errno: string, vf?: string): EnvironmentError {
  const why = errno === 'ECONNREFUSED' ? refusedBecause(path) : errno === 'ENOENT' ? 'no such socket' : errno;
  const holder = lockHolder(`${path}.lock`);
  if (holder !== null) {
    // A daemon runs on this path but its socket is gone or something else is in its place: starting
    // another is refused (the lock), so the fix is about the path.
    const daemon = holder.pid === null ? 'a daemon' : `a daemon (pid ${holder.pid})`;
    const present = errno === 'ECONNREFUSED';
    return new EnvironmentError(
      'ERR_DAEMON_UNREACHABLE',
      `no daemon answers at ${at(path)} (${why}), but ${daemon} holds ${at(path)}.lock: ${present ? 'something else was put in the place of its socket' : 'its socket was removed while it runs'}`,
      {
        hint: present
          ? `ls -l ${shellWord(path)}; if nothing should answer there: rm ${shellWord(path)} (the daemon then publishes its socket again)`
          : `run this again in a moment (the daemon publishes its socket again when it sees it removed); if it still fails: systemctl status ixgbevf`,
        details: { socket: path, errno, lockHolder: holder.pid },
      },
    );
  }
  return new EnvironmentError('ERR_DAEMON_UNREACHABLE', `no daemon answers at ${at(path)} (${why})`, {
    hint:
      vf === undefined
        ? `ixgbevf list   (the VFs of this host; then start a daemon for one: ixgbevf daemon VF --socket ${shellWord(path)})`
        : `start one: ixgbevf daemon ${shellWord(vf)} --socket ${shellWord(path)}   (or leave out --socket to change the VF directly)`,
    details: { socket: path, errno },
  });
}

/** Requests that change a VF (or the simulated PF): a timed-out one may still be carried out. */
const STATE_CHANGING_OPS: ReadonlySet<string> = new Set(['set-mac', 'mtu', 'vlan', 'multicast', 'xcast', 'sim']);

/**
 * No reply within the client's bound: an environment error, exit 3. A state-changing request was sent
 * and a stopped daemon carries it out when it resumes: the fix is to look before repeating it (`info`
 * of the VF, through the same socket: `--socket` kept only when the user named it).
 */
function timeoutError(path: string, op: string, vf: unknown, explicit: boolean, ms: number): EnvironmentError {
  const within = `the daemon at ${at(path)} did not answer ${op} within ${Math.round(ms / 1000)} s: it is stopped or hung`;
  const details = { socket: path, op, timeoutMs: ms };
  if (STATE_CHANGING_OPS.has(op) && typeof vf === 'string') {
    return new EnvironmentError('ERR_DAEMON_TIMEOUT', `${within}; the request was sent, and the daemon may still carry it out when it resumes`, {
      hint: `check before repeating it: ixgbevf info ${shellWord(vf)}${explicit ? ` --socket ${shellWord(path)}` : ''}   (if that times out too: systemctl status ixgbevf)`,
      details: { ...details, vf, sent: true },
    });
  }
  return new EnvironmentError('ERR_DAEMON_TIMEOUT', within, {
    hint: 'systemctl status ixgbevf (is it stopped with SIGSTOP, or stuck?); journalctl -u ixgbevf',
    details,
  });
}

/** Ctrl-C / SIGTERM while waiting: the command ends at once (exit 3); the daemon finishes the request by itself. */
function interruptedError(path: string): EnvironmentError {
  return new EnvironmentError('ERR_INTERRUPTED', `interrupted while waiting for the daemon at ${at(path)}; a request already sent is finished by the daemon`, {
    hint: 'ixgbevf list (shows what the daemon holds now)',
    details: { socket: path },
  });
}

/** The start of a line a daemon sent, for a message: JSON-quoted (control characters escaped), at most 60 characters. */
function quoted(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}

/** A reply this client cannot read (not the protocol it speaks): an environment error, exit 3, never a crash. */
export function unreadableReplyError(path: string, what: string): EnvironmentError {
  return new EnvironmentError('ERR_DAEMON_REPLY', `the daemon at ${at(path)} sent a reply this command cannot read (${what})`, {
    hint: 'check that a daemon of this package and version listens there: systemctl status ixgbevf',
    details: { socket: path },
  });
}

export interface ConnectOptions {
  /** The user named the socket (`--socket`): not reaching it is an error. */
  explicit?: boolean;
  /** Aborted (Ctrl-C): pending requests fail with ERR_INTERRUPTED and the connection closes. */
  signal?: AbortSignal;
  /** Reply bound per request, ms (default DAEMON_REPLY_TIMEOUT_MS). */
  replyTimeoutMs?: number;
  /** The VF the command is for: an unreachable daemon's fix starts one for it. */
  vf?: string;
}

export class DaemonClient {
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #watchers = new Map<number, (event: DaemonEvent) => void>();
  #buffer = '';
  #closed = false;
  #closeError: Error | null = null;
  readonly #closedPromise: Promise<void>;

  readonly #replyTimeoutMs: number;
  /** The user named the socket (`--socket`): fixes that name a command keep it. */
  readonly #explicit: boolean;

  private constructor(
    private readonly socket: net.Socket,
    readonly path: string,
    opts: ConnectOptions = {},
  ) {
    this.#replyTimeoutMs = opts.replyTimeoutMs ?? DAEMON_REPLY_TIMEOUT_MS;
    this.#explicit = opts.explicit === true;
    const signal = opts.signal;
    if (signal !== undefined) {
      const onAbort = (): void => this.#failAll(interruptedError(path));
      if (signal.aborted) queueMicrotask(onAbort);
      else signal.addEventListener('abort', onAbort, { once: true });
      socket.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    this.#closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.#closed = true;
        const err = this.#closeError ?? closedError(path, null);
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
        resolve();
      });
    });
    // A daemon that refuses a connection writes one reason line and closes, maybe before our request is
    // written: the write then fails with EPIPE, and Node would destroy the socket at once, dropping the
    // reason still unread in it. So a write error does not destroy it: we read on to the daemon's EOF,
    // and the reason (when it sent one) wins over the errno. Read errors still destroy (Node does that).
    const states = socket as unknown as { _readableState?: { autoDestroy: boolean }; _writableState?: { autoDestroy: boolean } };
    if (states._readableState !== undefined) states._readableState.autoDestroy = false;
    if (states._writableState !== undefined) states._writableState.autoDestroy = false;
    socket.on('end', () => socket.destroy());
    // EPIPE / ECONNRESET: never a raw Error (the CLI would call it a bug); an environment error, exit 3.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.#closeError ??= closedError(path, err);
      if (socket.readableEnded || !socket.readable) socket.destroy();
    });
  }

  /**
   * Connects to a daemon. Returns null when none runs (no socket file, or nothing listening) — unless the
   * user named the socket (`explicit`): then that is ERR_DAEMON_UNREACHABLE. A socket we may not open is
   * an error that says so.
   */
  static connect(path: string, opts: ConnectOptions = {}): Promise<DaemonClient | null> {
    const tooLong = socketPathTooLong(path, opts.explicit === true);
    if (tooLong !== null) return Promise.reject(tooLong);
    return new Promise((resolve, reject) => {
      // Replies are read into one buffer and decoded at once (a character split between two reads is
      // completed by the decoder); no read happens before 'connect', so `client` is set by then.
      const decoder = new StringDecoder('utf8');
      let client: DaemonClient | null = null;
      const onread = {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        // true: keep reading (the replies are consumed at once; the daemon bounds what it sends).
        callback: (bytes: number, buf: Uint8Array): boolean => {
          if (client !== null) client.#onData(decoder.write(buf.subarray(0, bytes) as Buffer));
          return true;
        },
      };
      const socket = net.createConnection({ path, onread });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        client = new DaemonClient(socket, path, opts);
        resolve(client);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTDIR') {
          return opts.explicit === true ? reject(unreachableError(path, err.code, opts.vf)) : resolve(null);
        }
        if (err.code === 'EACCES' || err.code === 'EPERM') {
          return reject(
            new EnvironmentError('ERR_DAEMON_ACCESS', `a daemon socket exists at ${at(path)} but you may not connect to it (${err.code})`, {
              hint: 'run as root (sudo), or start the daemon with --group <group> and join that group',
              cause: err,
            }),
          );
        }
        reject(new EnvironmentError('ERR_DAEMON_CONNECT', `cannot connect to the daemon at ${at(path)} (${err.code ?? err.message})`, { hint: `ls -l ${shellWord(path)}`, cause: err }));
      });
    });
  }

  #onData(chunk: string): void {
    if (this.#closeError !== null && this.socket.destroyed) return; // failed already: what still comes is not read
    // Only the new chunk is searched for the newline (the buffer before it holds none).
    let from = this.#buffer.length;
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n', from)) !== -1) {
      from = 0;
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      let msg: { id?: unknown; ok?: boolean; result?: unknown; error?: WireError; event?: DaemonEvent };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        // Not JSON: not this protocol (a socket of another program at this path). Waiting on would only
        // end in ERR_DAEMON_TIMEOUT, "stopped or hung", which it is not.
        this.#failAll(unreadableReplyError(this.path, `a line that is not JSON: ${quoted(line)}`));
        return;
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        this.#failAll(unreadableReplyError(this.path, `a line that is not a JSON object: ${quoted(line)}`));
        return;
      }
      if (msg.event !== undefined && typeof msg.id === 'number') {
        this.#watchers.get(msg.id)?.(msg.event);
        continue;
      }
      if (msg.id === null && msg.ok === false) {
        // A connection-level refusal (peer check, limits): fails everything.
        this.#closeError = wireToError(msg.error);
        for (const p of this.#pending.values()) p.reject(this.#closeError);
        this.#pending.clear();
        this.socket.destroy();
        return;
      }
      if (typeof msg.id !== 'number') continue;
      const p = this.#pending.get(msg.id);
      if (p === undefined) continue;
      this.#pending.delete(msg.id);
      if (msg.ok === true) {
        // An answer carries its result: without one it is not our protocol (the caller reads fields of it).
        if (msg.result !== undefined && msg.result !== null) p.resolve(msg.result);
        else p.reject(unreadableReplyError(this.path, 'ok without a result'));
      } else if (typeof msg.error === 'object' && msg.error !== null) p.reject(wireToError(msg.error));
      else p.reject(unreadableReplyError(this.path, 'neither ok nor an error'));
    }
    if (this.#buffer.length > MAX_REPLY_LINE_CHARS) {
      this.#buffer = '';
      this.#failAll(unreadableReplyError(this.path, `a line longer than ${MAX_REPLY_LINE_CHARS} characters`));
    }
  }

  request<T = unknown>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    if (this.#closed || this.socket.destroyed) return Promise.reject(this.#closeError ?? closedError(this.path, null));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      // One timer per request, cleared by its reply: a daemon that never answers ends in ERR_DAEMON_TIMEOUT.
      const timer = setTimeout(() => {
        if (!this.#pending.has(id)) return;
        this.#failAll(timeoutError(this.path, op, fields.vf, this.#explicit, this.#replyTimeoutMs));
      }, this.#replyTimeoutMs);
      const settle = (): void => clearTimeout(timer);
      this.#pending.set(id, {
        resolve: (v: unknown) => {
          settle();
          (resolve as (v: unknown) => void)(v);
        },
        reject: (err: Error) => {
          settle();
          reject(err);
        },
      });
      if (this.#closeError !== null || !this.socket.writable) return; // a write failed: rejected at close, with the reason if one comes
      this.socket.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  /** Fails every pending request with `err` and closes the connection (a late reply would find no one). */
  #failAll(err: EnvironmentError): void {
    this.#closeError ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.socket.destroy();
  }

  /** Subscribes to events (of one VF); resolves once the daemon accepted. Events arrive until close(). */
  async watch(vf: string | undefined, onEvent: (event: DaemonEvent) => void): Promise<unknown> {
    const id = this.#nextId;
    this.#watchers.set(id, onEvent);
    return this.request('watch', vf === undefined ? {} : { vf });
  }

  /** Resolves when the daemon closes the connection. */
  closed(): Promise<void> {
    return this.#closedPromise;
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
