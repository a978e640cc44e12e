/**
 * The PF side of the smoke test: what the host administrator sees and changes with `ip`. Two
 * implementations: `ipPfSide` (a real PF: `ip -j -d link show`, `ip link set <pf> vf N trust|mac`,
 * `ip link set <pf> down|up`) and `simPfSide` (the simulated PF behind a `sim` VF, through
 * `VfHandle.sim`). The smoke engine only sees `PfSide`.
 */
import { execFile } from 'node:child_process';
import { EnvironmentError, NotSupportedError } from '../errors.js';
import type { SimPfControl } from '../open/types.js';
import { parseIpLinkJson, validateIfname } from '../pci/iplink.js';

/** The PF's view of one VF (what `ip -d link show <pf>` prints for `vf N`), plus the PF's own state. */
export interface PfVfView {
  source: 'ip' | 'sim';
  /** PF administratively up. */
  pfUp: boolean | null;
  /** PF carrier (LOWER_UP). */
  carrier: boolean | null;
  /** The MAC the PF holds for the VF; null when none (00:00:00:00:00:00). */
  mac: string | null;
  trust: boolean | null;
  spoofchk: boolean | null;
  /** `auto` / `enable` / `disable`. */
  linkState: string | null;
  /** Port VLAN, 0 = none. */
  portVlan: number | null;
  /** `query_rss` (82599/X540 PFs). */
  rssQuery: boolean | null;
}

export interface PfSide {
  readonly kind: 'ip' | 'sim';
  /** PF netdev name (for hints). */
  readonly pfName: string;
  readonly vfIndex: number;
  view(): Promise<PfVfView>;
  /** `ip link set <pf> vf N trust on|off`; NotSupportedError when the PF driver has no trust. */
  setTrust(on: boolean): Promise<void>;
  /** `ip link set <pf> vf N mac M`; null = `00:00:00:00:00:00` (clears the administrator MAC). */
  setAdminMac(mac: string | null): Promise<void>;
  /** `ip link set <pf> down`. */
  interfaceDown(): Promise<void>;
  /** `ip link set <pf> up`, then wait (bounded) for carrier. */
  interfaceUp(): Promise<void>;
}

const ZERO_MAC = '00:00:00:00:00:00';

export function normalizeViewMac(mac: string | null | undefined): string | null {
  if (typeof mac !== 'string') return null;
  const m = mac.toLowerCase();
  return m === ZERO_MAC || m === '' ? null : m;
}

/** The simulated PF (sim VFs): the knobs of `VfHandle.sim`. */
export function simPfSide(control: SimPfControl, pfName: string, vfIndex: number): PfSide {
  return {
    kind: 'sim',
    pfName,
    vfIndex,
    view: () => {
      const v = control.vfInfo();
      const num = (x: unknown): number | null => (typeof x === 'number' ? x : null);
      return Promise.resolve({
        source: 'sim',
        pfUp: v.pfUp,
        carrier: v.pfUp,
        mac: normalizeViewMac(v.mac),
        trust: v.trust,
        spoofchk: typeof v.spoofchk === 'boolean' ? v.spoofchk : null,
        linkState: typeof v.linkState === 'string' ? v.linkState : null,
        portVlan: num(v.portVlan),
        rssQuery: typeof v.rssQueryEnabled === 'boolean' ? v.rssQueryEnabled : null,
      });
    },
    setTrust: async (on) => {
      await control.setTrust(on);
    },
    setAdminMac: async (mac) => {
      await control.setAdminMac(mac);
    },
    interfaceDown: async () => {
      await control.interfaceDown();
    },
    interfaceUp: async () => {
      await control.interfaceUp();
    },
  };
}

/** Runs `ip` with arguments; resolves stdout, rejects with { stderr, code }. */
export type IpExec = (args: readonly string[]) => Promise<string>;

export function defaultIpExec(env: NodeJS.ProcessEnv = process.env, ipCommand = 'ip'): IpExec {
  return (args) =>
    new Promise((resolve, reject) => {
      execFile(ipCommand, [...args], { env, timeout: 15_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err === null) return resolve(stdout);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT' || e.code === 'EACCES') {
          return reject(
            new EnvironmentError('ERR_IP_NOT_FOUND', `cannot run ${ipCommand} (${e.code}): iproute2 is needed for the PF's view`, {
              hint: 'install iproute2 (apt install iproute2 / dnf install iproute)',
              cause: err,
            }),
          );
        }
        const msg = (stderr || stdout || '').trim().split('\n')[0] ?? '';
        reject(Object.assign(new Error(`ip ${args.join(' ')}: ${msg || `exit ${String(e.code)}`}`), { stderr: msg }));
      });
    });
}

