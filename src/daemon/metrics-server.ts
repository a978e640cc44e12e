/**
 * The metrics endpoint: `--metrics <port | :port | ipv4:port | [v6]:port | localhost:port | /unix/path>`. A
 * bare port binds to 127.0.0.1; a Unix socket is created 0600 (0660 and the daemon's
 * group with `--group`), never over a file that is not a stale socket, and published as the control
 * socket is (listenPublished: the stop removes the path only while it is still this daemon's socket; a
 * socket removed while the daemon runs is published again, watched with inotify). Serves GET /metrics
 * (Prometheus text format) and nothing else: other paths get 404, other methods (CONNECT too) 405.
 */
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type stream from 'node:stream';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import { shellWord } from '../shell-word.js';
import type { Logger } from './log.js';
import { PathWatch } from './path-watch.js';
import { checkSocketDirectory, checkSocketPathLength, fileIdOf, listenOn, listenPublished, removeStaleSocket, sameFile, type FileId } from './unix-socket.js';

export type MetricsAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export const DEFAULT_METRICS_HOST = '127.0.0.1';

function badAddress(text: string, why: string, opts: { hint?: string } = {}): InvalidArgumentError {
  return new InvalidArgumentError('ERR_INVALID_METRICS_ADDRESS', `--metrics ${JSON.stringify(text)}: ${why}`, {
    hint: opts.hint ?? 'ixgbevf daemon <vf> --metrics 9464   (or 127.0.0.1:9464, [::1]:9464, localhost:9464, /run/ixgbevf/metrics.sock)',
  });
}

