/**
 * What every command shares: injected I/O (so tests run the CLI in-process), the common options, output
 * in human or `--json` form, the mailbox trace for `--verbose`, and finding a daemon.
 */
import type net from 'node:net';
import type { Daemon, OpenVfFn } from '../daemon/daemon.js';
import type { PeerCredentials } from '../daemon/peercred.js';
import { parseTimeoutMs } from '../daemon/validate.js';
import type { MailboxTraceEvent } from '../open/types.js';
import type { SysfsOptions } from '../pci/sysfs.js';
import { DaemonClient, DEFAULT_SOCKET } from './client.js';
import { checkSocketOption } from './argument-fix.js';
import { describeWord, type FamilyKindName } from './format.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Parse only: check argv against the commander program and stop before any action (hint tests). */
  parseOnly?: boolean;
  /** Aborted on Ctrl-C / SIGTERM: ends `watch`, `--hold` and the daemon cleanly. */
  signal: AbortSignal;
  /**
   * Aborted on a second Ctrl-C / SIGTERM, right before the process exits (130 / 143) without waiting for
   * the command: listeners run synchronously and may only write (smoke names what it leaves changed).
   */
  abandon?: AbortSignal;
  /**
   * The `daemon` command calls this before it starts: the process's hangup handling (SIGHUP ends the other
   * commands as SIGTERM does) steps aside, since the daemon handles SIGHUP itself (src/daemon/signals.ts:
   * it stops, then ends by the signal).
   */
  leaveHangupToDaemon?: () => void;
  /** Opens a VF (default: `openVf` from src/open/open-vf.ts). */
  openVf?: OpenVfFn;
  /** Fake /sys, /dev, /proc, /etc/passwd (tests). Also from IXGBEVF_SYSFS_ROOT / IXGBEVF_DEV_ROOT / IXGBEVF_PROC_ROOT. */
  sysfs?: SysfsOptions;
  /** Daemon tests: SO_PEERCRED override and a hook that sees the running daemon. */
  daemon?: {
    peerCredentials?: (socket: net.Socket) => Promise<PeerCredentials | null>;
    onStarted?: (daemon: Daemon) => void;
    retryMinMs?: number;
    retryMaxMs?: number;
  };
}

export interface CommonOptions {
  json?: boolean;
  timeout?: string;
  poll?: boolean;
  verbose?: boolean;
  socket?: string;
}

let defaultOpenVf: Promise<OpenVfFn> | undefined;

/**
 * The outputs that already carry their command's `--json` result document: an error after it (`--hold`
 * ended by ERR_RELEASED) goes to stderr, so stdout stays that one document (run() in program.ts).
 */
export const resultDocumentPrinted = new WeakSet<CliIo>();

/** src/open/open-vf.ts, loaded on first use (list/doctor/bind never need it). */
function loadOpenVf(): Promise<OpenVfFn> {
  defaultOpenVf ??= (async () => {
    const mod = await import('../open/open-vf.js');
    return mod.openVf;
  })();
  return defaultOpenVf;
}

export class Ctx {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly poll: boolean;
  readonly timeoutMs: number | undefined;
  readonly socketPath: string;
  /** The message namespace of the VF being traced (igb names 0x06 SET_PROMISC); set once it is known. */
  familyKind: FamilyKindName = 'ixgbevf';
  /** The user named the socket (`--socket`): not reaching it is an error, never a silent one-shot change. */
  readonly socketExplicit: boolean;
  /** A VF command's own command line with another VF in its place (argument-fix.ts commandOnVf), for fixes; else null. */
  readonly commandOnVf: ((vf: string) => string) | null;

  constructor(
    readonly io: CliIo,
    opts: CommonOptions,
    commandOnVf: ((vf: string) => string) | null = null,
  ) {
    this.commandOnVf = commandOnVf;
    this.json = opts.json === true;
    this.verbose = opts.verbose === true;
    this.poll = opts.poll === true;
    this.timeoutMs = opts.timeout === undefined ? undefined : parseTimeoutMs(opts.timeout);
    if (opts.socket !== undefined) checkSocketOption(opts.socket);
    // An empty $IXGBEVF_SOCKET is unset (as a shell's `IXGBEVF_SOCKET= cmd` means), never the path "".
    this.socketPath = opts.socket ?? (io.env.IXGBEVF_SOCKET || undefined) ?? DEFAULT_SOCKET;
    this.socketExplicit = opts.socket !== undefined;
  }

  get sysfs(): SysfsOptions {
    const env = this.io.env;
    return {
      ...(env.IXGBEVF_SYSFS_ROOT ? { sysRoot: env.IXGBEVF_SYSFS_ROOT } : {}),
      ...(env.IXGBEVF_DEV_ROOT ? { devRoot: env.IXGBEVF_DEV_ROOT } : {}),
      ...(env.IXGBEVF_PROC_ROOT ? { procRoot: env.IXGBEVF_PROC_ROOT } : {}),
      ...this.io.sysfs,
    };
  }

  openVf(): Promise<OpenVfFn> {
    return this.io.openVf !== undefined ? Promise.resolve(this.io.openVf) : loadOpenVf();
  }

  /** Prints the result: the JSON document, or the human lines. */
  print(doc: unknown, human: readonly string[]): void {
    if (this.json) {
      this.io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
      resultDocumentPrinted.add(this.io);
    } else if (human.length > 0) this.io.stdout(`${human.join('\n')}\n`);
  }

  /** A remark for people (stderr, never in --json mode). */
  note(text: string): void {
    if (!this.json) this.io.stderr(`${text}\n`);
  }

  /** Something the user asked for and did not fully get: stderr, in every mode (stdout stays one document). */
  warn(text: string): void {
    this.io.stderr(`ixgbevf: warning: ${text}\n`);
  }

  /** `--verbose`: every mailbox word on stderr. */
  trace(ev: MailboxTraceEvent): void {
    if (!this.verbose) return;
    const arrow = ev.direction === 'vf-to-pf' ? 'VF→PF' : 'PF→VF';
    const first = ev.words[0];
    const words = ev.words.map((w) => `0x${(w >>> 0).toString(16).padStart(8, '0')}`).join(' ');
    this.io.stderr(`mbx ${arrow} ${first === undefined ? '' : describeWord(first, this.familyKind)}  [${words}]\n`);
  }

  /**
   * The running daemon, or null (no socket / nothing listening, only for a socket the user did not name).
   * `vf`: the VF the command is for, named in the fix when the daemon cannot be reached.
   */
  connectDaemon(vf?: string): Promise<DaemonClient | null> {
    return DaemonClient.connect(this.socketPath, { explicit: this.socketExplicit, signal: this.io.signal, ...(vf === undefined ? {} : { vf }) });
  }
}
