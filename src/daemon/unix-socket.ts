/**
 * The daemon's Unix socket files (the control socket and a `--metrics` socket path): a file left by a
 * daemon that died is removed, but never a file that is not a socket or a socket something still answers
 * on; the socket is created private (umask 0177, so never briefly open to others), then 0600, or 0660
 * and the `--group` gid, in a directory no other user may write in (checkSocketDirectory). Also `--group
 * NAME|GID` → gid (from /etc/group) and a server's listen as a promise.
 */
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import { checkTrustedDirectoryPath } from './trusted-path.js';

/**
 * The directory of a socket the daemon publishes (`what`: "control socket", "metrics socket") must be
 * trusted as the state directory is (trusted-path.ts; a root-owned sticky one such as /tmp allowed):
 * ERR_SOCKET_DIR_UNSAFE, exit 3, otherwise.
 */
export async function checkSocketDirectory(what: string, file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    await checkTrustedDirectoryPath(dir, (problem, hint) => new EnvironmentError('ERR_SOCKET_DIR_UNSAFE', `refusing the ${what} ${file}: ${problem}`, { hint }));
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return; // a file on the way: the mkdir or the listen says so, in its own words
    throw new EnvironmentError('ERR_SOCKET_DIR', `cannot check the directory of the ${what} ${file} (${code ?? String(err)})`, { hint: `ls -ld ${dir}`, cause: err });
  }
}

/** The longest Unix socket path the kernel takes (sun_path is 108 bytes with its NUL); a longer one it would cut. */
export const UNIX_SOCKET_PATH_MAX = 107;

/** `file` fits a Unix socket address (at most UNIX_SOCKET_PATH_MAX bytes): the kernel takes it whole. */
export function fitsSocketAddress(file: string): boolean {
  return Buffer.byteLength(file) <= UNIX_SOCKET_PATH_MAX;
}

/** Refuses a socket path the kernel would truncate (a truncated socket file would be left behind). Throws Error (callers wrap it). */
export function checkSocketPathLength(file: string): void {
  const bytes = Buffer.byteLength(file);
  if (!fitsSocketAddress(file)) throw new Error(`${JSON.stringify(file.length > 60 ? `${file.slice(0, 60)}…` : file)} is ${bytes} bytes: a Unix socket path has at most ${UNIX_SOCKET_PATH_MAX}`);
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

/** Connects to `socketPath`: true when something answers (a live daemon), false on ECONNREFUSED/ENOENT. */
function answersOn(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The errors a caller gives for a path it must not take over. */
export interface StaleSocketRefusals {
  notSocket(file: string): Error;
  live(file: string): Error;
}

/** Removes a stale socket at `file`; true when one was removed, false when nothing was there. */
export async function removeStaleSocket(file: string, refuse: StaleSocketRefusals): Promise<boolean> {
  let st;
  try {
    st = await fsp.lstat(file);
  } catch {
    return false;
  }
  if (!st.isSocket()) throw refuse.notSocket(file);
  if (await answersOn(file)) throw refuse.live(file);
  await fsp.unlink(file);
  return true;
}

/**
 * `server.listen(...)` through `listen`, as a promise: resolves once listening, rejects with
 * `failed(err)`. With `privateUmask` the umask is 0177 meanwhile (a Unix socket is born 0600).
 */
export async function listenOn(server: net.Server, listen: (done: () => void) => void, failed: (err: NodeJS.ErrnoException) => Error, privateUmask: boolean): Promise<void> {
  const oldMask = privateUmask ? process.umask(0o177) : null;
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(failed(err));
      server.once('error', onError);
      listen(() => {
        server.off('error', onError);
        resolve();
      });
    });
  } finally {
    if (oldMask !== null) process.umask(oldMask);
  }
}

/** A listening socket file: 0600, or 0660 and group `gid`. */
export async function setSocketAccess(file: string, gid: number | null): Promise<void> {
  await fsp.chmod(file, 0o600);
  if (gid !== null) {
    await fsp.chown(file, -1, gid);
    await fsp.chmod(file, 0o660);
  }
}

/** A file's identity: which inode a name points to now. */
export interface FileId {
  dev: number;
  ino: number;
}

/** The identity of what `file` names now (lstat: a symlink is itself), or null when nothing is there. */
export async function fileIdOf(file: string): Promise<FileId | null> {
  try {
    const st = await fsp.lstat(file);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

export function sameFile(a: FileId | null, b: FileId | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

/**
 * Listens on `file` without letting the server own the name: libuv unlinks the path a Unix server
 * listened on when it closes, whatever that path names by then (another daemon's socket, an
 * administrator's file). So the server binds a private name beside it (`.<name>.<pid>`, born 0600
 * under the umask), the socket gets its access (`gid`), then a hard link publishes it at `file` (never
 * replacing anything there) and the private name goes. The caller unlinks `file` at close only while it
 * is still this socket (sameFile with the returned id). On a long path the private name is `.<pid>`;
 * only when even that is too long for a socket path does the server listen on `file` itself. Rejects with `failed(err)` (the listen) or the link's error.
 */
export async function listenPublished(server: net.Server, file: string, gid: number | null, failed: (err: NodeJS.ErrnoException) => Error): Promise<FileId> {
  // `.<name>.<pid>`, or the shorter `.<pid>` when that would not fit a socket path (a long path).
  const names = [`.${path.basename(file)}.${process.pid}`, `.${process.pid}`].map((n) => path.join(path.dirname(file), n));
  const priv = names.find(fitsSocketAddress);
  if (priv === undefined) {
    await listenOn(server, (done) => server.listen(file, done), failed, true);
    await setSocketAccess(file, gid);
    return (await fileIdOf(file))!;
  }
  // A leftover of an earlier process with this pid (after a reboot): only a socket is removed.
  const old = await fsp.lstat(priv).catch(() => null);
  if (old?.isSocket() === true) await fsp.unlink(priv).catch(() => undefined);
  await listenOn(server, (done) => server.listen(priv, done), failed, true);
  try {
    await setSocketAccess(priv, gid);
    await fsp.link(priv, file);
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve())); // unlinks `priv`
    throw err;
  }
  await fsp.unlink(priv).catch(() => undefined);
  return (await fileIdOf(file))!;
}