function parsePort(text: string, whole: string): number {
  if (!/^\d{1,5}$/.test(text)) throw badAddress(whole, `port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  if (port > 65535) throw badAddress(whole, `port ${port} is outside 0–65535 (0: any free port, logged)`);
  return port;
}

/**
 * Parses `--metrics`; a bare port or `:port` means 127.0.0.1. The host is an IPv4 address, an IPv6 one in
 * brackets or `localhost`: a host name is refused here (exit 2), not resolved at start, where a typo or a
 * name that does not resolve yet failed as ERR_METRICS_LISTEN (exit 3) and the units restarted the daemon
 * every 2 s. A Unix socket path is absolute (a relative one would depend on the daemon's cwd).
 */
export function parseMetricsAddress(text: string): MetricsAddress {
  if (text === '') throw badAddress(text, 'empty');
  if (text.startsWith('/')) {
    try {
      checkSocketPathLength(text);
    } catch (err) {
      throw badAddress(text, (err as Error).message);
    }
    return { kind: 'unix', path: text };
  }
  if (text.startsWith('.') || text.includes('/')) {
    throw badAddress(text, 'a Unix socket path must be absolute', { hint: 'ixgbevf daemon <vf> --metrics /run/ixgbevf/metrics.sock' });
  }
  if (/^\d+$/.test(text)) return { kind: 'tcp', host: DEFAULT_METRICS_HOST, port: parsePort(text, text) };
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(text);
  if (v6 !== null) {
    if (net.isIPv6(v6[1]!) === false) throw badAddress(text, `${v6[1]} is not an IPv6 address`);
    return { kind: 'tcp', host: v6[1]!, port: parsePort(v6[2]!, text) };
  }
  const colon = text.lastIndexOf(':');
  if (colon === -1) throw badAddress(text, 'expected a port, IPv4:port, [IPv6]:port, localhost:port or an absolute socket path');
  const host = text.slice(0, colon) === '' ? DEFAULT_METRICS_HOST : text.slice(0, colon);
  if (host.includes(':')) throw badAddress(text, 'an IPv6 address goes in brackets: [::1]:9464');
  if (host !== 'localhost' && !net.isIPv4(host)) {
    throw badAddress(text, `${JSON.stringify(host)} is not an IPv4 address or localhost: name the address to listen on, not a host`, {
      hint: 'ixgbevf daemon <vf> --metrics 192.0.2.10:9464   (getent ahosts <name> shows a name\'s addresses)',
    });
  }
  return { kind: 'tcp', host, port: parsePort(text.slice(colon + 1), text) };
}

export function describeAddress(a: MetricsAddress): string {
  return a.kind === 'unix' ? a.path : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export interface MetricsSource {
  contentType(): string;
  metrics(): Promise<string>;
  /** Called when the server closes: stop what the source runs in the background. */
  close?(): void;
}

/** Unread answer bytes after which a metrics client is dropped (a scrape is a few KiB per VF). */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;
/** Answers one connection may have outstanding (a client that pipelines and never reads holds them all). */
const MAX_PENDING_ANSWERS = 8;
/** Metrics connections at once (Prometheus uses one; more are refused by the server). */
const MAX_METRICS_CONNECTIONS = 16;

const METHOD_NOT_ALLOWED_BODY = 'method not allowed\n';
/** The 405 answer, written raw on a connection Node has handed over (CONNECT), which then closes. */
const METHOD_NOT_ALLOWED_CLOSE = [
  'HTTP/1.1 405 Method Not Allowed',
  'Allow: GET, HEAD',
  'Content-Type: text/plain',
  `Content-Length: ${Buffer.byteLength(METHOD_NOT_ALLOWED_BODY)}`,
  'Connection: close',
  '',
  METHOD_NOT_ALLOWED_BODY,
].join('\r\n');

export class MetricsServer {
  /** The serving server (replaced when the Unix socket is published again: #checkSocket). */
  #server: http.Server;
  /** Servers replaced while connections they took were still open: their connections end at close(). */
  readonly #retired = new Set<http.Server>();
  /** Answers not yet fully sent, per connection (pipelined requests queue theirs behind the first). */
  readonly #pending = new WeakMap<net.Socket, number>();
  #address: MetricsAddress | null = null;
  #gid: number | null = null;
  /** The Unix socket as published (what close() may unlink), its directory's watch, and the check running. */
  #socketId: FileId | null = null;
  #pathWatch: PathWatch | null = null;
  /** The last path problem logged (each once). */
  #pathProblem: string | null = null;

  constructor(
    private readonly source: MetricsSource,
    private readonly logger: Logger,
  ) {
    this.#server = this.#newServer();
  }

  #newServer(): http.Server {
    const source = this.source;
    const server = http.createServer((req, res) => {
      // A client that pipelines requests without reading the answers would make the daemon hold every
      // answer it has not read (gigabytes within seconds, the mailbox starved meanwhile): with more than
      // MAX_PENDING_ANSWERS outstanding, or MAX_UNREAD_BYTES unread, it is dropped.
      const socket = req.socket;
      const pending = (this.#pending.get(socket) ?? 0) + 1;
      if (socket.writableLength > MAX_UNREAD_BYTES || pending > MAX_PENDING_ANSWERS) {
        socket.destroy();
        return;
      }
      this.#pending.set(socket, pending);
      res.once('close', () => this.#pending.set(socket, (this.#pending.get(socket) ?? 1) - 1));
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end(METHOD_NOT_ALLOWED_BODY);
        return;
      }
      if (url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
        return;
      }
      source.metrics().then(
        (body) => res.writeHead(200, { 'content-type': source.contentType() }).end(req.method === 'HEAD' ? undefined : body),
        (err: unknown) => {
          this.logger.log('error', 'metrics-failed', { error: (err as Error).message });
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
        },
      );
    });
    // CONNECT is not a request for the server's handler: Node emits it here, and closes the connection
    // without an answer when nobody listens. It gets the 405 of every other method, then the connection
    // ends (the bytes after it would be a tunnel's, not HTTP).
    server.on('connect', (_req: http.IncomingMessage, socket: stream.Duplex) => {
      socket.on('error', () => socket.destroy());
      socket.end(METHOD_NOT_ALLOWED_CLOSE);
    });
    server.maxConnections = MAX_METRICS_CONNECTIONS;
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10000;
    server.requestTimeout = 10000;
    return server;
  }

  /** The bound address (a port 0 request resolved to the real port). */
  get address(): MetricsAddress | null {
    return this.#address;
  }

  async listen(address: MetricsAddress, gid: number | null = null): Promise<void> {
    const failed = (err: NodeJS.ErrnoException): EnvironmentError =>
      new EnvironmentError('ERR_METRICS_LISTEN', `cannot serve metrics on ${describeAddress(address)} (${err.code ?? err.message})`, {
        hint: err.code === 'EADDRINUSE' ? 'choose another port: --metrics 9465' : address.kind === 'unix' ? 'choose another path with --metrics' : 'check the address: --metrics 127.0.0.1:9464',
        cause: err,
      });
    if (address.kind === 'unix') {
      await checkSocketDirectory('metrics socket', address.path);
      await removeStaleSocket(address.path, {
        notSocket: (file) => new EnvironmentError('ERR_METRICS_PATH', `${file} exists and is not a socket; not removing it`, { hint: `choose another path with --metrics, or rm ${file}` }),
        live: (file) => new EnvironmentError('ERR_METRICS_IN_USE', `another process serves ${file}`, { hint: 'choose another path with --metrics' }),
      });
      this.#gid = gid;
      await this.#publish(address.path, failed);
      this.#address = address;
      const file = address.path;
      this.#pathWatch = new PathWatch({
        file,
        names: [path.basename(file)],
        check: () => this.#checkSocket(file),
        onCheckFailed: (err) => this.logger.log('error', 'metrics-check-failed', { socket: file, error: err.message }),
        onWatchFailed: (err, started) =>
          this.logger.log('warn', 'metrics-watch-failed', { socket: file, error: err.message, ...(started ? {} : { note: 'a metrics socket removed while the daemon runs is not created again' }) }),
      });
      this.#pathWatch.start();
    } else {
      await listenOn(this.#server, (done) => this.#server.listen(address.port, address.host, done), failed, false);
      const bound = this.#server.address() as net.AddressInfo;
      this.#address = { kind: 'tcp', host: address.host, port: bound.port };
    }
    this.logger.log('info', 'metrics-listening', { address: describeAddress(this.#address), path: '/metrics' });
  }

  /** Listens on the Unix socket `file` and publishes it there (never over a file: the link's EEXIST). */
  async #publish(file: string, failed: (err: NodeJS.ErrnoException) => EnvironmentError): Promise<void> {
    try {
      this.#socketId = await listenPublished(this.#server, file, this.#gid, failed);
    } catch (err) {
      throw err instanceof EnvironmentError ? err : failed(err as NodeJS.ErrnoException);
    }
  }

  /**
   * The metrics socket changing under the running daemon (inotify on its directory, no timer), as the
   * control socket (server.ts): removed, it is published again, so scrapes reach this daemon; replaced
   * by another file (an administrator's, a second daemon's metrics socket), that is logged with its fix
   * and left alone (close() unlinks the path only while it is this daemon's socket).
   */
  async #checkSocket(file: string): Promise<void> {
    const now = await fileIdOf(file);
    if (sameFile(now, this.#socketId)) return;
    if (now !== null) {
      this.#logPathProblem(file);
      return;
    }
    // A new server for the new socket; the old one stops listening at once (libuv unlinks its private
    // name, already gone) and its open connections end by themselves or at close().
    const old = this.#server;
    this.#server = this.#newServer();
    if (old.listening) {
      this.#retired.add(old);
      old.close(() => this.#retired.delete(old));
    }
    try {
      await this.#publish(file, (err) => new EnvironmentError('ERR_METRICS_LISTEN', `cannot serve metrics on ${file} again (${err.code ?? err.message})`, { cause: err }));
    } catch (err) {
      // EEXIST: something took the name meanwhile (a path problem); else the listen's own error.
      if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') this.#logPathProblem(file);
      else this.logger.log('error', 'metrics-socket-failed', { socket: file, error: (err as Error).message, fix: `ls -ld ${shellWord(path.dirname(file))}; then: systemctl restart ixgbevf` });
      return;
    }
    this.#pathProblem = null;
    this.logger.log('warn', 'metrics-socket-recreated', { socket: file, reason: 'the metrics socket file was removed while the daemon ran' });
  }

  #logPathProblem(file: string): void {
    const error = `${file} was replaced by another file while the daemon ran: scrapes reach that, not this daemon (pid ${process.pid})`;
    if (this.#pathProblem === error) return;
    this.#pathProblem = error;
    const fix = `ls -l ${shellWord(file)}; if nothing should answer there: rm ${shellWord(file)} (this daemon then publishes its metrics socket again)`;
    this.logger.log('error', 'metrics-path-problem', { socket: file, error, fix });
  }

  async close(): Promise<void> {
    this.source.close?.();
    await this.#pathWatch?.stop(); // a publish in flight ends first
    for (const old of this.#retired) old.closeAllConnections();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // Only while the path still names this daemon's socket: never another daemon's or another file.
    if (this.#address?.kind === 'unix' && sameFile(await fileIdOf(this.#address.path), this.#socketId)) await fsp.unlink(this.#address.path).catch(() => undefined);
  }
}
