/**
 * `--metrics`: the daemon's Prometheus endpoint. Every scrape is parsed line by line with a strict
 * text-format parser (test/helpers/daemon-promtext.ts: HELP/TYPE/sample syntax, label escaping, histogram
 * buckets monotone with +Inf = _count) and checked against what happened: a MAC set (ACK by message), the
 * reset NACK, a PF reset and its recovery (counter, histogram), the applied/state/API gauges and the
 * process metrics. Also: 405 for every other method (CONNECT too, on a raw connection), the address
 * rules (a bare port is 127.0.0.1), the 0600 Unix socket, refusals
 * before any VF is touched, and the flag on the real binary.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { Daemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/daemon/log.js';
import { parseMetricsAddress } from '../../src/daemon/metrics-server.js';
import { RawConn, tempDir, waitReady } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';
import { startDirectDaemon } from '../helpers/daemon-direct.js';
import { parsePrometheusText, sampleValue } from '../helpers/daemon-promtext.js';
import { testOpenVf } from '../helpers/cli-sim.js';

type Reply = { id: unknown; ok: boolean; result?: Record<string, unknown>; error?: { code: string } };

function get(target: { socketPath: string } | { host: string; port: number }, urlPath = '/metrics', method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...target, path: urlPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a scrape parses strictly and counts what happened: ACK/NACK by message, PF reset, recovery histogram, applied, API, process', { timeout: 60_000 }, async () => {
  const metricsSock = path.join(tempDir(), 'metrics.sock');
  const d = await startDirectDaemon(['sim', 'sim:family=82576'], { metrics: metricsSock });
  try {
    assert.equal(lstatSync(metricsSock).mode & 0o777, 0o600, 'the metrics socket is private (0600)');
    const conn = await RawConn.open(d.socket);
    await waitReady(conn, 'sim');
    await waitReady(conn, 'sim:family=82576', 9500);
    assert.equal((await conn.request<Reply>({ id: 1, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:71' })).ok, true);
    const first = parsePrometheusText((await get({ socketPath: metricsSock })).body);
    assert.equal(sampleValue(first, 'ixgbevf_pf_replies_total', 'ixgbevf_pf_replies_total', { vf: 'sim', message: 'SET_MAC_ADDR', reply: 'ack' }), 1, 'one accepted SET_MAC_ADDR');
    assert.equal(sampleValue(first, 'ixgbevf_pf_resets_total', 'ixgbevf_pf_resets_total', { vf: 'sim' }), 0);
    assert.equal((await conn.request<Reply>({ id: 2, op: 'sim', vf: 'sim', action: 'pf-reset' })).ok, true);
    for (let i = 0; ; i++) {
      const s = await conn.request<Reply>({ id: 100 + i, op: 'status' });
      const vf = (s.result!.vfs as { id: string; state: string; recoveries: number }[]).find((v) => v.id === 'sim')!;
      if (vf.recoveries >= 1 && vf.state === 'ready') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    conn.close();

    const res = await get({ socketPath: metricsSock });
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/plain; version=0\.0\.4/);
    const m = parsePrometheusText(res.body);
    const v = (family: string, labels: Record<string, string>, name = family): number | undefined => sampleValue(m, family, name, labels);

    for (const vf of ['sim', 'sim:family=82576']) {
      assert.ok(v('ixgbevf_mailbox_messages_sent_total', { vf })! > 0, `${vf} sent messages`);
      assert.ok(v('ixgbevf_mailbox_messages_received_total', { vf })! > 0);
      for (const f of ['ixgbevf_mailbox_acks_total', 'ixgbevf_mailbox_timeouts_total', 'ixgbevf_pf_resets_total', 'ixgbevf_recoveries_total']) {
        assert.notEqual(v(f, { vf }), undefined, `${f}{vf="${vf}"} exists from the start`);
      }
      assert.equal(v('ixgbevf_vf_applied', { vf }), 1);
      assert.equal(v('ixgbevf_vf_state', { vf, state: 'ready' }), 1);
      assert.equal(v('ixgbevf_vf_state', { vf, state: 'recovering' }), 0);
    }
    assert.equal(m.get('ixgbevf_mailbox_messages_sent_total')!.type, 'counter');
    assert.equal(v('ixgbevf_pf_replies_total', { vf: 'sim', message: 'SET_MAC_ADDR', reply: 'ack' }), 2, 'the MAC re-applied after the PF reset');
    assert.ok(v('ixgbevf_pf_replies_total', { vf: 'sim', message: 'VF_RESET', reply: 'nack' })! >= 1, 'the reset reply NACKed (no MAC assigned by the PF)');
    assert.ok(v('ixgbevf_pf_resets_total', { vf: 'sim' })! >= 1);
    assert.equal(v('ixgbevf_pf_resets_total', { vf: 'sim:family=82576' }), 0);
    assert.equal(v('ixgbevf_recoveries_total', { vf: 'sim' }), 1);
    assert.equal(m.get('ixgbevf_recovery_duration_seconds')!.type, 'histogram');
    assert.equal(v('ixgbevf_recovery_duration_seconds', { vf: 'sim' }, 'ixgbevf_recovery_duration_seconds_count'), 1);
    assert.equal(v('ixgbevf_recovery_duration_seconds', { vf: 'sim:family=82576' }, 'ixgbevf_recovery_duration_seconds_count'), 0);
    assert.equal(v('ixgbevf_recovery_duration_seconds', { vf: 'sim', le: '+Inf' }, 'ixgbevf_recovery_duration_seconds_bucket'), 1);
    assert.equal(v('ixgbevf_vf_api_info', { vf: 'sim', api: '1.7' }), 1);
    assert.equal(v('ixgbevf_vf_desired_revision', { vf: 'sim' }), 1);
    assert.ok(v('process_resident_memory_bytes', {})! > 1e6, 'RSS');
    assert.equal(m.get('process_cpu_seconds_total')!.type, 'counter');
    assert.ok(m.has('nodejs_eventloop_lag_seconds'), 'event-loop lag');
    for (const f of m.values()) assert.ok(f.help !== null && f.help.length > 0, `${f.name} has HELP`);
  } finally {
    await d.stop();
  }
  assert.equal(existsSync(metricsSock), false, 'the metrics socket is removed on stop');
});

test('with --group the metrics socket is 0660 and the group\'s', { timeout: 30_000 }, async () => {
  const metricsSock = path.join(tempDir(), 'metrics.sock');
  const gid = process.getgid!();
  const d = await startDirectDaemon(['sim'], { metrics: metricsSock, group: String(gid) });
  try {
    const st = lstatSync(metricsSock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, gid);
    assert.equal((await get({ socketPath: metricsSock })).status, 200);
  } finally {
    await d.stop();
  }
});

test('a bare port binds 127.0.0.1 only; /metrics only, GET/HEAD only', { timeout: 30_000 }, async () => {
  const d = await startDirectDaemon(['sim'], { metrics: ':0' });
  try {
    const at = d.daemon.metricsAddress;
    assert.ok(at !== null && at.kind === 'tcp');
    assert.equal(at.host, '127.0.0.1');
    assert.ok(at.port > 0);
    const listening = d.log().find((l) => l.event === 'metrics-listening');
    assert.equal(listening?.address, `127.0.0.1:${at.port}`);
    const ok = await get({ host: '127.0.0.1', port: at.port });
    assert.equal(ok.status, 200);
    parsePrometheusText(ok.body);
    assert.equal((await get({ host: '127.0.0.1', port: at.port }, '/')).status, 404);
    assert.equal((await get({ host: '127.0.0.1', port: at.port }, '/metrics', 'POST')).status, 405);
  } finally {
    await d.stop();
  }
});

/** Writes `request` raw on a new connection and returns everything the server sends until it closes. */
function rawExchange(target: { path: string } | { port: number; host: string }, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(target as net.NetConnectOpts);
    let text = '';
    c.setEncoding('utf8');
    c.on('data', (d: string) => (text += d));
    c.on('error', reject);
    c.on('close', () => resolve(text));
    c.end(request);
  });
}

