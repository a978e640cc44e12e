/**
 * The daemon's default paths, in a file of their own so the CLI can name them in its help without loading
 * the daemon.
 */

/** The config file the systemd unit passes with --config. */
export const DEFAULT_CONFIG_FILE = '/etc/ixgbevf/daemon.json';
