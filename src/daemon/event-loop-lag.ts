/**
 * The `nodejs_eventloop_lag_*` metrics: the names, types and meaning of prom-client's default ones, with
 * every value a finite number. prom-client reads its event-loop delay histogram and resets it at every
 * scrape, so a scrape less than one sampling interval after the previous one (two scrapers, a retry) found
 * no sample and showed `Nan` for the mean and the standard deviation, 9223372036.85 s (an empty
 * histogram's minimum) and 0 for the rest. Here a scrape that finds no new sample repeats the previous
 * values: each value describes the delays sampled between the last two scrapes that had samples (0 before
 * the first sample).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import { EVENT_LOOP_LAG_RESOLUTION_MS } from './defaults.js';

/** The statistics over the histogram's samples (seconds), by metric name. */
const STATISTICS: readonly [name: string, help: string, read: (h: IntervalHistogram) => number][] = [
  ['nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', (h) => h.min],
  ['nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', (h) => h.max],
  ['nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', (h) => h.mean],
  ['nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.', (h) => h.stddev],
  ['nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', (h) => h.percentile(50)],
  ['nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.', (h) => h.percentile(90)],
  ['nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', (h) => h.percentile(99)],
];

/** The time from a scrape to the event loop's next turn (seconds), shown by the scrape after. */
const LAG = 'nodejs_eventloop_lag_seconds';

/** Every metric this module exports. */
export const EVENT_LOOP_LAG_METRICS: readonly string[] = [LAG, ...STATISTICS.map(([name]) => name)];

/**
 * prom-client's `eventLoopMonitoringPrecision` for collectDefaultMetrics when eventLoopLag() replaces its
 * lag metrics: the longest a histogram takes (ms, ~24.8 days), so that the histogram prom-client enables
 * and nobody reads does not wake the event loop every 10 ms.
 */
export const UNUSED_PROM_CLIENT_PRECISION_MS = 2 ** 31 - 1;

export interface EventLoopLag {
  /** Stops sampling (the daemon's metrics end). */
  close(): void;
}

/**
 * Registers the lag metrics in `registry`, in place of prom-client's default ones if those are there
 * (collectDefaultMetrics: pass it UNUSED_PROM_CLIENT_PRECISION_MS).
 */
export function eventLoopLag(registry: Registry): EventLoopLag {
  for (const name of EVENT_LOOP_LAG_METRICS) registry.removeSingleMetric(name);
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_LAG_RESOLUTION_MS });
  histogram.enable();
  /** The last finite value of each statistic (seconds). */
  const last = new Map<string, number>(STATISTICS.map(([name]) => [name, 0]));
  /** Takes the samples since the last call, if any, into `last` (whichever gauge a scrape reads first). */
  const take = (): void => {
    if (histogram.count === 0) return;
    for (const [name, , read] of STATISTICS) {
      const seconds = read(histogram) / 1e9;
      if (Number.isFinite(seconds)) last.set(name, seconds);
    }
    histogram.reset();
  };
  for (const [name, help] of STATISTICS) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        take();
        this.set(last.get(name)!);
      },
    });
  }
  let lag = 0;
  new Gauge({
    name: LAG,
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    collect() {
      this.set(lag);
      const start = process.hrtime.bigint();
      setImmediate(() => (lag = Number(process.hrtime.bigint() - start) / 1e9));
    },
  });
  return { close: () => histogram.disable() };
}
