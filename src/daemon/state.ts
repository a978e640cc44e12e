/**
 * The desired configuration of one VF (what the daemon re-applies after every PF reset) and its on-disk
 * form under `--state-dir`: one JSON file per VF. A save creates a fresh temp file (O_CREAT|O_EXCL|
 * O_NOFOLLOW, 0600, unique name), writes it, makes its data durable, renames it over the file and fsyncs
 * the directory, so the file is always a complete state. A file that does not parse, or that another user
 * owns or may write, is moved aside (never overwritten) and reported. Saves of one VF are serialised and
 * coalesced by commit.ts.
 *
 * A save is ONE thread-pool round trip (each costs an event-loop wake-up, which dominates on a slow
 * machine: issue 15, BENCHMARKS.md): the addon's replaceFileDurably does openat, write, fdatasync, close,
 * renameat and the directory fsync in one job, on the directory fd the store keeps open. So each save
 * fsyncs the directory itself, after its own rename; sharing that fsync between saves would cost a second
 * round trip, and the file system's journal merges concurrent directory fsyncs anyway.
 */
import { constants as fsc, promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadNative, type NativeAddon } from '../native.js';
import { isTrustedOwner } from './trusted-path.js';
import { DirectoryFd, type DirectoryEvent } from './state-dir-fd.js';
import { fsync, rename, unlink } from './fd-ops.js';
import type { XcastModeName } from '../vf/types.js';
import { parseMtu, parseMulticastMac, parseUnicastMac, parseVlanId, parseXcastMode } from './validate.js';
import { MAX_MULTICAST_LIST } from '../hw/messages.js';

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
  // Each value of its JSON type as the daemon writes it (a MAC string, an MTU number, …; null or absent:
  // unset): a file with ["02:…"] or " 1500 " where those belong is not one the daemon wrote.
  const given = (key: string, type: 'string' | 'number'): boolean => {
    const v = d[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== type) throw new TypeError(`${key} is not a ${type}`);
    return true;
  };
  if (given('mac', 'string')) s.mac = parseUnicastMac(d.mac as string);
  if (given('mtu', 'number')) s.mtu = parseMtu(d.mtu as number);
  if (given('xcast', 'string')) s.xcast = parseXcastMode(d.xcast as string);
  if (d.vlans !== undefined && d.vlans !== null) {
    if (!Array.isArray(d.vlans) || d.vlans.length > 4096) throw new TypeError('vlans is not a list');
    if (!d.vlans.every((v) => typeof v === 'number')) throw new TypeError('vlans holds something other than numbers');
    s.vlans = [...new Set(d.vlans.map((v) => parseVlanId(v as number)))].sort((a, b) => a - b);
  }
  if (d.multicast !== undefined && d.multicast !== null) {
    if (!Array.isArray(d.multicast) || d.multicast.length > MAX_MULTICAST_LIST) throw new TypeError('multicast is not a list');
    if (!d.multicast.every((m) => typeof m === 'string')) throw new TypeError('multicast holds something other than strings');
    s.multicast = d.multicast.map((m) => parseMulticastMac(m as string));
  }
  return s;
}

export { STATE_LOCK_FILE } from './state-dir.js';
export type { DirectoryEvent } from './state-dir-fd.js';

/** The largest revision a state file may carry: 2^52 changes of room before counting leaves the safe integers. */
export const MAX_STATE_REVISION = 2 ** 52;

interface StateFile {
  version: 1;
  vf: string;
  /** Counts accepted changes of this VF (across restarts): a newer file has a larger revision. */
  revision: number;
  desired: DesiredState;
}

/** Names of the daemon's own temp files: `.<file>.tmp-<pid>-<seq>-<random>`. */
export const TEMP_FILE_RE = /^\.[^/]+\.json\.tmp-\d+-\d+-[0-9a-f]{12}$/;

// (libuv opens every file O_CLOEXEC by itself.)
/**
 * The fallback path's temp file flags. O_DSYNC: each write(2) returns once its data (and the size, the
 * metadata needed to read it back) is on stable storage, as write + fdatasync would, in one thread-pool
 * round trip instead of two.
 */
const WRITE_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | fsc.O_DSYNC;
const READ_FLAGS = fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;
/** Largest state file read (a full one is a few KiB). */
const MAX_STATE_BYTES = 256 * 1024;

/** A state file the daemon would not use: moved aside and kept as evidence. */
export interface StateProblem {
  kind: 'corrupt' | 'untrusted';
  file: string;
  /** Where it was moved (null when even that failed). */
  keptAs: string | null;
  reason: string;
}

export interface LoadResult {
  desired: DesiredState | null;
  /** The file's revision (0 when there is none). */
  revision: number;
  problem: StateProblem | null;
}

/** `2026-12-04T23-45-55.123Z`: a file-name-safe time. */
function stamp(now: Date): string {
  return now.toISOString().replace(/:/g, '-');
}

/** The addon's one-job durable replace (NativeAddon.replaceFileDurably). */
export type ReplaceFile = NonNullable<NativeAddon['replaceFileDurably']>;

