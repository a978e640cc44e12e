/**
 * The fix for a request line whose values are bad (a MAC, an MTU, a VLAN, a multicast list, an xcast
 * mode): the `ixgbevf` command that sends the same request to this daemon, every good value kept and
 * each bad one replaced by a valid example, e.g. {"op":"mtu","vf":"sim","mtu":"1e3"} →
 * `ixgbevf mtu sim 1500 --socket /run/ixgbevf/ixgbevf.sock`. The validators' own hints describe the value
 * ("give the MTU as a whole number …"), since they serve the library too.
 */
import { shellWord } from '../shell-word.js';
import { parseMtu, parseMulticastMac, parseUnicastMac, parseVfSpec, parseVlanAction, parseVlanId, parseXcastMode } from './validate.js';
import { MAX_MULTICAST } from './protocol.js';

/** `parse(value)` as text when the value is good (of the wire type the protocol asks for), else `example`. */
function kept(value: unknown, wireType: 'string' | 'number', parse: (v: never) => string | number, example: string): string {
  if (typeof value !== wireType) return example;
  try {
    return String(parse(value as never));
  } catch {
    return example;
  }
}

/**
 * The command line for `doc` (a parsed request line that failed validation) with its bad values
 * replaced, sent to `socketPath`; null when the request names no op or VF that a command can take.
 */
export function requestFixCommand(doc: unknown, socketPath: string): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const d = doc as Record<string, unknown>;
  if (typeof d.vf !== 'string') return null;
  try {
    parseVfSpec(d.vf);
  } catch {
    return null;
  }
  let words: string[];
  switch (d.op) {
    case 'set-mac':
      words = ['set-mac', d.vf, kept(d.mac, 'string', parseUnicastMac, '02:00:00:00:00:01')];
      break;
    case 'mtu':
      words = ['mtu', d.vf, kept(d.mtu, 'number', parseMtu, '1500')];
      break;
    case 'vlan':
      words = ['vlan', d.vf, kept(d.action, 'string', parseVlanAction, 'add'), kept(d.vlan, 'number', parseVlanId, '100')];
      break;
    case 'multicast': {
      const macs = Array.isArray(d.macs) && d.macs.length <= MAX_MULTICAST ? d.macs.map((m) => kept(m, 'string', parseMulticastMac, '01:00:5e:00:00:01')) : ['01:00:5e:00:00:01'];
      words = ['multicast', d.vf, ...macs];
      break;
    }
    case 'xcast':
      words = ['xcast', d.vf, kept(d.mode, 'string', parseXcastMode, 'multi')];
      break;
    default:
      return null;
  }
  return ['ixgbevf', ...words, '--socket', socketPath].map(shellWord).join(' ');
}
