/**
 * The daemon's configuration file (`--config /etc/ixgbevf/daemon.json`): the VFs to hold and their desired
 * state, the control socket, the state directory, the socket group, the log format, the metrics address,
 * poll mode and the mailbox timeout. Validated field by field: every bad field is named by its path
 * (`vfs["0000:03:10.0"].mtu`) in one ERR_CONFIG_INVALID error (exit 2). The file must be root's or the
 * daemon's and not writable by group or others, and so must the way to it (trusted-path.ts): it decides
 * what the daemon does to devices as root.
 */
import fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import { EnvironmentError, InvalidArgumentError, type IxgbevfError } from '../errors.js';
import { DEFAULT_CONFIG_FILE } from './defaults.js';
import type { LogFormat } from './log.js';
import { parseMetricsAddress } from './metrics-server.js';
import { emptyState, type DesiredState } from './state.js';
import { checkTrustedFilePath, isTrustedOwner } from './trusted-path.js';
import { parseMtu, parseMulticastMac, parseUnicastMac, parseVfSpec, parseVlanId, parseXcastMode } from './validate.js';
import { checkSocketPathLength } from './unix-socket.js';

export { DEFAULT_CONFIG_FILE };
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The fields of a VF's desired state the config sets (the others come from the state file). */
export type ConfiguredState = Partial<DesiredState>;

export interface DaemonConfig {
  /** VF spec (normalised) → the desired state fields the config sets; in file order. */
  vfs: Map<string, ConfiguredState>;
  socket?: string;
  stateDir?: string;
  group?: string;
  logFormat?: LogFormat;
  metrics?: string;
  poll?: boolean;
  timeoutMs?: number;
}

export interface ConfigProblem {
  /** The field's path in the document: `vfs["0000:03:10.0"].vlans[1]`, `logFormat`. */
  path: string;
  problem: string;
}

const TOP_FIELDS = ['vfs', 'socket', 'stateDir', 'group', 'logFormat', 'metrics', 'poll', 'timeoutMs'] as const;
const VF_FIELDS = ['mac', 'mtu', 'vlans', 'multicast', 'xcast'] as const;

