/**
 * The `ixgbevf daemon` options this layer owns (`--config`, `--metrics`) and how the command line and the
 * config file combine into the daemon's settings: an option given on the command line wins over the
 * file's field; the VFs are the file's plus those named on the command line (a VF in both keeps the
 * file's desired state). src/cli/program.ts adds the options with addDaemonConfigOptions() and calls
 * daemonSettings() in the command's action.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import type { ConfiguredState, DaemonConfig } from './config.js';
import { DEFAULT_CONFIG_FILE } from './defaults.js';
import type { LogFormat } from './log.js';
import { parseVfSpec } from './validate.js';

export const DAEMON_CONFIG_OPTIONS = {
  config: ['--config <file>', `read the VFs, their desired state and the daemon's settings from a JSON file (e.g. ${DEFAULT_CONFIG_FILE}; see docs/daemon.md); options given here win over its fields`],
  metrics: ['--metrics <address>', 'serve Prometheus metrics at /metrics: a port (9464 or :9464 = 127.0.0.1:9464), IPv4:port, [IPv6]:port, localhost:port (an address, not a host name), or an absolute Unix socket path (mode 0600, 0660 with --group); default off'],
} as const;

/** Adds `--config` and `--metrics` to the daemon command. */
export function addDaemonConfigOptions(cmd: Command): Command {
  return cmd.option(...DAEMON_CONFIG_OPTIONS.config).option(...DAEMON_CONFIG_OPTIONS.metrics);
}

/** What the command line gave (undefined: not given). */
export interface DaemonCliValues {
  config?: string;
  metrics?: string;
  socket?: string;
  stateDir?: string;
  group?: string;
  logFormat?: LogFormat;
  poll?: boolean;
  timeoutMs?: number;
}

export interface DaemonSettings {
  specs: string[];
  /** VF → the desired-state fields the config file sets (overrides the state file's at start). */
  configured: Map<string, ConfiguredState>;
  socket?: string;
  stateDir?: string;
  group?: string;
  logFormat: LogFormat;
  metrics?: string;
  poll: boolean;
  timeoutMs?: number;
  configFile?: string;
}

/** Combines the command line and `--config` (read and validated here: exit 2 per bad field, 3 unreadable). */
export async function daemonSettings(vfs: readonly string[], cli: DaemonCliValues, load?: (file: string) => Promise<DaemonConfig>): Promise<DaemonSettings> {
  // Loaded on use: the rest of the CLI never pays for the config parser or the metrics server.
  load ??= (await import('./config.js')).loadConfig;
  const { parseMetricsAddress } = await import('./metrics-server.js');
  const config: DaemonConfig = cli.config === undefined ? { vfs: new Map() } : await load(cli.config);
  const specs = [...config.vfs.keys()];
  for (const spec of vfs.map(parseVfSpec)) if (!specs.includes(spec)) specs.push(spec);
  if (specs.length === 0) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', 'daemon needs at least one VF (on the command line or in --config)', {
      hint: `ixgbevf daemon 0000:03:10.0   (or: ixgbevf daemon --config ${DEFAULT_CONFIG_FILE})`,
    });
  }
  const metrics = cli.metrics ?? config.metrics;
  if (metrics !== undefined) parseMetricsAddress(metrics); // a bad --metrics fails before anything starts
  const pick = <K extends 'socket' | 'stateDir' | 'group'>(k: K): Partial<Record<K, string>> => {
    const v = cli[k] ?? config[k];
    return v === undefined ? {} : ({ [k]: v } as Partial<Record<K, string>>);
  };
  const timeoutMs = cli.timeoutMs ?? config.timeoutMs;
  return {
    specs,
    configured: config.vfs,
    ...pick('socket'),
    ...pick('stateDir'),
    ...pick('group'),
    logFormat: cli.logFormat ?? config.logFormat ?? 'text',
    ...(metrics === undefined ? {} : { metrics }),
    poll: cli.poll === true || config.poll === true,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(cli.config === undefined ? {} : { configFile: cli.config }),
  };
}
