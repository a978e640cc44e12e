/**
 * Who the control socket lets in, and the refusal a peer gets otherwise: the peer's uid and groups (from
 * SO_PEERCRED and /proc), the connection caps (in total, per uid, with room always kept for root), and
 * the one JSON line that says why before the close.
 */
import { promises as fsp } from 'node:fs';
import type net from 'node:net';
import type { PeerCredentials } from './peercred.js';
import { MAX_LINE_BYTES, type Reply } from './protocol.js';

/** Connections served at once, all uids together. */
export const MAX_CONNECTIONS = 64;
/** Of those, kept free for root (uid 0): other uids together never take them. */
export const ROOT_RESERVED_CONNECTIONS = 8;
/** Connections one non-root uid may hold at once (its share of the cap). */
export const MAX_CONNECTIONS_PER_UID = 16;
/** Refused sockets kept open briefly so the peer can read the reason (beyond this: closed at once). */
const MAX_REFUSING = 64;
/** How long a refused socket is drained before it is closed, ms. */
const REFUSAL_LINGER_MS = 1000;

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

/** Root, the daemon's own uid, and (with `--group`) members of that group may use the socket. */
export async function isAllowedPeer(creds: PeerCredentials, gid: number | null): Promise<boolean> {
  if (creds.uid === 0) return true;
  if (typeof process.geteuid === 'function' && creds.uid === process.geteuid()) return true;
  if (gid !== null) {
    if (creds.gid === gid) return true;
    if ((await supplementaryGroups(creds.pid)).includes(gid)) return true;
  }
  return false;
}

export type Room = { ok: true } | { ok: false; message: string; hint: string };

/**
 * Whether `uid` may take one more connection now, with `served` connections open and `perUid` of them
 * per uid (root: up to the cap; others: their share, outside root's room).
 */
export function roomFor(uid: number, served: number, perUid: ReadonlyMap<number, number>): Room {
  if (served >= MAX_CONNECTIONS) return { ok: false, message: `the daemon already serves ${MAX_CONNECTIONS} connections`, hint: 'close idle ixgbevf watch sessions, then retry' };
  if (uid === 0) return { ok: true };
  const mine = perUid.get(uid) ?? 0;
  if (mine >= MAX_CONNECTIONS_PER_UID) {
    return { ok: false, message: `uid ${uid} already has ${mine} connections to the daemon (at most ${MAX_CONNECTIONS_PER_UID} per user)`, hint: "close this user's idle ixgbevf watch sessions, then retry" };
  }
  const nonRoot = served - (perUid.get(0) ?? 0);
  if (nonRoot >= MAX_CONNECTIONS - ROOT_RESERVED_CONNECTIONS) {
    return { ok: false, message: `the daemon's connections for non-root users are all in use (${nonRoot}; ${ROOT_RESERVED_CONNECTIONS} are kept for root)`, hint: 'close idle ixgbevf watch sessions, or retry as root' };
  }
  return { ok: true };
}

/** Refused sockets: each is told why, and at most MAX_REFUSING of them linger at once. */
export class Refusals {
  #lingering = 0;

  /**
   * Says why (one JSON line, exit code 3), half-closes, and reads and drops what the peer sends for a
   * moment: a client that wrote its request first then reads the reason instead of failing its write
   * with EPIPE. Bounded: at most MAX_REFUSING sockets linger, each at most REFUSAL_LINGER_MS.
   */
  refuse(socket: net.Socket, code: string, message: string, hint: string): void {
    const reply: Reply = { id: null, ok: false, error: { code, message, hint, exitCode: 3 } };
    if (this.#lingering >= MAX_REFUSING) {
      socket.end(`${JSON.stringify(reply)}\n`, () => socket.destroy());
      return;
    }
    this.#lingering += 1;
    const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      this.#lingering -= 1;
    });
    let dropped = 0;
    socket.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > MAX_LINE_BYTES) socket.destroy();
    });
    socket.on('end', () => socket.destroy());
    socket.end(`${JSON.stringify(reply)}\n`);
    socket.resume();
  }
}
