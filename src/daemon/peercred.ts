/**
 * Who is on the other end of a Unix socket (SO_PEERCRED). Node has no API for it; the native addon's
 * `peerCredentials(fd)` provides it. Without the addon this returns null and the daemon refuses the peer
 * (fail closed).
 */
import type net from 'node:net';
import { loadNative } from '../native.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

type PeerCredFn = (fd: number) => PeerCredentials;

let loaded: PeerCredFn | null | undefined;

/**
 * `peerCredentials` from the native addon, or null when the addon is not built or has no such function
 * (looked up once).
 */
export function loadPeerCredentials(): PeerCredFn | null {
  if (loaded !== undefined) return loaded;
  try {
    const addon = loadNative();
    loaded = (fd: number) => addon.peerCredentials(fd);
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The socket's file descriptor, or null (Node keeps it on the internal handle). */
export function socketFd(socket: net.Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

export async function getPeerCredentials(socket: net.Socket): Promise<PeerCredentials | null> {
  const fn = loadPeerCredentials();
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
