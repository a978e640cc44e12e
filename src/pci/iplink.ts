/**
 * The PF's view of its VFs, from `ip -j -d link show <pf>` (iproute2 JSON; needs iproute2 ≥ 4.13 for -j):
 * per VF index the admin MAC, trust, spoof-check, link state and port VLAN, plus the PF's own state.
 * `ip` is found on PATH (tests put a fake one there); absence or unparsable output is a typed error.
 */
import { execFile } from 'node:child_process';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';

export interface IpLinkVlan {
  vlan: number;
  qos: number;
  protocol: string | null;
}

export interface IpLinkVf {
  vf: number;
  /** The MAC the PF holds for this VF (admin MAC when set; 00:00:00:00:00:00 when none). */
  mac: string | null;
  trust: boolean | null;
  spoofchk: boolean | null;
  /** `auto`, `enable` or `disable`. */
  linkState: string | null;
  /** Port VLAN (0 / null: none). */
  vlan: number | null;
  qos: number | null;
  vlans: IpLinkVlan[];
}

export interface IpLinkInfo {
  ifname: string;
  /** `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`, … */
  operstate: string | null;
  flags: string[];
  /** `UP` among the flags: administratively up. */
  adminUp: boolean;
  /** `LOWER_UP` among the flags: carrier. */
  lowerUp: boolean;
  mtu: number | null;
  address: string | null;
  numVf: number | null;
  vfs: IpLinkVf[];
}

function parseError(message: string, details: Record<string, unknown>): EnvironmentError {
  return new EnvironmentError('ERR_IP_OUTPUT', message, {
    hint: 'check that `ip -j -d link show <pf>` prints JSON (iproute2 ≥ 4.13)',
    details,
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** iproute2 prints booleans with print_bool; some versions print "on"/"off". */
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : v === 'on' ? true : v === 'off' ? false : null);

function parseVf(raw: unknown, i: number): IpLinkVf {
  if (!isObj(raw) || num(raw.vf) === null) throw parseError(`vfinfo_list[${i}] has no "vf" index`, { entry: raw });
  const vlans: IpLinkVlan[] = [];
  if (Array.isArray(raw.vlan_list)) {
    for (const v of raw.vlan_list) {
      if (isObj(v) && num(v.vlan) !== null) vlans.push({ vlan: num(v.vlan)!, qos: num(v.qos) ?? 0, protocol: str(v.protocol) });
    }
  }
  // Without IFLA_VF_VLAN_LIST iproute2 prints a flat "vlan"/"qos" (only when non-zero).
  const flatVlan = num(raw.vlan);
  if (vlans.length === 0 && flatVlan !== null) vlans.push({ vlan: flatVlan, qos: num(raw.qos) ?? 0, protocol: null });
  const first = vlans.find((v) => v.vlan !== 0);
  return {
    vf: num(raw.vf)!,
    mac: str(raw.address) ?? str(raw.mac),
    trust: bool(raw.trust),
    spoofchk: bool(raw.spoofchk),
    linkState: str(raw.link_state),
    vlan: first?.vlan ?? (vlans.length > 0 || flatVlan !== null ? 0 : null),
    qos: first?.qos ?? null,
    vlans,
  };
}

/**
 * Parses `ip -j -d link show <ifname>` output. Throws `ERR_IP_OUTPUT` for non-JSON or unexpected shapes,
 * `ERR_NETDEV_NOT_FOUND` for an empty list (or no entry named `ifname`).
 */
export function parseIpLinkJson(text: string, ifname?: string): IpLinkInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const head = text.trim().slice(0, 80);
    throw parseError(`ip printed something that is not JSON${head === '' ? ' (empty output)' : `: ${JSON.stringify(head)}`}`, {
      output: text.slice(0, 400),
      parseError: err instanceof Error ? err.message : String(err),
    });
  }
  if (!Array.isArray(doc)) throw parseError('ip -j output is not a JSON array', { output: text.slice(0, 400) });
  const entries = doc.filter(isObj);
  const link = ifname === undefined ? entries[0] : entries.find((e) => e.ifname === ifname);
  if (link === undefined) {
    throw new EnvironmentError('ERR_NETDEV_NOT_FOUND', `ip link shows no interface${ifname === undefined ? '' : ` ${ifname}`}`, {
      hint: 'ip -br link',
      details: { ifname },
    });
  }
  const flags = Array.isArray(link.flags) ? link.flags.filter((f): f is string => typeof f === 'string') : [];
  const rawVfs = link.vfinfo_list;
  if (rawVfs !== undefined && !Array.isArray(rawVfs)) throw parseError('vfinfo_list is not an array', { ifname: link.ifname });
  return {
    ifname: str(link.ifname) ?? ifname ?? '',
    operstate: str(link.operstate),
    flags,
    adminUp: flags.includes('UP'),
    lowerUp: flags.includes('LOWER_UP'),
    mtu: num(link.mtu),
    address: str(link.address),
    numVf: num(link.num_vf),
    vfs: (rawVfs ?? []).map(parseVf).sort((a, b) => a.vf - b.vf),
  };
}

export interface IpLinkOptions {
  /** The `ip` binary; default `ip`, looked up on PATH. */
  ipCommand?: string;
  /** Environment for the child (PATH for the lookup). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const IFNAME = /^[A-Za-z0-9_.:@+=-]{1,15}$/;

export function validateIfname(ifname: string): string {
  if (typeof ifname !== 'string' || !IFNAME.test(ifname) || ifname.startsWith('-')) {
    throw new InvalidArgumentError('ERR_INVALID_IFNAME', `invalid interface name ${JSON.stringify(ifname)}`, { hint: 'ip -br link' });
  }
  return ifname;
}

/** Runs `ip -j -d link show <ifname>` and parses it. */
export async function ipLinkShow(ifname: string, opts: IpLinkOptions = {}): Promise<IpLinkInfo> {
  validateIfname(ifname);
  const cmd = opts.ipCommand ?? 'ip';
  const { stdout } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      cmd,
      ['-j', '-d', 'link', 'show', 'dev', ifname],
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 5000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, out, errOut) => {
        if (err === null) return resolve({ stdout: out, stderr: errOut });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT' || e.code === 'EACCES') {
          return reject(
            new EnvironmentError('ERR_IP_NOT_FOUND', `cannot run ${cmd} (${e.code}): iproute2 is needed to read the PF's view of its VFs`, {
              hint: 'install iproute2 (apt install iproute2 / dnf install iproute)',
              cause: err,
            }),
          );
        }
        const msg = (errOut || out || '').trim().split('\n')[0] ?? '';
        if (/does not exist|Cannot find device/i.test(msg)) {
          return reject(new EnvironmentError('ERR_NETDEV_NOT_FOUND', `no network interface ${ifname} (${msg})`, { hint: 'ip -br link', cause: err, details: { ifname } }));
        }
        return reject(
          new EnvironmentError('ERR_IP_FAILED', `ip -j -d link show ${ifname} failed${e.killed ? ' (timed out)' : ''}: ${msg || `exit ${String(e.code)}`}`, {
            hint: `ip -d link show ${ifname}`,
            cause: err,
            details: { ifname, exitCode: e.code, signal: e.signal ?? null },
          }),
        );
      },
    );
  });
  return parseIpLinkJson(stdout, ifname);
}