function messageOf(err: unknown): string {
  return (err as IxgbevfError).message ?? String(err);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Validates a parsed config document. Throws one ERR_CONFIG_INVALID listing every bad field. */
export function parseConfig(doc: unknown, file = DEFAULT_CONFIG_FILE): DaemonConfig {
  const problems: ConfigProblem[] = [];
  const bad = (path: string, problem: string): void => void problems.push({ path, problem });
  const config: DaemonConfig = { vfs: new Map() };
  if (!isObject(doc)) {
    bad('(document)', `expected a JSON object, got ${typeName(doc)}`);
    throw configError(file, problems);
  }
  for (const key of Object.keys(doc)) {
    if (!(TOP_FIELDS as readonly string[]).includes(key)) bad(key, `unknown field (known: ${TOP_FIELDS.join(', ')})`);
  }
  const str = (key: 'socket' | 'stateDir' | 'group' | 'metrics', check?: (v: string) => void): void => {
    const v = doc[key];
    if (v === undefined) return;
    if (typeof v !== 'string' || v === '') return bad(key, `expected a non-empty string, got ${typeName(v)}`);
    try {
      check?.(v);
      config[key] = v;
    } catch (err) {
      bad(key, messageOf(err));
    }
  };
  str('socket', (v) => {
    checkPathText(v);
    checkSocketPathLength(v);
  });
  str('stateDir', (v) => checkPathText(v));
  str('group', (v) => {
    if (!/^[A-Za-z_][\w.-]*\$?$|^\d+$/.test(v)) throw new Error(`${JSON.stringify(v)} is not a group name or gid`);
  });
  str('metrics', (v) => void parseMetricsAddress(v));
  if (doc['logFormat'] !== undefined) {
    if (doc['logFormat'] === 'text' || doc['logFormat'] === 'json') config.logFormat = doc['logFormat'];
    else bad('logFormat', `expected "text" or "json", got ${typeName(doc['logFormat'])}`);
  }
  if (doc['poll'] !== undefined) {
    if (typeof doc['poll'] === 'boolean') config.poll = doc['poll'];
    else bad('poll', `expected true or false, got ${typeName(doc['poll'])}`);
  }
  if (doc['timeoutMs'] !== undefined) {
    const t = doc['timeoutMs'];
    if (typeof t === 'number' && Number.isInteger(t) && t >= 1 && t <= 60_000) config.timeoutMs = t;
    else bad('timeoutMs', `expected an integer number of ms from 1 to 60000, got ${typeName(t)}`);
  }
  const vfs = doc['vfs'];
  if (vfs === undefined) bad('vfs', 'missing: the VFs the daemon holds, e.g. { "0000:03:10.0": { "mac": "02:00:00:00:00:01" } }');
  else if (!isObject(vfs)) bad('vfs', `expected an object keyed by VF (PCI address or sim spec), got ${typeName(vfs)}`);
  else {
    if (Object.keys(vfs).length === 0) bad('vfs', 'no VF: name at least one');
    for (const [spec, value] of Object.entries(vfs)) {
      const at = `vfs[${JSON.stringify(spec)}]`;
      let id: string;
      try {
        id = parseVfSpec(spec);
      } catch (err) {
        bad(at, messageOf(err));
        continue;
      }
      if (config.vfs.has(id)) {
        bad(at, `the same VF as an earlier entry (${id})`);
        continue;
      }
      const parsed = parseVfEntry(value, at, bad);
      if (parsed !== null) config.vfs.set(id, parsed);
    }
  }
  if (problems.length > 0) throw configError(file, problems);
  return config;
}

function parseVfEntry(value: unknown, at: string, bad: (path: string, problem: string) => void): ConfiguredState | null {
  if (!isObject(value)) {
    bad(at, `expected an object with the VF's desired state (${VF_FIELDS.join(', ')}; {} for none), got ${typeName(value)}`);
    return null;
  }
  const s: ConfiguredState = {};
  const field = <T>(key: string, parse: (v: unknown) => T, set: (v: T) => void): void => {
    if (value[key] === undefined) return;
    try {
      set(parse(value[key]));
    } catch (err) {
      bad(`${at}.${key}`, messageOf(err));
    }
  };
  for (const key of Object.keys(value)) {
    if (!(VF_FIELDS as readonly string[]).includes(key)) bad(`${at}.${key}`, `unknown field (known: ${VF_FIELDS.join(', ')})`);
  }
  const asString = (v: unknown): string => {
    if (typeof v !== 'string') throw new Error(`expected a string, got ${typeName(v)}`);
    return v;
  };
  const asNumber = (v: unknown): number => {
    if (typeof v !== 'number') throw new Error(`expected a number, got ${typeName(v)}`);
    return v;
  };
  field('mac', (v) => parseUnicastMac(asString(v)), (v) => (s.mac = v));
  field('mtu', (v) => parseMtu(asNumber(v)), (v) => (s.mtu = v));
  field('xcast', (v) => parseXcastMode(asString(v)), (v) => (s.xcast = v));
  const list = <T>(key: 'vlans' | 'multicast', parse: (v: unknown) => T, max: number): T[] | null => {
    const raw = value[key];
    if (raw === undefined) return null;
    if (!Array.isArray(raw)) {
      bad(`${at}.${key}`, `expected a list, got ${typeName(raw)}`);
      return null;
    }
    if (raw.length > max) bad(`${at}.${key}`, `${raw.length} entries (at most ${max})`);
    const out: T[] = [];
    raw.forEach((item, i) => {
      try {
        out.push(parse(item));
      } catch (err) {
        bad(`${at}.${key}[${i}]`, messageOf(err));
      }
    });
    return out;
  };
  const vlans = list('vlans', (v) => parseVlanId(asNumber(v)), 4095);
  if (vlans !== null) s.vlans = [...new Set(vlans)].sort((a, b) => a - b);
  const multicast = list('multicast', (v) => parseMulticastMac(asString(v)), 256);
  if (multicast !== null) s.multicast = multicast;
  return s;
}

/** An absolute path without NUL or other control characters (a path the kernel would refuse or cut). */
function checkPathText(v: string): void {
  if (!v.startsWith('/')) throw new Error(`${JSON.stringify(v)} is not an absolute path`);
  if (/[\u0000-\u001f]/.test(v)) throw new Error(`${JSON.stringify(v)} holds a control character`);
}

function configError(file: string, problems: ConfigProblem[]): InvalidArgumentError {
  const list = problems.map((p) => `${p.path}: ${p.problem}`).join('; ');
  return new InvalidArgumentError('ERR_CONFIG_INVALID', `${file}: ${problems.length === 1 ? 'bad field' : `${problems.length} bad fields`}: ${list}`, {
    hint: `sudoedit ${file}`,
    details: { file, problems },
  });
}

/** Reads and validates the config file. Missing/unreadable: exit 3; untrusted (owner, mode): exit 3; bad JSON or fields: exit 2. */
export async function loadConfig(file: string): Promise<DaemonConfig> {
  let text: string;
  try {
    // The way to it first: another user's symlink on it, or a directory above it that another user may
    // write in, would let that user choose the file the daemon obeys (trusted-path.ts).
    await checkTrustedFilePath(file, (what, hint) => new EnvironmentError('ERR_CONFIG_UNTRUSTED', `refusing ${file}: ${what}`, { hint }));
    // O_NONBLOCK: a FIFO at the path must not hang the start (it is then refused: not a regular file).
    const fh = await fsp.open(file, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new EnvironmentError('ERR_CONFIG_READ', `${file} is not a regular file`, { hint: `ls -l ${file}` });
      if (!isTrustedOwner(st.uid)) {
        throw new EnvironmentError('ERR_CONFIG_UNTRUSTED', `refusing ${file}: owned by uid ${st.uid} (only root or the daemon's uid may own it)`, { hint: `chown root ${file}` });
      }
      if ((st.mode & 0o022) !== 0) {
        throw new EnvironmentError('ERR_CONFIG_UNTRUSTED', `refusing ${file}: writable by group or others (mode 0${(st.mode & 0o777).toString(8)})`, { hint: `chmod go-w ${file}` });
      }
      if (st.size > MAX_CONFIG_BYTES) throw new InvalidArgumentError('ERR_CONFIG_INVALID', `${file}: larger than ${MAX_CONFIG_BYTES} bytes`, { hint: `ls -l ${file}` });
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof EnvironmentError || err instanceof InvalidArgumentError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new EnvironmentError('ERR_CONFIG_READ', `cannot read ${file} (${code})`, {
      hint: code === 'ENOENT' ? `sudo install -D -m 0644 /dev/null ${file}   (then write the VFs into it; see docs/daemon.md)` : `ls -l ${file}`,
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw configError(file, [{ path: '(document)', problem: `not JSON: ${(err as Error).message}` }]);
  }
  return parseConfig(doc, file);
}

/** Lays the config's fields over a desired state loaded from the state file (the config wins where it speaks). */
export function overlayConfigured(base: DesiredState, configured: ConfiguredState | undefined): DesiredState {
  if (configured === undefined) return base;
  const out = { ...emptyState(), ...base, ...configured };
  out.vlans = [...(configured.vlans ?? base.vlans)];
  out.multicast = [...(configured.multicast ?? base.multicast)];
  return out;
}