test('every method but GET and HEAD gets 405 with Allow, CONNECT too (raw clients over TCP and a Unix socket)', { timeout: 30_000 }, async () => {
  const metricsSock = path.join(tempDir(), 'metrics.sock');
  const tcp = await startDirectDaemon(['sim'], { metrics: ':0' });
  const unix = await startDirectDaemon(['sim'], { metrics: metricsSock });
  try {
    const at = tcp.daemon.metricsAddress!;
    assert.ok(at.kind === 'tcp');
    for (const target of [{ host: '127.0.0.1', port: at.port }, { path: metricsSock }]) {
      for (const [method, target1] of [['CONNECT', '127.0.0.1:9464'], ['CONNECT', 'example.com:443'], ['POST', '/metrics'], ['PUT', '/metrics'], ['DELETE', '/metrics'], ['OPTIONS', '*'], ['TRACE', '/metrics'], ['PATCH', '/metrics']] as const) {
        const text = await rawExchange(target, `${method} ${target1} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        const [head, body] = text.split('\r\n\r\n');
        assert.match(head!, /^HTTP\/1\.1 405 Method Not Allowed\r\n/, `${method} ${target1} on ${JSON.stringify(target)}: ${JSON.stringify(text)}`);
        assert.match(head!, /\r\nallow: GET, HEAD(\r\n|$)/i, method);
        assert.match(body!, /method not allowed\n/, method);
      }
      // Still serving.
      const ok = await rawExchange(target, 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      assert.match(ok, /^HTTP\/1\.1 200 OK\r\n/);
    }
  } finally {
    await tcp.stop();
    await unix.stop();
  }
});

test('--metrics addresses: port, :port, IPv4:port, [v6]:port, localhost:port, absolute path; bad ones (host names, relative paths) are exit-2 errors', () => {
  assert.deepEqual(parseMetricsAddress('9464'), { kind: 'tcp', host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseMetricsAddress(':9464'), { kind: 'tcp', host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseMetricsAddress('0.0.0.0:9100'), { kind: 'tcp', host: '0.0.0.0', port: 9100 });
  assert.deepEqual(parseMetricsAddress('localhost:9100'), { kind: 'tcp', host: 'localhost', port: 9100 });
  assert.deepEqual(parseMetricsAddress('[::1]:9464'), { kind: 'tcp', host: '::1', port: 9464 });
  assert.deepEqual(parseMetricsAddress('/run/ixgbevf/metrics.sock'), { kind: 'unix', path: '/run/ixgbevf/metrics.sock' });
  for (const bad of ['', 'localhost', ':', ':http', '70000', '::1:9464', '[zz]:1', 'a b:1', 'host:-1', 'monitor.lan:9100', 'localhsot:9464', '1.2.3.4.5:9464', '256.0.0.1:1', '..:1', './m.sock', '.', 'run/m.sock']) {
    assert.throws(() => parseMetricsAddress(bad), (e: { code?: string; exitCode?: number; hint?: string }) => e.code === 'ERR_INVALID_METRICS_ADDRESS' && e.exitCode === 2 && /--metrics/.test(e.hint ?? ''), bad);
  }
});

test('refused before any VF is touched: a bad address (exit 2), a port in use, a path that is not a socket (exit 3)', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const busyPort = (busy.address() as net.AddressInfo).port;
  const file = path.join(dir, 'not-a-socket');
  writeFileSync(file, 'keep me');
  try {
    for (const [metrics, code, exitCode] of [
      ['localhost', 'ERR_INVALID_METRICS_ADDRESS', 2],
      [`127.0.0.1:${busyPort}`, 'ERR_METRICS_LISTEN', 3],
      [file, 'ERR_METRICS_PATH', 3],
    ] as const) {
      let opened = 0;
      const socket = path.join(dir, `d-${code}.sock`);
      const daemon = new Daemon({ specs: ['sim'], socketPath: socket, logger: silentLogger, metrics, openVf: (spec, o) => ((opened += 1), testOpenVf(spec, o)) });
      await assert.rejects(daemon.start(), (e: { code?: string; exitCode?: number }) => e.code === code && e.exitCode === exitCode, metrics);
      assert.equal(opened, 0, `${metrics}: no VF opened`);
      assert.equal(existsSync(socket), false, 'the control socket is gone again');
    }
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
  } finally {
    busy.close();
  }
});

test('the strict parser rejects what Prometheus rejects (so the scrape checks can fail)', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{vf="s\\"q\\\\\\n"} 1\n';
  assert.equal(parsePrometheusText(ok).get('a_total')!.samples[0]!.labels['vf'], 's"q\\\n');
  const hist = (b1: number, inf: number, count: number): string =>
    `# HELP h x\n# TYPE h histogram\nh_bucket{le="0.1"} ${b1}\nh_bucket{le="+Inf"} ${inf}\nh_sum 0.5\nh_count ${count}\n`;
  parsePrometheusText(hist(1, 2, 2));
  for (const [why, text] of [
    ['no newline at the end', '# TYPE a gauge\na 1'],
    ['sample before TYPE', 'a 1\n'],
    ['bad escape', '# TYPE a gauge\na{l="\\t"} 1\n'],
    ['unquoted label', '# TYPE a gauge\na{l=x} 1\n'],
    ['bad value', '# TYPE a gauge\na 1,5\n'],
    ['not a number', '# TYPE a gauge\na nano\n'],
    ['series twice', '# TYPE a gauge\na{l="1"} 1\na{l="1"} 2\n'],
    ['negative counter', '# TYPE a_total counter\na_total -1\n'],
    ['TYPE twice', '# TYPE a gauge\n# TYPE a gauge\na 1\n'],
    ['bucket counts decrease', hist(3, 2, 2)],
    ['+Inf differs from _count', hist(1, 2, 3)],
    ['not contiguous', '# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\n'],
  ] as const) {
    assert.throws(() => parsePrometheusText(text), Error, why);
  }
});

test('every ixgbevf_ metric docs/metrics.md names (table, alerting rules) is exported, and every exported one is documented', { timeout: 30_000 }, async () => {
  const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const named = new Set([...doc.matchAll(/\b(ixgbevf_[a-z_]+[a-z])\b/g)].map((m) => m[1]!));
  const d = await startDirectDaemon(['sim'], { metrics: ':0' });
  try {
    const at = d.daemon.metricsAddress!;
    assert.ok(at.kind === 'tcp');
    const families = [...parsePrometheusText((await get({ host: at.host, port: at.port })).body).keys()].filter((f) => f.startsWith('ixgbevf_'));
    for (const name of named) assert.ok(families.includes(name), `${name} (docs/metrics.md) is exported`);
    for (const f of families) assert.ok(named.has(f), `${f} is documented in docs/metrics.md`);
  } finally {
    await d.stop();
  }
});


test('the real binary: `ixgbevf daemon sim --metrics <path>` serves a parseable scrape; SIGTERM removes the socket', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const metricsSock = path.join(dir, 'metrics.sock');
  const child = new DaemonChild(['sim', '--socket', path.join(dir, 'd.sock'), '--metrics', metricsSock]);
  try {
    await child.waitLog((l) => l.event === 'ready');
    const listening = await child.waitLog((l) => l.event === 'metrics-listening');
    assert.equal(listening.address, metricsSock);
    const m = parsePrometheusText((await get({ socketPath: metricsSock })).body);
    assert.equal(sampleValue(m, 'ixgbevf_vf_applied', 'ixgbevf_vf_applied', { vf: 'sim' }), 1);
    child.kill('SIGTERM');
    await child.exited;
    assert.equal(existsSync(metricsSock), false);
  } finally {
    if (child.alive) child.kill('SIGKILL');
  }
});

test('a metrics client that pipelines requests and never reads is dropped (the daemon does not hold its answers); two pipelined requests are still served', { timeout: 60_000 }, async () => {
  const d = await startDirectDaemon(['sim'], { metrics: ':0' });
  try {
    const at = d.daemon.metricsAddress!;
    assert.ok(at.kind === 'tcp');
    const request = `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    // The hostile one: keeps pipelining requests (500 a write), reads nothing.
    const hostile = net.connect(at.port, '127.0.0.1');
    hostile.pause();
    hostile.on('error', () => undefined);
    await new Promise<void>((r) => hostile.once('connect', () => r()));
    let dropped = false;
    hostile.once('close', () => (dropped = true));
    for (let round = 0; round < 40 && !dropped; round++) {
      hostile.write(request.repeat(500));
      await new Promise((r) => setTimeout(r, 100));
    }
    hostile.destroy();
    assert.ok(dropped, 'the daemon dropped the connection that never reads (20,000 requests sent)');
    // A polite client pipelining two requests gets both answers.
    const polite = net.connect(at.port, '127.0.0.1');
    let text = '';
    polite.setEncoding('utf8');
    polite.on('data', (chunk: string) => (text += chunk));
    await new Promise<void>((r) => polite.once('connect', () => r()));
    polite.write(request + request.replace('HTTP/1.1\r\n', 'HTTP/1.1\r\nConnection: close\r\n'));
    await new Promise<void>((r) => polite.once('close', () => r()));
    assert.equal(text.match(/^HTTP\/1\.1 200 OK/gm)?.length, 2, text.slice(0, 300));
  } finally {
    await d.stop();
  }
});
