/**
 * Who is on the other end of a Unix socket (SO_PEERCRED). Node has no API for it; the native addon's
 * `peerCredentials(fd)` provides it. Without the addon this returns null and the daemon refuses the peer
 * (fail closed).
 */
import type net from 'node:net';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

type PeerCredFn = (fd: number) => PeerCredentials;

let loaded: Promise<PeerCredFn | null> | undefined;

/** Loads `peerCredentials` from the native addon once; null when the addon or the function is missing. */
export function loadPeerCredentials(): Promise<PeerCredFn | null> {
  loaded ??= (async () => {
    try {
      const spec = '../native.js'; // not a literal: the module may not be built yet
      const mod = (await import(spec)) as Record<string, unknown>;
      const native = (mod.native ?? mod.default ?? mod) as Record<string, unknown>;
      const fn = typeof native.peerCredentials === 'function' ? native.peerCredentials : mod.peerCredentials;
      return typeof fn === 'function' ? (fn as PeerCredFn) : null;
    } catch {
      return null;
    }
  })();
  return loaded;
}

/** The socket's file descriptor, or null (Node keeps it on the internal handle). */
export function socketFd(socket: net.Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

export async function getPeerCredentials(socket: net.Socket): Promise<PeerCredentials | null> {
  const fn = await loadPeerCredentials();
  const fd = socketFd(socket);
  if (fn === null || fd === null) return null;
  try {
    const c = fn(fd);
    if (typeof c !== 'object' || c === null || !Number.isInteger(c.uid) || !Number.isInteger(c.gid) || !Number.isInteger(c.pid)) return null;
    return { pid: c.pid, uid: c.uid, gid: c.gid };
  } catch {
    return null;
  }
}
