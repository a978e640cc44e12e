/**
 * The metrics endpoint: `--metrics <port | :port | ipv4:port | [v6]:port | localhost:port | /unix/path>`. A
 * bare port binds to 127.0.0.1; a Unix socket is created 0600 (0660 and the daemon's
 * group with `--group`), never over a file that is not a stale socket. Serves GET /metrics (Prometheus
 * text format) and nothing else: other paths get 404, other methods (CONNECT too) 405.
 */
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type stream from 'node:stream';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import type { Logger } from './log.js';
import { checkSocketPathLength, listenOn, removeStaleSocket, setSocketAccess } from './unix-socket.js';

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
  readonly #server: http.Server;
  /** Answers not yet fully sent, per connection (pipelined requests queue theirs behind the first). */
  readonly #pending = new WeakMap<net.Socket, number>();
  #address: MetricsAddress | null = null;

  constructor(
    private readonly source: MetricsSource,
    private readonly logger: Logger,
  ) {
    this.#server = http.createServer((req, res) => {
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
    this.#server.on('connect', (_req: http.IncomingMessage, socket: stream.Duplex) => {
      socket.on('error', () => socket.destroy());
      socket.end(METHOD_NOT_ALLOWED_CLOSE);
    });
    this.#server.maxConnections = MAX_METRICS_CONNECTIONS;
    this.#server.keepAliveTimeout = 5000;
    this.#server.headersTimeout = 10000;
    this.#server.requestTimeout = 10000;
  }

  /** The bound address (a port 0 request resolved to the real port). */
  get address(): MetricsAddress | null {
    return this.#address;
  }

  async listen(address: MetricsAddress, gid: number | null = null): Promise<void> {
    if (address.kind === 'unix') {
      await removeStaleSocket(address.path, {
        notSocket: (file) => new EnvironmentError('ERR_METRICS_PATH', `${file} exists and is not a socket; not removing it`, { hint: `choose another path with --metrics, or rm ${file}` }),
        live: (file) => new EnvironmentError('ERR_METRICS_IN_USE', `another process serves ${file}`, { hint: 'choose another path with --metrics' }),
      });
    }
    await listenOn(
      this.#server,
      (done) => (address.kind === 'unix' ? this.#server.listen(address.path, done) : this.#server.listen(address.port, address.host, done)),
      (err) =>
        new EnvironmentError('ERR_METRICS_LISTEN', `cannot serve metrics on ${describeAddress(address)} (${err.code ?? err.message})`, {
          hint: err.code === 'EADDRINUSE' ? 'choose another port: --metrics 9465' : 'check the address: --metrics 127.0.0.1:9464',
          cause: err,
        }),
      address.kind === 'unix',
    );
    if (address.kind === 'unix') {
      await setSocketAccess(address.path, gid);
      this.#address = address;
    } else {
      const bound = this.#server.address() as net.AddressInfo;
      this.#address = { kind: 'tcp', host: address.host, port: bound.port };
    }
    this.logger.log('info', 'metrics-listening', { address: describeAddress(this.#address), path: '/metrics' });
  }

  async close(): Promise<void> {
    this.source.close?.();
    if (!this.#server.listening) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#address?.kind === 'unix') await fsp.unlink(this.#address.path).catch(() => undefined);
  }
}