export interface IpPfSideOptions {
  exec?: IpExec;
  env?: NodeJS.ProcessEnv;
  /** How long interfaceUp() waits for carrier (default 15 s; no carrier is not an error). */
  carrierWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A real PF through iproute2. Needs root (CAP_NET_ADMIN) for the setters. */
export function ipPfSide(pfName: string, vfIndex: number, opts: IpPfSideOptions = {}): PfSide {
  validateIfname(pfName);
  const exec = opts.exec ?? defaultIpExec(opts.env);
  const sleep = opts.sleep ?? delay;
  const carrierWaitMs = opts.carrierWaitMs ?? 15_000;
  const vf = String(vfIndex);

  const set = async (args: string[], what: string): Promise<void> => {
    try {
      await exec(['link', 'set', 'dev', pfName, ...args]);
    } catch (err) {
      if (err instanceof EnvironmentError) throw err;
      const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message);
      if (/not supported/i.test(stderr)) {
        throw new NotSupportedError(`the PF driver of ${pfName} does not support ${what} (${stderr})`, {
          hint: 'a newer PF kernel driver may; see docs/hardware.md "Known PF kernel differences"',
          cause: err,
        });
      }
      throw new EnvironmentError('ERR_IP_FAILED', `\`ip link set ${pfName} ${args.join(' ')}\` failed: ${stderr}`, {
        hint: 'run the smoke test as root (CAP_NET_ADMIN); check `dmesg` for the PF driver\'s reason',
        cause: err,
        details: { pf: pfName, args },
      });
    }
  };

  const view = async (): Promise<PfVfView> => {
    const text = await exec(['-j', '-d', 'link', 'show', 'dev', pfName]);
    const info = parseIpLinkJson(text, pfName);
    const entry = info.vfs.find((v) => v.vf === vfIndex);
    if (entry === undefined) {
      throw new EnvironmentError('ERR_VF_NOT_IN_PF_VIEW', `ip -d link show ${pfName} lists no vf ${vfIndex}`, {
        hint: `check --pf: \`ip -d link show ${pfName}\` should list "vf ${vfIndex}"`,
        details: { pf: pfName, vfIndex, listed: info.vfs.map((v) => v.vf) },
      });
    }
    // query_rss is not in IpLinkVf: read it from the raw entry.
    let rssQuery: boolean | null = null;
    try {
      const raw = (JSON.parse(text) as { ifname?: string; vfinfo_list?: { vf?: number; query_rss_en?: unknown }[] }[]).find((l) => l.ifname === pfName);
      const q = raw?.vfinfo_list?.find((v) => v.vf === vfIndex)?.query_rss_en;
      rssQuery = typeof q === 'boolean' ? q : q === 'on' ? true : q === 'off' ? false : null;
    } catch {
      rssQuery = null;
    }
    return {
      source: 'ip',
      pfUp: info.adminUp,
      carrier: info.lowerUp,
      mac: normalizeViewMac(entry.mac),
      trust: entry.trust,
      spoofchk: entry.spoofchk,
      linkState: entry.linkState,
      portVlan: entry.vlan,
      rssQuery,
    };
  };

  return {
    kind: 'ip',
    pfName,
    vfIndex,
    view,
    setTrust: (on) => set(['vf', vf, 'trust', on ? 'on' : 'off'], `VF trust (ip link set ${pfName} vf ${vf} trust)`),
    setAdminMac: (mac) => set(['vf', vf, 'mac', mac ?? ZERO_MAC], mac === null ? 'clearing the VF MAC with 00:00:00:00:00:00' : 'setting a VF MAC'),
    interfaceDown: () => set(['down'], 'interface down'),
    interfaceUp: async () => {
      await set(['up'], 'interface up');
      const until = Date.now() + carrierWaitMs;
      while (Date.now() < until) {
        const text = await exec(['-j', 'link', 'show', 'dev', pfName]).catch(() => '');
        try {
          if (parseIpLinkJson(text, pfName).lowerUp) return;
        } catch {
          // keep waiting
        }
        await sleep(100);
      }
    },
  };
}
