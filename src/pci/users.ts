/**
 * `--user NAME|UID` and `--group NAME|GID` → ids, through the system's name service: `getent passwd` /
 * `getent group` in a child process (so LDAP, SSSD, systemd-userdb … answer as they do for `id`), with
 * the plain files only when `getent` itself is missing. Numeric ids are accepted as they are.
 */
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import type { SysfsOptions } from './sysfs.js';

export interface ResolvedUser {
  uid: number;
  /** Primary gid; null for a numeric uid the name service does not know. */
  gid: number | null;
  name: string | null;
}

export interface NameServiceOptions extends Pick<SysfsOptions, 'passwdPath'> {
  /** The `getent` binary (default `getent` on PATH); tests point it at a fake. */
  getentCommand?: string;
  /** Fallback when getent is missing. Default /etc/group. */
  groupPath?: string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?$/;
const MAX_ID = 0xfffffffe;

type Lookup = { found: true; fields: string[] } | { found: false } | { unavailable: true };

/** One `getent <db> <key>` in a child process: exit 0 → the entry, exit 2 → not found. */
function getent(db: 'passwd' | 'group', key: string, command: string): Promise<Lookup> {
  return new Promise((resolve, reject) => {
    execFile(command, [db, key], { timeout: 10_000, encoding: 'utf8' }, (err, stdout) => {
      if (err === null) return resolve({ found: true, fields: stdout.split('\n')[0]!.split(':') });
      const e = err as Omit<NodeJS.ErrnoException, 'code'> & { code?: string | number };
      if (e.code === 'ENOENT' || e.code === 'EACCES') return resolve({ unavailable: true });
      if (e.code === 2) return resolve({ found: false });
      reject(new InvalidArgumentError('ERR_NAME_SERVICE', `getent ${db} ${key} failed (${String(e.code ?? e.message)})`, { hint: `getent ${db} ${key}`, cause: err }));
    });
  });
}

/** The same lookup in a colon file (passwd/group format), for a system without getent. */
async function fileLookup(file: string, key: string, numeric: boolean): Promise<Lookup> {
  let text = '';
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return { found: false };
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3) continue;
    if (numeric ? f[2] === key : f[0] === key) return { found: true, fields: f };
  }
  return { found: false };
}

async function lookup(db: 'passwd' | 'group', key: string, numeric: boolean, opts: NameServiceOptions): Promise<Lookup & { source: string }> {
  const r = await getent(db, key, opts.getentCommand ?? 'getent');
  if (!('unavailable' in r)) return { ...r, source: `getent ${db}` };
  const file = db === 'passwd' ? (opts.passwdPath ?? '/etc/passwd') : (opts.groupPath ?? '/etc/group');
  return { ...(await fileLookup(file, key, numeric)), source: file };
}

function checkSpec(spec: string, what: 'user' | 'group'): number | null {
  if (/^\d+$/.test(spec)) {
    const n = Number(spec);
    if (n > MAX_ID) throw new InvalidArgumentError(what === 'user' ? 'ERR_INVALID_USER' : 'ERR_INVALID_GROUP', `invalid ${what === 'user' ? 'uid' : 'gid'} ${spec}`, { hint: `getent ${what === 'user' ? 'passwd' : 'group'} ${spec}` });
    return n;
  }
  if (!NAME.test(spec)) {
    throw new InvalidArgumentError(what === 'user' ? 'ERR_INVALID_USER' : 'ERR_INVALID_GROUP', `invalid ${what} name ${JSON.stringify(spec.slice(0, 64))}`, { hint: `getent ${what === 'user' ? 'passwd' : 'group'}` });
  }
  return null;
}

export async function resolveUser(spec: string, opts: NameServiceOptions = {}): Promise<ResolvedUser> {
  const numeric = checkSpec(spec, 'user');
  const r = await lookup('passwd', spec, numeric !== null, opts);
  if ('found' in r && r.found) {
    const uid = Number(r.fields[2]);
    const gid = Number(r.fields[3]);
    if (Number.isInteger(uid)) return { uid, gid: Number.isInteger(gid) ? gid : null, name: r.fields[0]! };
  }
  if (numeric !== null) return { uid: numeric, gid: null, name: null };
  throw new InvalidArgumentError('ERR_UNKNOWN_USER', `no user ${JSON.stringify(spec)} (${r.source} knows none)`, {
    hint: `getent passwd ${spec}`,
    details: { user: spec },
  });
}

/** `--group NAME|GID` → gid (numeric ids as they are). */
export async function resolveGroupId(spec: string, opts: NameServiceOptions = {}): Promise<number> {
  const numeric = checkSpec(spec, 'group');
  if (numeric !== null) return numeric;
  const r = await lookup('group', spec, false, opts);
  if ('found' in r && r.found && /^\d+$/.test(r.fields[2] ?? '')) return Number(r.fields[2]);
  throw new InvalidArgumentError('ERR_UNKNOWN_GROUP', `no group ${JSON.stringify(spec)} (${r.source} knows none)`, {
    hint: `getent group ${spec}`,
    details: { group: spec },
  });
}
