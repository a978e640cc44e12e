/**
 * Validation of everything a user types and everything a daemon peer sends: VF specs, MACs, VLAN ids,
 * MTUs, xcast modes, timeouts. Lives in daemon/ because the CLI sits above the daemon and both need it. Every failure is an `InvalidArgumentError` (exit 2) with a one-line message.
 */
import { InvalidArgumentError, showValue } from '../errors.js';
import { MTU_MAX, MTU_MIN, VLAN_ID_MAX } from '../hw/messages.js';
import { parsePciAddress } from '../pci/address.js';
import type { XcastModeName } from '../vf/types.js';

export { MTU_MAX, MTU_MIN };
export const XCAST_MODES: readonly XcastModeName[] = ['none', 'multi', 'allmulti', 'promisc'];

/** A value in a message: strings cut after 40 characters (errors.ts showValue). */
function shown(input: unknown): string {
  return showValue(input, 40);
}

/** `sim`, `sim:k=v,...` (kept as typed; the simulator validates the keys) or a PCI address (normalised). */
export function parseVfSpec(input: string): string {
  if (typeof input !== 'string' || input.length === 0) {
    throw new InvalidArgumentError('ERR_INVALID_VF', 'missing VF: give a PCI address (0000:03:10.0) or sim', { hint: 'ixgbevf list' });
  }
  if (input === 'sim' || input.startsWith('sim:')) {
    if (input.length > 256 || /[\s\u0000-\u001f]/.test(input)) {
      throw new InvalidArgumentError('ERR_INVALID_VF', `invalid sim spec ${shown(input)}`, { hint: 'sim:mac=02:00:00:00:00:01,trust=off' });
    }
    return input;
  }
  try {
    return parsePciAddress(input);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new InvalidArgumentError('ERR_INVALID_VF', `invalid VF ${shown(input)}: expected a PCI address (DDDD:BB:DD.F or BB:DD.F) or sim[:key=value,...]`, {
        hint: 'ixgbevf list',
      });
    }
    throw err;
  }
}

const MAC_HINT = { hint: 'write six hex bytes separated by ":", e.g. 02:00:00:00:00:01' };
const UNICAST_HINT = { hint: 'use a unicast address (even first byte), e.g. a locally administered one: 02:00:00:00:00:01' };

const MAC_RE = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** Any well-formed MAC, normalised to lower case with colons. */
export function parseMacText(input: string, what = 'MAC address'): string {
  const m = typeof input === 'string' ? MAC_RE.exec(input.trim()) : null;
  if (m === null) {
    throw new InvalidArgumentError('ERR_INVALID_MAC', `invalid ${what} ${shown(input)}: expected six hex bytes like 02:00:00:00:00:01`, MAC_HINT);
  }
  return m.slice(1, 7).join(':').toLowerCase();
}

/** A unicast, non-zero MAC (what SET_MAC_ADDR accepts; the PF NACKs others anyway). */
export function parseUnicastMac(input: string): string {
  const mac = parseMacText(input);
  if (mac === '00:00:00:00:00:00') throw new InvalidArgumentError('ERR_INVALID_MAC', `invalid MAC address ${mac}: all zeros`, UNICAST_HINT);
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    throw new InvalidArgumentError('ERR_INVALID_MAC', `invalid MAC address ${mac}: multicast (low bit of the first byte set); a VF needs a unicast address such as 02:00:00:00:00:01`, UNICAST_HINT);
  }
  return mac;
}

/** A multicast MAC (for the multicast filter list). */
export function parseMulticastMac(input: string): string {
  const mac = parseMacText(input, 'multicast address');
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 0) {
    throw new InvalidArgumentError('ERR_INVALID_MAC', `${mac} is not a multicast address (the low bit of the first byte must be 1, e.g. 01:00:5e:00:00:01)`, { hint: 'use multicast group addresses, e.g. 01:00:5e:00:00:01 (IPv4) or 33:33:00:00:00:01 (IPv6)' });
  }
  return mac;
}

function parseIntStrict(input: string | number, what: string, code: string, min: number, max: number): number {
  const text = typeof input === 'number' ? String(input) : typeof input === 'string' ? input.trim() : '';
  const hint = { hint: `give the ${what} as a whole number from ${min} to ${max}` };
  if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError(code, `invalid ${what} ${shown(input)}: expected an integer from ${min} to ${max}`, hint);
  const n = Number(text);
  if (n < min || n > max) throw new InvalidArgumentError(code, `invalid ${what} ${n}: must be from ${min} to ${max}`, hint);
  return n;
}

export function parseVlanId(input: string | number): number {
  return parseIntStrict(input, 'VLAN id', 'ERR_INVALID_VLAN', 0, VLAN_ID_MAX);
}

export function parseMtu(input: string | number): number {
  return parseIntStrict(input, 'MTU', 'ERR_INVALID_MTU', MTU_MIN, MTU_MAX);
}

export function parseTimeoutMs(input: string): number {
  return parseIntStrict(input, 'timeout (ms)', 'ERR_INVALID_TIMEOUT', 1, 600_000);
}

export function parseXcastMode(input: string): XcastModeName {
  if (!(XCAST_MODES as readonly string[]).includes(input)) {
    throw new InvalidArgumentError('ERR_INVALID_XCAST', `invalid xcast mode ${shown(input)}: expected one of ${XCAST_MODES.join(', ')}`, { hint: `use one of ${XCAST_MODES.join(', ')}` });
  }
  return input as XcastModeName;
}

export function parseVlanAction(input: string): 'add' | 'del' {
  if (input !== 'add' && input !== 'del') {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `invalid VLAN action ${shown(input)}: expected add or del`, { hint: 'use add or del, e.g. vlan <vf> add 100' });
  }
  return input;
}

export function isSimSpec(spec: string): boolean {
  return spec === 'sim' || spec.startsWith('sim:');
}
