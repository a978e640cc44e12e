/**
 * One result shape per VF command, whichever path served it (the daemon or the VF opened directly):
 * the CLI builds every `--json` document here from the path's raw answer. docs/cli.md lists the fields.
 *
 * Every VF command: vf, via ("daemon" | "direct"), kind, family, api, pfName, vfIndex, then its own fields
 * (null when a path cannot know one). State-changing commands add pfReply, persistent (a daemon holds
 * the change and re-applies it after every PF reset), persisted (the daemon wrote it to its state dir),
 * persistError (why not, when the daemon has a state dir: { code, message, hint }; else null),
 * stateFile, note (direct: what happens when the command lets go; null through the daemon).
 */
import type { OpName } from '../daemon/explain.js';

export type Result = Record<string, unknown>;

/** The fields of each command beyond the common ones, in output order. */
export const OP_FIELDS: Partial<Record<OpName, readonly string[]>> = {
  info: ['permanentMac', 'mcFilterType', 'queues', 'link', 'counters', 'state', 'recoveries', 'lastError', 'desired', 'notApplied'],
  link: ['link', 'adminEnabled', 'pfLink'],
  mailbox: ['register', 'registerOffset', 'bits', 'words', 'counters', 'needsReset', 'note'],
  'set-mac': ['mac'],
  mtu: ['mtu'],
  vlan: ['vlan', 'action', 'vlans'],
  multicast: ['macs', 'programmed', 'overflow'],
  xcast: ['requested', 'granted'],
};

export const COMMON_FIELDS = ['vf', 'via', 'kind', 'family', 'api', 'pfName', 'vfIndex'] as const;
export const MUTATION_FIELDS = ['pfReply', 'persistent', 'persisted', 'persistError', 'stateFile', 'note'] as const;

/** What the daemon's `status` says about the VF (fills the common fields its per-op answers leave out). */
export interface VfIdentity {
  id?: string;
  kind?: string;
  family?: string;
  api?: string;
  pfName?: string | null;
  vfIndex?: number | null;
}

export interface ShapeContext {
  op: OpName;
  mutates: boolean;
  spec: string;
  via: 'daemon' | 'direct';
  identity?: VfIdentity;
  note?: string | null;
}

const orNull = (v: unknown): unknown => (v === undefined ? null : v);

/** The canonical document: the same keys, in the same order, on both paths. */
export function shapeResult(raw: Result, c: ShapeContext): Result {
  const id = c.identity ?? {};
  const doc: Result = {
    vf: raw.vf ?? raw.id ?? id.id ?? c.spec,
    via: c.via,
    kind: orNull(raw.kind ?? id.kind),
    family: orNull(raw.family ?? id.family),
    api: orNull(raw.api ?? id.api),
    pfName: orNull(raw.pfName !== undefined ? raw.pfName : id.pfName),
    vfIndex: orNull(raw.vfIndex !== undefined ? raw.vfIndex : id.vfIndex),
  };
  for (const f of OP_FIELDS[c.op] ?? []) doc[f] = orNull(raw[f]);
  if (c.mutates) {
    doc.pfReply = orNull(raw.pfReply);
    doc.persistent = c.via === 'daemon';
    doc.persisted = raw.persisted === true;
    doc.persistError = orNull(raw.persistError);
    doc.stateFile = orNull(raw.stateFile);
    doc.note = c.note ?? null;
  }
  return doc;
}
