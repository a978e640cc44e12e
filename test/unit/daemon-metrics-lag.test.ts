/**
 * The event-loop lag metrics (`nodejs_eventloop_lag_*`) are finite and meaningful in every scrape: a scrape
 * that finds no new delay sample (less than one sampling interval after the previous one: two scrapers, a
 * retry) repeats the previous values instead of prom-client's `Nan`, 9.2e9 s and 0. Checked on the daemon's
 * registry (two scrapes with only microtasks between them: deterministically no new sample) and on an
 * in-process daemon's HTTP endpoint (scrapes back to back and at once).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { EVENT_LOOP_LAG_METRICS } from '../../src/daemon/event-loop-lag.js';
import { DaemonMetrics } from '../../src/daemon/metrics.js';
import { startDirectDaemon } from '../helpers/daemon-direct.js';
import { parsePrometheusText } from '../helpers/daemon-promtext.js';

const LAG_FAMILIES = [
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
];

/** The lag gauges of a scrape (strictly parsed), each a finite number from 0 to under 1e9 s; the text has no NaN/Inf value. */
function lagValues(text: string, what: string): Map<string, number> {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    assert.doesNotMatch(line.slice(line.lastIndexOf(' ') + 1), /nan|inf/i, `${what}: ${line}`);
  }
  const families = parsePrometheusText(text);
  const out = new Map<string, number>();
  for (const name of LAG_FAMILIES) {
    const f = families.get(name);
    assert.ok(f !== undefined, `${what}: ${name} is exported`);
    assert.equal(f.type, 'gauge');
    assert.equal(f.samples.length, 1, `${what}: ${name} has one sample`);
    const v = f.samples[0]!.value;
    assert.ok(Number.isFinite(v) && v >= 0 && v < 1e9, `${what}: ${name} ${v}`);
    out.set(name, v);
  }
  return out;
}

/** Blocks the event loop for `ms` without spinning (the next delay sample is at least that long). */
function blockLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Lets the sampling timer run: a timer due after it runs after it. */
const turn = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the lag metrics this module exports are the ones checked here', () => {
  assert.deepEqual([...EVENT_LOOP_LAG_METRICS].sort(), [...LAG_FAMILIES].sort());
});

test('two scrapes with no delay sample between them: every lag value finite, the second repeats the first', { timeout: 30_000 }, async () => {
  const m = new DaemonMetrics(() => []);
  try {
    lagValues(await m.metrics(), 'a scrape before any sample');
    await turn(50);
    blockLoop(100);
    await turn(30);
    const first = lagValues(await m.metrics(), 'the first scrape');
    // Only microtasks between the two: no sampling timer can have run.
    const second = lagValues(await m.metrics(), 'the scrape right after');
    assert.ok(first.get('nodejs_eventloop_lag_max_seconds')! >= 0.05, `the 100 ms block shows in the max: ${first.get('nodejs_eventloop_lag_max_seconds')}`);
    for (const name of LAG_FAMILIES.filter((n) => n !== 'nodejs_eventloop_lag_seconds')) {
      assert.equal(second.get(name), first.get(name), `${name}: no new sample, the previous value`);
    }
    const min = first.get('nodejs_eventloop_lag_min_seconds')!;
    const max = first.get('nodejs_eventloop_lag_max_seconds')!;
    assert.ok(min <= first.get('nodejs_eventloop_lag_p50_seconds')! && first.get('nodejs_eventloop_lag_p99_seconds')! <= max, 'min ≤ p50 ≤ p99 ≤ max');
    await turn(50);
    lagValues(await m.metrics(), 'a scrape after new samples');
  } finally {
    m.close();
  }
});

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('the daemon\'s endpoint scraped back to back and by two scrapers at once: every lag value finite', { timeout: 60_000 }, async () => {
  const d = await startDirectDaemon(['sim'], { metrics: ':0' });
  try {
    const at = d.daemon.metricsAddress!;
    assert.ok(at.kind === 'tcp');
    for (let i = 0; i < 5; i++) {
      lagValues(await scrape(at.port), `scrape ${i}`);
      lagValues(await scrape(at.port), `scrape ${i} again`);
      const [a, b] = await Promise.all([scrape(at.port), scrape(at.port)]);
      lagValues(a, `scrape ${i}, scraper A`);
      lagValues(b, `scrape ${i}, scraper B`);
    }
  } finally {
    await d.stop();
  }
});
