/**
 * The daemon's default paths, in a file of their own so the CLI can name them in its help without loading
 * the daemon, and its other tunables.
 */

/** The config file the systemd unit passes with --config. */
export const DEFAULT_CONFIG_FILE = '/etc/ixgbevf/daemon.json';

/**
 * How often the event-loop delay is sampled for the `nodejs_eventloop_lag_*` metrics (ms; prom-client's
 * default): a scrape sooner than this after the previous one finds no new sample (event-loop-lag.ts).
 */
export const EVENT_LOOP_LAG_RESOLUTION_MS = 10;
