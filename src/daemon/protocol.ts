/**
 * The control-socket protocol: JSON lines. One request per line, one reply line per request (a `watch`
 * request then also gets event lines carrying its id):
 *
 *   → {"id":1,"op":"set-mac","vf":"0000:03:10.0","mac":"02:00:00:00:00:01"}
 *   ← {"id":1,"ok":true,"result":{...}}
 *   ← {"id":1,"ok":false,"error":{"code":"ERR_PF_NACK","message":"...","hint":"...","exitCode":5}}
 *   ← {"id":7,"event":{"type":"recovered","vf":"...","time":"..."}}      (after a watch request)
 *
 * Every field is validated; unknown fields, wrong types and oversized lines get an error reply.
 */
import { InvalidArgumentError, type IxgbevfError } from '../errors.js';
import { parseMtu, parseMulticastMac, parseUnicastMac, parseVfSpec, parseVlanAction, parseVlanId, parseXcastMode } from './validate.js';
import type { XcastModeName } from '../vf/types.js';
import { MAX_MULTICAST_LIST } from '../hw/messages.js';

/** Longest request line the daemon reads (bytes, without the newline). */
export const MAX_LINE_BYTES = 64 * 1024;
/** Requests one connection may have queued before the daemon gives up on it. */
export const MAX_PIPELINED = 32;
/** Multicast addresses per request: the API's own limit (the PF programs at most 30 hashes; more turns into allmulti). */
export const MAX_MULTICAST = MAX_MULTICAST_LIST;

export type RequestId = string | number | null;

export type SimAction = 'pf-down' | 'pf-up' | 'pf-reset' | 'trust-on' | 'trust-off' | 'admin-mac' | 'show';
export const SIM_ACTIONS: readonly SimAction[] = ['pf-down', 'pf-up', 'pf-reset', 'trust-on', 'trust-off', 'admin-mac', 'show'];

export type Request =
  | { id: RequestId; op: 'status' }
  | { id: RequestId; op: 'info'; vf: string }
  | { id: RequestId; op: 'link'; vf: string }
  | { id: RequestId; op: 'mailbox'; vf: string }
  | { id: RequestId; op: 'set-mac'; vf: string; mac: string }
  | { id: RequestId; op: 'mtu'; vf: string; mtu: number }
  | { id: RequestId; op: 'vlan'; vf: string; action: 'add' | 'del'; vlan: number }
  | { id: RequestId; op: 'multicast'; vf: string; macs: string[] }
  | { id: RequestId; op: 'xcast'; vf: string; mode: XcastModeName }
  | { id: RequestId; op: 'watch'; vf?: string }
  | { id: RequestId; op: 'sim'; vf: string; action: SimAction; mac?: string | null };

export type Op = Request['op'];

/** Fields allowed per op (besides id and op). `?` marks optional ones. */
const FIELDS: Record<Op, readonly string[]> = {
  status: [],
  info: ['vf'],
  link: ['vf'],
  mailbox: ['vf'],
  'set-mac': ['vf', 'mac'],
  mtu: ['vf', 'mtu'],
  vlan: ['vf', 'action', 'vlan'],
  multicast: ['vf', 'macs'],
  xcast: ['vf', 'mode'],
  watch: ['vf?'],
  sim: ['vf', 'action', 'mac?'],
};

export const OPS = Object.keys(FIELDS) as Op[];

/** Per op, computed once from FIELDS: the field names it accepts and, in order, the ones it requires. */
const FIELD_RULES = new Map<string, { readonly names: ReadonlySet<string>; readonly required: readonly string[] }>(
  OPS.map((op) => [op, { names: new Set(FIELDS[op].map((f) => f.replace('?', ''))), required: FIELDS[op].filter((f) => !f.endsWith('?')) }]),
);

/** What a malformed request is told when no more precise fix applies: the shape of a good one. */
const REQUEST_SHAPE_HINT = 'send one JSON object per line, e.g. {"id":1,"op":"set-mac","vf":"sim","mac":"02:00:00:00:00:01"}';

function bad(message: string, hint = REQUEST_SHAPE_HINT): InvalidArgumentError {
  return new InvalidArgumentError('ERR_BAD_REQUEST', message, { hint });
}

/** The id of a request line, as far as it can be recovered (for the error reply of a bad request). */
export function requestIdOf(doc: unknown): RequestId {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
  const id = (doc as Record<string, unknown>).id;
  return validId(id) ? id : null;
}

function validId(id: unknown): id is RequestId {
  if (id === null) return true;
  if (typeof id === 'number') return Number.isSafeInteger(id);
  return typeof id === 'string' && id.length <= 64;
}

