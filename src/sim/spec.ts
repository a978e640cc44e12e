/**
 * `sim:` device specs (design.md "No hardware at hand"): `sim` or `sim:key=value,...` with keys
 * mac, trust, api, pf, mtu, family, vlan, link, rss, promisc, pfkernel, tcs, deftc. Errors are `InvalidArgumentError` with code
 * `ERR_INVALID_SIM_SPEC`, a one-line message naming the key and a hint listing the valid keys.
 */
import { InvalidArgumentError, showValue } from '../errors.js';
import { ApiVersion, apiAtLeast, apiName, parseApiVersion } from '../hw/api.js';
import { DEFAULT_PF_KERNEL, PF_KERNEL_GENERATIONS, PF_KERNEL_GENERATION_NAMES, isPfKernelGeneration, newestApiOfPfKernel, type PfKernelGeneration } from '../hw/pf-kernel.js';
import type { VfModel } from '../hw/family.js';
import { familyByName } from '../hw/index.js';
import { PF_MAX_MTU, PF_MIN_MTU, VLAN_ID_MAX } from '../hw/messages.js';
import { isValidUnicastMac, normalizeMac } from './mac.js';

export const SIM_SPEC_KEYS = ['mac', 'trust', 'api', 'pf', 'mtu', 'family', 'vlan', 'link', 'rss', 'promisc', 'pfkernel', 'tcs', 'deftc'] as const;
export type SimSpecKey = (typeof SIM_SPEC_KEYS)[number];

export const SIM_FAMILY_NAMES = ['82599', 'x540', 'x550', 'x550em_x', 'x550em_a', 'e610', '82576', 'i350'] as const;

/** What a `sim:` spec describes (every field filled with its default). */
export interface SimSpec {
  family: VfModel;
  /** Administrator-set MAC on the PF (`ip link set PF vf 0 mac …`), or null. */
  adminMac: string | null;
  trusted: boolean;
  /** Newest mailbox API the simulated PF speaks (ixgbe families). */
  newestApi: ApiVersion;
  pfUp: boolean;
  /** The PF's driver answers the mailbox (`pf=silent`: its interface is up, it never answers: a wedged PF driver). */
  pfAnswers: boolean;
  pfMtu: number;
  /** Port VLAN (0 = none). */
  portVlan: number;
  linkUp: boolean;
  /** `query_rss` for the VF (82599/X540 PFs only; `ip link set PF vf N query_rss on`). */
  rssQuery: boolean;
  /** PF in unicast promiscuous mode (`ip link set PF promisc on`), needed for VF PROMISC. */
  pfPromiscuous: boolean;
  /** The ixgbe PF's kernel generation (src/hw/pf-kernel.ts); `newestApi` defaults to its newest API. */
  pfKernel: PfKernelGeneration;
  /** DCB traffic classes on the PF (0 = no DCB) and the default user priority's TC (ixgbe only). */
  trafficClasses: number;
  defaultTc: number;
}

export const DEFAULT_SIM_SPEC: Readonly<SimSpec> = {
  family: '82599',
  adminMac: null,
  trusted: false,
  newestApi: ApiVersion.V1_7,
  pfUp: true,
  pfAnswers: true,
  pfMtu: 1500,
  portVlan: 0,
  linkUp: true,
  rssQuery: false,
  pfPromiscuous: false,
  pfKernel: DEFAULT_PF_KERNEL,
  trafficClasses: 0,
  defaultTc: 0,
};

const HINT = `valid keys: ${SIM_SPEC_KEYS.join(', ')} (e.g. sim:mac=02:00:00:00:00:01,trust=on,api=1.3,pf=up (or down, silent),mtu=9000,family=82599,vlan=5,link=up,rss=on,promisc=on,pfkernel=6.12,tcs=4,deftc=1)`;
const SPEAKABLE_APIS = ['1.0', '1.1', '1.2', '1.3', '1.4', '1.6', '1.7'];

/** IEEE 802.1Qaz traffic classes at most. */
const MAX_TCS = 8;

function fail(message: string): never {
  throw new InvalidArgumentError('ERR_INVALID_SIM_SPEC', message, { hint: HINT });
}

function onOff(key: string, value: string, on: string, off: string, others: readonly string[] = []): boolean {
  if (value === on) return true;
  if (value === off) return false;
  const allowed = [on, off, ...others];
  return fail(`sim spec: ${key}=${value} is not ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)!}`);
}

function intIn(key: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) fail(`sim spec: ${key}=${value} is not a number`);
  const n = Number(value);
  if (n < min || n > max) fail(`sim spec: ${key}=${value} is out of range ${min}..${max}`);
  return n;
}

/** True for `sim` and `sim:...` device names. */
export function isSimSpec(text: string): boolean {
  return typeof text === 'string' && (text === 'sim' || text.startsWith('sim:'));
}

