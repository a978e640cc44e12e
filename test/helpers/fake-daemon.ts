/**
 * A fake daemon for CLI tests: a Unix socket in a temp dir that reads request lines (JSON) and hands each
 * to `onRequest` with a `send` for reply or event lines. close() ends open connections and the server.
 */
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface FakeDaemonRequest {
  id: unknown;
  op?: string;
  [field: string]: unknown;
}

export interface FakeDaemon {
  path: string;
  /** Request lines read so far, over all connections. */
  readonly requests: number;
  close(): Promise<void>;
}

/** `send(doc)` writes one JSON line on the request's connection; a string is written as it is (one line). */
export type Send = (line: Record<string, unknown> | string) => void;

export function fakeDaemon(onRequest: (req: FakeDaemonRequest, send: Send, socketPath: string) => void, prefix = 'ixgbevf-fake-daemon-'): Promise<FakeDaemon> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), prefix)), 'd.sock');
  const conns = new Set<net.Socket>();
  let requests = 0;
  const srv = net.createServer((c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
    c.on('error', () => undefined);
    const send: Send = (line) => void c.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        requests += 1;
        onRequest(JSON.parse(line) as FakeDaemonRequest, send, file);
      }
    });
  });
  return new Promise((resolve) =>
    srv.listen(file, () =>
      resolve({
        path: file,
        get requests() {
          return requests;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const c of conns) c.destroy();
            srv.close(() => r());
          }),
      }),
    ),
  );
}