/**
 * replaceFileDurably from the loaded addon; null when that addon predates it (a stale build/ or an old
 * prebuild) or no addon loads at all (a daemon of simulated VFs needs none otherwise): the store then
 * falls back to the same sequence through node:fs (StateStore.#saveWithFs), equally safe, four round
 * trips instead of one.
 */
export function nativeReplaceFile(): ReplaceFile | null {
  try {
    const replace = loadNative().replaceFileDurably;
    return typeof replace === 'function' ? replace : null;
  } catch {
    return null;
  }
}

export interface StateStoreOptions {
  /** The durable replace to use; default nativeReplaceFile(). `null`: the node:fs fallback (tests). */
  replaceFile?: ReplaceFile | null;
  /**
   * Told when the state directory turns bad while the daemon runs (each problem once: removed, replaced,
   * made unsafe, taken by another daemon), when it was opened anew, and when saves work again.
   */
  onDirectory?: (e: DirectoryEvent) => void;
}

export class StateStore {
  #seq = 0;
  /** Random per store (one randomBytes at start, none per save): temp names of two daemons never meet. */
  readonly #tag = randomBytes(6).toString('hex');
  readonly #dir: DirectoryFd;
  readonly #replace: ReplaceFile | null;

  /** `dir` must have been checked (prepareStateDir) and be the real path. */
  constructor(readonly dir: string, options: StateStoreOptions = {}) {
    this.#dir = new DirectoryFd(dir, options.onDirectory ?? (() => undefined));
    this.#replace = options.replaceFile === undefined ? nativeReplaceFile() : options.replaceFile;
  }

  /** Whether saves go through the addon's one-job replace (false: the node:fs fallback). */
  get savesInOneJob(): boolean {
    return this.#replace !== null;
  }

  fileFor(vf: string): string {
    return path.join(this.dir, fileNameOf(vf));
  }

  /**
   * Removes temp files a killed daemon left behind: only names matching TEMP_FILE_RE, only regular files
   * (lstat: a symlink is left alone), only owned by root or the daemon's uid. Returns the removed names.
   */
  async removeLeftovers(): Promise<{ removed: string[]; skipped: string[] }> {
    const removed: string[] = [];
    const skipped: string[] = [];
    for (const name of await fsp.readdir(this.dir)) {
      if (!TEMP_FILE_RE.test(name)) continue;
      const file = path.join(this.dir, name);
      try {
        const st = await fsp.lstat(file);
        if (!st.isFile() || !isTrustedOwner(st.uid)) {
          skipped.push(name);
          continue;
        }
        await fsp.unlink(file);
        removed.push(name);
      } catch {
        skipped.push(name);
      }
    }
    return { removed, skipped };
  }