function str(doc: Record<string, unknown>, key: string): string {
  const v = doc[key];
  if (typeof v !== 'string') throw bad(`field "${key}" must be a string`);
  if (v.length > 256) throw bad(`field "${key}" is too long`);
  return v;
}

/**
 * Parses and validates one request line. Throws `InvalidArgumentError` (ERR_BAD_REQUEST, or the field's own
 * code such as ERR_INVALID_MAC) with a message fit for the error reply.
 */
export function parseRequest(line: string): Request {
  return requestFromDoc(parseRequestJson(line));
}

/** JSON.parse of a request line; ERR_BAD_REQUEST when it is not JSON. */
export function parseRequestJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    throw bad('request is not valid JSON', 'send one JSON object per line');
  }
}

/**
 * Validates a parsed request line (parseRequest without the JSON.parse: the server parses each line
 * once, and takes the id for an error reply from the same document).
 */
export function requestFromDoc(doc: unknown): Request {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('request must be a JSON object');
  const d = doc as Record<string, unknown>;
  if (!validId(d.id ?? null)) throw bad('field "id" must be a string (≤ 64 chars), a safe integer or null');
  const id = (d.id ?? null) as RequestId;
  const rules = typeof d.op === 'string' ? FIELD_RULES.get(d.op) : undefined;
  if (rules === undefined) {
    throw bad(`unknown op ${typeof d.op === 'string' ? JSON.stringify(d.op.slice(0, 40)) : String(d.op)}`, `ops: ${OPS.join(', ')}`);
  }
  const op = d.op as Op;
  for (const key of Object.keys(d)) {
    if (key !== 'id' && key !== 'op' && !rules.names.has(key)) throw bad(`unknown field ${JSON.stringify(key.slice(0, 40))} for op ${op}`);
  }
  for (const f of rules.required) {
    if (!Object.hasOwn(d, f)) throw bad(`op ${op} needs field "${f}"`);
  }
  switch (op) {
    case 'status':
      return { id, op };
    case 'info':
    case 'link':
    case 'mailbox':
      return { id, op, vf: vfOf(d) };
    case 'set-mac':
      return { id, op, vf: vfOf(d), mac: parseUnicastMac(str(d, 'mac')) };
    case 'mtu':
      if (typeof d.mtu !== 'number') throw bad('field "mtu" must be a number');
      return { id, op, vf: vfOf(d), mtu: parseMtu(d.mtu) };
    case 'vlan':
      if (typeof d.vlan !== 'number') throw bad('field "vlan" must be a number');
      return { id, op, vf: vfOf(d), action: parseVlanAction(str(d, 'action')), vlan: parseVlanId(d.vlan) };
    case 'multicast': {
      if (!Array.isArray(d.macs)) throw bad('field "macs" must be an array of strings');
      if (d.macs.length > MAX_MULTICAST) throw bad(`at most ${MAX_MULTICAST} multicast addresses`);
      const macs = d.macs.map((m) => {
        if (typeof m !== 'string') throw bad('field "macs" must be an array of strings');
        return parseMulticastMac(m);
      });
      return { id, op, vf: vfOf(d), macs };
    }
    case 'xcast':
      return { id, op, vf: vfOf(d), mode: parseXcastMode(str(d, 'mode')) };
    case 'watch':
      return d.vf === undefined ? { id, op } : { id, op, vf: vfOf(d) };
    case 'sim': {
      const action = str(d, 'action');
      if (!(SIM_ACTIONS as readonly string[]).includes(action)) throw bad(`unknown sim action ${JSON.stringify(action)}`, `actions: ${SIM_ACTIONS.join(', ')}`);
      let mac: string | null | undefined;
      if (Object.hasOwn(d, 'mac')) mac = d.mac === null ? null : parseUnicastMac(str(d, 'mac'));
      if (action === 'admin-mac' && mac === undefined) throw bad('sim action admin-mac needs field "mac" (a MAC or null)');
      return mac === undefined ? { id, op, vf: vfOf(d), action: action as SimAction } : { id, op, vf: vfOf(d), action: action as SimAction, mac };
    }
  }
}

/** The request's `vf` field, validated (a string, then a VF spec). */
function vfOf(d: Record<string, unknown>): string {
  return parseVfSpec(str(d, 'vf'));
}

export interface WireError {
  code: string;
  message: string;
  hint?: string;
  exitCode: number;
}

export interface Reply {
  id: RequestId;
  ok: boolean;
  result?: unknown;
  error?: WireError;
}

export function errorToWire(err: IxgbevfError): WireError {
  return { code: err.code, message: err.message, ...(err.hint === undefined ? {} : { hint: err.hint }), exitCode: err.exitCode };
}