export function parseSimSpec(text: string): SimSpec {
  if (!isSimSpec(text)) fail(`not a sim spec: ${showValue(text)} (expected "sim" or "sim:key=value,...")`);
  const spec: SimSpec = { ...DEFAULT_SIM_SPEC };
  const body = text === 'sim' ? '' : text.slice('sim:'.length);
  if (body === '') return spec;
  const seen = new Set<string>();
  let apiGiven = false;
  for (const item of body.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) fail(`sim spec: "${item}" is not key=value`);
    const key = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    if (!(SIM_SPEC_KEYS as readonly string[]).includes(key)) fail(`sim spec: unknown key "${key}"`);
    if (seen.has(key)) fail(`sim spec: duplicate key "${key}"`);
    seen.add(key);
    if (value === '') fail(`sim spec: ${key}= has no value`);
    switch (key as SimSpecKey) {
      case 'mac': {
        let ok = false;
        try {
          ok = isValidUnicastMac(value);
        } catch {
          ok = false;
        }
        if (!ok) fail(`sim spec: mac=${value} is not a unicast MAC address`);
        spec.adminMac = normalizeMac(value);
        break;
      }
      case 'trust':
        spec.trusted = onOff(key, value.toLowerCase(), 'on', 'off');
        break;
      case 'api': {
        const api = parseApiVersion(value);
        if (api === undefined || !SPEAKABLE_APIS.includes(value)) {
          fail(`sim spec: api=${value} is not one of ${SPEAKABLE_APIS.join(', ')}`);
        }
        spec.newestApi = api;
        apiGiven = true;
        break;
      }
      case 'pf': {
        const state = value.toLowerCase();
        if (state === 'silent') {
          spec.pfUp = true;
          spec.pfAnswers = false;
        } else {
          spec.pfUp = onOff(key, state, 'up', 'down', ['silent']);
          spec.pfAnswers = true;
        }
        break;
      }
      case 'link':
        spec.linkUp = onOff(key, value.toLowerCase(), 'up', 'down');
        break;
      case 'mtu':
        spec.pfMtu = intIn(key, value, PF_MIN_MTU, PF_MAX_MTU);
        break;
      case 'vlan':
        spec.portVlan = intIn(key, value, 0, VLAN_ID_MAX);
        break;
      case 'rss':
        spec.rssQuery = onOff(key, value.toLowerCase(), 'on', 'off');
        break;
      case 'promisc':
        spec.pfPromiscuous = onOff(key, value.toLowerCase(), 'on', 'off');
        break;
      case 'pfkernel':
        if (!isPfKernelGeneration(value)) fail(`sim spec: pfkernel=${value} is not one of ${PF_KERNEL_GENERATION_NAMES.join(', ')}`);
        spec.pfKernel = value;
        break;
      case 'tcs':
        spec.trafficClasses = intIn(key, value, 0, MAX_TCS);
        break;
      case 'deftc':
        spec.defaultTc = intIn(key, value, 0, MAX_TCS - 1);
        break;
      case 'family': {
        const family = familyByName(value);
        if (family === undefined) fail(`sim spec: family=${value} is not one of ${SIM_FAMILY_NAMES.join(', ')}`);
        spec.family = family.model;
        break;
      }
    }
  }
  if (spec.rssQuery && spec.family !== '82599' && spec.family !== 'X540') {
    // ixgbe_ndo_set_vf_rss_query_en: only 82599/X540 PFs (the VF of a later MAC reads RSS from its own registers).
    fail(`sim spec: rss=on needs family 82599 or x540 (query_rss exists only on those PFs)`);
  }
  const igb = spec.family === '82576' || spec.family === 'I350';
  if (apiGiven && igb) {
    fail(`sim spec: api= applies to ixgbe families only (the igb PF has no API negotiation)`);
  }
  for (const key of ['pfkernel', 'tcs', 'deftc', 'promisc'] as const) {
    if (igb && seen.has(key)) fail(`sim spec: ${key}= applies to ixgbe families only (the simulated igb PF has no such setting)`);
  }
  if (spec.family === 'E610' && !PF_KERNEL_GENERATIONS[spec.pfKernel].drivesE610) {
    fail(`sim spec: family=e610 needs pfkernel=newest (the ${spec.pfKernel} ixgbe driver has no E610 support)`);
  }
  const newest = newestApiOfPfKernel(spec.pfKernel);
  if (!apiGiven) spec.newestApi = newest;
  else if (!apiAtLeast(newest, spec.newestApi)) {
    fail(`sim spec: api=${apiName(spec.newestApi)} is newer than a pfkernel=${spec.pfKernel} ixgbe PF speaks (up to ${apiName(newest)})`);
  }
  if (seen.has('deftc') && (spec.trafficClasses < 2 || spec.defaultTc >= spec.trafficClasses)) {
    fail(`sim spec: deftc=${spec.defaultTc} needs tcs= with more traffic classes (tcs=${spec.trafficClasses}; the default TC counts only with 2 or more)`);
  }
  return spec;
}