  /**
   * The stored state (null when there is none). A file that cannot be trusted or parsed is moved aside to
   * `<file>.untrusted-<time>` / `<file>.corrupt-<time>` and reported in `problem`; the VF then starts empty.
   */
  async load(vf: string, now: () => Date = () => new Date()): Promise<LoadResult> {
    const file = this.fileFor(vf);
    let st;
    try {
      st = await fsp.lstat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { desired: null, revision: 0, problem: null };
      throw err;
    }
    const refuse = async (kind: StateProblem['kind'], reason: string): Promise<LoadResult> => ({
      desired: null,
      revision: 0,
      problem: { kind, file, reason, keptAs: await this.#setAside(file, kind, now()) },
    });
    if (!st.isFile()) return refuse('untrusted', st.isSymbolicLink() ? 'it is a symlink' : 'it is not a regular file');
    let text: string;
    const fh = await fsp.open(file, READ_FLAGS).catch((err: NodeJS.ErrnoException) => err);
    if (fh instanceof Error) return refuse('untrusted', `cannot open it safely (${fh.code ?? fh.message})`);
    try {
      const fst = await fh.stat();
      if (!fst.isFile()) return refuse('untrusted', 'it is not a regular file');
      if (!isTrustedOwner(fst.uid)) return refuse('untrusted', `it is owned by uid ${fst.uid}, not root or the daemon`);
      if ((fst.mode & 0o022) !== 0) return refuse('untrusted', `it is writable by group or others (mode 0${(fst.mode & 0o777).toString(8)})`);
      if (fst.size > MAX_STATE_BYTES) return refuse('corrupt', `it is ${fst.size} bytes (at most ${MAX_STATE_BYTES})`);
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
    try {
      const doc = JSON.parse(text) as Partial<StateFile>;
      if (typeof doc !== 'object' || doc === null) throw new TypeError('not a JSON object');
      if (doc.version !== 1 || doc.vf !== vf) throw new TypeError(`it is for ${JSON.stringify(doc.vf)} (version ${String(doc.version)}), expected ${JSON.stringify(vf)} version 1`);
      const revision = doc.revision ?? 0;
      // A revision the daemon could not count on from (it adds one per change and writes it back) is not
      // one it wrote: with 2^53 - 1 it would save 2^53, a file it then refuses on the next start.
      if (!Number.isSafeInteger(revision) || revision < 0 || revision > MAX_STATE_REVISION) throw new TypeError(`revision ${JSON.stringify(revision)} is not a count`);
      return { desired: parseState(doc.desired), revision, problem: null };
    } catch (err) {
      return refuse('corrupt', (err as Error).message);
    }
  }

  /**
   * Moves `file` to `<file>.<kind>-<time>[-n]` without ever replacing an existing file: link(2) (fails on
   * EEXIST, does not follow a symlink) then unlink; where link is not allowed (a directory, another user's
   * file under protected_hardlinks) a rename to a name checked to be free — the directory is the daemon's
   * own (prepareStateDir), so nobody else can take that name in between.
   */
  async #setAside(file: string, kind: string, now: Date): Promise<string | null> {
    for (let n = 0; n < 100; n++) {
      const target = `${file}.${kind}-${stamp(now)}${n === 0 ? '' : `-${n}`}`;
      try {
        await fsp.link(file, target);
        await fsp.unlink(file);
        return target;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        try {
          await fsp.lstat(target);
          continue; // taken
        } catch {
          // free
        }
        try {
          await fsp.rename(file, target);
          return target;
        } catch {
          return null;
        }
      }
    }
    return null;
  }

  /**
   * Writes `desired` durably: a new temp file (exclusive, no symlink followed, 0600) in the state
   * directory, its data written and made durable (fdatasync: the data and the size, all a new file needs;
   * its name is made durable by the directory fsync), renamed over the state file, then an fsync of the
   * directory that begins after that rename. Resolves only once that fsync has finished; on failure the
   * old file is untouched (or, when only the directory fsync failed, replaced but not known durable) and
   * the temp file removed.
   */
  async save(vf: string, desired: DesiredState, revision = 0): Promise<void> {
    const name = fileNameOf(vf);
    const doc: StateFile = { version: 1, vf, revision, desired };
    const data = Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
    const replace = this.#replace;
    if (replace === null) return this.#dir.use((dirFd) => this.#saveWithFs(dirFd, name, data));
    // One thread-pool job: openat O_EXCL|O_NOFOLLOW 0600, write, fdatasync, close, renameat, fsync(dir).
    return this.#dir.use((dirFd) => this.#withFreshTempName(name, (temp) => replace(dirFd, temp, name, data)));
  }

  /**
   * Runs `create` with a new temp name for `name` until one is not taken (EEXIST from the exclusive
   * open: a leftover of a killed daemon with the same pid), at most 100 times; any other failure rejects.
   */
  async #withFreshTempName<T>(name: string, create: (tempName: string) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await create(this.#tempName(name));
      } catch (err) {
        if (!isTakenTempName(err) || attempt >= 100) throw err;
      }
    }
  }

  /**
   * `.<file>.tmp-<pid>-<seq>-<this store's random tag>`: created O_EXCL, so an existing name (a leftover
   * of a killed daemon that had the same pid) is skipped, never reused or followed.
   */
  #tempName(name: string): string {
    return `.${name}.tmp-${process.pid}-${++this.#seq}-${this.#tag}`;
  }

  /**
   * The fallback (an addon without replaceFileDurably): the same sequence through node:fs, four round
   * trips — open O_DSYNC (so the write is durable when it returns), write, rename (the temp fd closed
   * alongside), fsync of the directory.
   */
  async #saveWithFs(dirFd: number, name: string, data: Buffer): Promise<void> {
    const file = path.join(this.dir, name);
    const { tmp, fh } = await this.#withFreshTempName(name, async (temp) => {
      const tempPath = path.join(this.dir, temp);
      return { tmp: tempPath, fh: await fsp.open(tempPath, WRITE_FLAGS, 0o600) };
    });
    let closed: Promise<void> | null = null;
    let renamed = false;
    try {
      try {
        await writeAll(fh, data); // O_DSYNC: durable when it returns
      } catch (err) {
        closed = fh.close();
        throw err;
      }
      // The data is durable: closing the temp file need not come first (rename works on names).
      closed = fh.close();
      await rename(tmp, file);
      renamed = true;
    } finally {
      if (!renamed) await unlink(tmp).catch(() => undefined);
      // A close error after a synchronised write loses nothing (and Linux reports none for regular files).
      await closed?.catch(() => undefined);
    }
    await fsync(dirFd);
  }

  /** Waits for the saves in flight, then closes the directory fd (a later save opens it again). */
  async close(): Promise<void> {
    await this.#dir.close();
  }
}

/** A VF's state file name in the state directory. */
function fileNameOf(vf: string): string {
  return `${encodeURIComponent(vf)}.json`;
}

/** EEXIST from creating the temp file: that name is taken (try the next one). */
function isTakenTempName(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'EEXIST' && e.syscall === 'open';
}

/** write(2) until every byte is written (one call for a state file; a short write continues). */
async function writeAll(fh: fsp.FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await fh.write(data, offset, data.length - offset, null);
    if (bytesWritten <= 0) throw new Error(`write of the state file returned ${bytesWritten}`);
    offset += bytesWritten;
  }
}
