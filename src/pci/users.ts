/** `--user NAME|UID` → uid/gid, from /etc/passwd (path injectable). */
import { promises as fsp } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import type { SysfsOptions } from './sysfs.js';

export interface ResolvedUser {
  uid: number;
  /** Primary gid from passwd; null for a numeric uid not in passwd. */
  gid: number | null;
  name: string | null;
}

export async function resolveUser(spec: string, opts: Pick<SysfsOptions, 'passwdPath'> = {}): Promise<ResolvedUser> {
  const passwdPath = opts.passwdPath ?? '/etc/passwd';
  const numeric = /^\d+$/.test(spec) ? Number(spec) : null;
  if (numeric !== null && numeric > 0xfffffffe) {
    throw new InvalidArgumentError('ERR_INVALID_USER', `invalid uid ${spec}`, { hint: `id ${spec}` });
  }
  let text = '';
  try {
    text = await fsp.readFile(passwdPath, 'utf8');
  } catch {
    text = ''; // no passwd: only numeric ids resolve
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid)) continue;
    if (f[0] === spec || (numeric !== null && uid === numeric)) {
      return { uid, gid: Number.isInteger(gid) ? gid : null, name: f[0]! };
    }
  }
  if (numeric !== null) return { uid: numeric, gid: null, name: null };
  throw new InvalidArgumentError('ERR_UNKNOWN_USER', `no user ${JSON.stringify(spec)} in ${passwdPath}`, {
    hint: `id ${spec}`,
    details: { user: spec },
  });
}
