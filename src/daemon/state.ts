/**
 * The desired configuration of one VF (what the daemon re-applies after every PF reset) and its on-disk
 * form under `--state-dir`: one JSON file per VF, written atomically (temp file + fsync + rename).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { XcastModeName } from '../vf/types.js';
import { parseMtu, parseMulticastMac, parseUnicastMac, parseVlanId, parseXcastMode } from './validate.js';

export interface DesiredState {
  mac?: string;
  mtu?: number;
  /** Sorted, unique. */
  vlans: number[];
  multicast: string[];
  xcast?: XcastModeName;
}

export function emptyState(): DesiredState {
  return { vlans: [], multicast: [] };
}

export function cloneState(s: DesiredState): DesiredState {
  return { ...s, vlans: [...s.vlans], multicast: [...s.multicast] };
}

/** Validates a state document read from disk (never trust a file). Throws InvalidArgumentError. */
export function parseState(doc: unknown): DesiredState {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new TypeError('state is not an object');
  const d = doc as Record<string, unknown>;
  const s = emptyState();
  if (d.mac !== undefined) s.mac = parseUnicastMac(String(d.mac));
  if (d.mtu !== undefined) s.mtu = parseMtu(d.mtu as number);
  if (d.xcast !== undefined) s.xcast = parseXcastMode(String(d.xcast));
  if (d.vlans !== undefined) {
    if (!Array.isArray(d.vlans) || d.vlans.length > 4096) throw new TypeError('vlans is not a list');
    s.vlans = [...new Set(d.vlans.map((v) => parseVlanId(v as number)))].sort((a, b) => a - b);
  }
  if (d.multicast !== undefined) {
    if (!Array.isArray(d.multicast) || d.multicast.length > 256) throw new TypeError('multicast is not a list');
    s.multicast = d.multicast.map((m) => parseMulticastMac(String(m)));
  }
  return s;
}

interface StateFile {
  version: 1;
  vf: string;
  desired: DesiredState;
}

export class StateStore {
  constructor(readonly dir: string) {}

  fileFor(vf: string): string {
    return path.join(this.dir, `${encodeURIComponent(vf)}.json`);
  }

  async init(): Promise<void> {
    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new EnvironmentError('ERR_STATE_DIR', `cannot create state directory ${this.dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        hint: `mkdir -p ${this.dir} (as the user running the daemon)`,
        cause: err,
      });
    }
  }

  /** The stored state, null when there is none. A corrupt file is an error (the caller logs and ignores it). */
  async load(vf: string): Promise<DesiredState | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.fileFor(vf), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const doc = JSON.parse(text) as Partial<StateFile>;
    if (doc.version !== 1 || doc.vf !== vf) throw new TypeError(`state file is for ${String(doc.vf)} (version ${String(doc.version)})`);
    return parseState(doc.desired);
  }

  async save(vf: string, desired: DesiredState): Promise<void> {
    const file = this.fileFor(vf);
    const tmp = `${file}.tmp-${process.pid}`;
    const doc: StateFile = { version: 1, vf, desired };
    const fh = await fsp.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(doc, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  }
}
