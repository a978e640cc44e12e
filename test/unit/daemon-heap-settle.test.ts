/**
 * heap-settle.ts: with V8's memory reducer off (the units' IXGBEVF_NODE_FLAGS), the daemon compacts its
 * heap once each time the last busy VF settles — at start-up's end and after a wave of recoveries — and
 * once requests that grew the heap have stopped coming for REQUEST_QUIET_MS (a client sending one request
 * after another is never paused by it); never while a VF is still coming up or a request runs, never
 * after stop(). The real daemon, started with the units' node
 * flags, does it (logs `heap-compacted` after `ready` and after a PF reset), and without them does not.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { unitNodeFlags } from '../../bench/daemon.js';
import { DaemonClient } from '../../src/cli/client.js';
import { HEAP_GROWTH_BEFORE_COMPACT, heapCompactor, HeapSettler } from '../../src/daemon/heap-settle.js';
import type { Logger } from '../../src/daemon/log.js';
import type { DaemonEvent } from '../../src/daemon/owned-types.js';
import { tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

function rig(vfs: string[]) {
  const compactions: number[] = [];
  const logs: { level: string; event: string; fields?: Record<string, unknown> }[] = [];
  const queued: (() => void)[] = [];
  let cancelled = 0;
  let compactFn = (): void => {
    compactions.push(1);
  };
  const logger: Logger = { log: (level, event, fields) => logs.push({ level, event, ...(fields === undefined ? {} : { fields }) }) };
  let heap = 10 * 1024 * 1024;
  /** The quiet timers armed (at most one at a time is live): fire() runs the live one. */
  const quiet = { armed: 0, refreshed: 0, cancelled: 0, live: null as (() => void) | null };
  const settler = new HeapSettler(vfs, () => compactFn(), logger, {
    defer: (fn) => {
      queued.push(fn);
      return { cancel: () => (cancelled += 1) };
    },
    heapSize: () => heap,
    afterQuiet: (fn) => {
      quiet.armed += 1;
      quiet.live = fn;
      return {
        cancel: () => {
          quiet.cancelled += 1;
          quiet.live = null;
        },
        refresh: () => void (quiet.refreshed += 1),
      };
    },
  });
  const fireQuiet = (): void => {
    const fn = quiet.live;
    assert.ok(fn !== null, 'a quiet timer is armed');
    quiet.live = null;
    fn();
  };
  const ev = (vf: string, type: DaemonEvent['type']): void => settler.onEvent({ type, vf, time: '' });
  const drain = (): void => {
    for (const fn of queued.splice(0)) fn();
  };
  return { settler, ev, drain, compactions, logs, queued, quiet, fireQuiet, cancelled: () => cancelled, setCompact: (f: () => void) => (compactFn = f), grow: (bytes: number) => (heap += bytes) };
}

test('compacts once when the last VF of start-up settles, after the current work (deferred)', () => {
  const r = rig(['a', 'b', 'c']);
  r.ev('a', 'recovered');
  r.ev('b', 'waiting-for-pf');
  assert.equal(r.queued.length, 0, 'c is still coming up');
  r.ev('c', 'released');
  assert.equal(r.queued.length, 1);
  assert.equal(r.compactions.length, 0, 'not inside the event');
  r.drain();
  assert.equal(r.compactions.length, 1);
  assert.equal(r.logs.at(-1)?.event, 'heap-compacted');
  assert.equal(r.logs.at(-1)?.level, 'info');
});

test('events that neither start nor end work change nothing; a settled VF settling again does not compact again', () => {
  const r = rig(['a']);
  r.ev('a', 'link');
  r.ev('a', 'pf-message');
  assert.equal(r.queued.length, 0);
  r.ev('a', 'recovered');
  r.drain();
  r.ev('a', 'recovered');
  r.ev('a', 'reapply-failed');
  assert.equal(r.queued.length, 0);
  assert.equal(r.compactions.length, 1);
});

test('a recovery wave compacts once at its end, not per VF', () => {
  const r = rig(['a', 'b']);
  r.ev('a', 'recovered');
  r.ev('b', 'recovered');
  r.drain();
  r.ev('a', 'pf-reset');
  r.ev('b', 'recovering');
  r.ev('a', 'recovering');
  r.ev('a', 'recovered');
  assert.equal(r.queued.length, 0, 'b is still recovering');
  r.ev('b', 'recovery-failed');
  r.drain();
  assert.equal(r.compactions.length, 2);
});

test('a VF that becomes busy again before the deferred run: no compaction then, one at the end of the new work', () => {
  const r = rig(['a']);
  r.ev('a', 'recovered');
  r.ev('a', 'pf-reset');
  r.drain();
  assert.equal(r.compactions.length, 0);
  r.ev('a', 'recovered');
  r.drain();
  assert.equal(r.compactions.length, 1);
});

test('requests that grew the heap by HEAP_GROWTH_BEFORE_COMPACT end with one compaction once they stop coming; smaller growth arms nothing', () => {
  const r = rig(['a']);
  r.ev('a', 'recovered');
  r.drain();
  assert.equal(r.compactions.length, 1);
  // One request after another, each growing the heap a little: nothing armed until the growth is reached.
  for (let i = 0; i < 3; i++) {
    r.settler.requestStarted();
    r.grow(HEAP_GROWTH_BEFORE_COMPACT / 4);
    r.settler.requestEnded();
  }
  assert.equal(r.quiet.armed, 0);
  // A burst: requests overlap; only the last one's end counts.
  r.settler.requestStarted();
  r.settler.requestStarted();
  r.grow(HEAP_GROWTH_BEFORE_COMPACT / 2);
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 0, 'one request still runs');
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 1, 'the quiet timer is armed when the last request ends');
  assert.equal(r.queued.length, 0, 'nothing compacts at once: the client may send its next request now');
  r.fireQuiet();
  assert.equal(r.compactions.length, 2);
  assert.equal(r.logs.filter((l) => l.event === 'heap-compacted').length, 2);
  // The baseline is the heap after that compaction.
  r.settler.requestStarted();
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 1);
});

test('a client sending one request after another is never paused by a compaction: each request that ends pushes the quiet timer back', () => {
  const r = rig(['a']);
  r.ev('a', 'recovered');
  r.drain();
  const before = r.compactions.length;
  for (let i = 0; i < 50; i++) {
    r.settler.requestStarted();
    r.grow(HEAP_GROWTH_BEFORE_COMPACT / 8);
    r.settler.requestEnded();
  }
  assert.equal(r.compactions.length, before, 'no compaction between two requests of the stream');
  assert.equal(r.quiet.armed, 1, 'one timer for the whole stream');
  assert.ok(r.quiet.refreshed >= 40, `pushed back by each later request (${r.quiet.refreshed})`);
  // A request in flight when the timer fires: no compaction then; its end arms a new timer.
  r.settler.requestStarted();
  r.fireQuiet();
  assert.equal(r.compactions.length, before);
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 2);
  r.fireQuiet();
  assert.equal(r.compactions.length, before + 1, 'compacted once the stream stopped');
});

test('a request that begins before the deferred compaction runs puts it off; requests while a VF comes up never compact', () => {
  const r = rig(['a']);
  r.settler.requestStarted();
  r.grow(2 * HEAP_GROWTH_BEFORE_COMPACT);
  r.settler.requestEnded();
  assert.equal(r.queued.length + r.quiet.armed, 0, 'a is still coming up');
  r.ev('a', 'recovered');
  r.settler.requestStarted();
  r.drain();
  assert.equal(r.compactions.length, 0, 'a request runs');
  r.settler.requestEnded();
  assert.equal(r.compactions.length, 0, 'not at once');
  r.fireQuiet();
  assert.equal(r.compactions.length, 1, 'the heap had grown: compacted once no request came for a while');
});

test('a bring-up that compacts while the quiet timer waits leaves nothing for the timer to do', () => {
  const r = rig(['a']);
  r.ev('a', 'recovered');
  r.drain();
  assert.equal(r.compactions.length, 1);
  r.settler.requestStarted();
  r.grow(2 * HEAP_GROWTH_BEFORE_COMPACT);
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 1);
  r.ev('a', 'pf-reset');
  r.ev('a', 'recovered');
  r.drain();
  assert.equal(r.compactions.length, 2, 'the recovery wave compacted');
  r.fireQuiet();
  assert.equal(r.compactions.length, 2, 'the heap has not grown since: the timer does nothing');
});

test('stop() cancels a pending compaction and ignores later events', () => {
  const r = rig(['a']);
  r.ev('a', 'recovered');
  r.settler.requestStarted();
  r.grow(2 * HEAP_GROWTH_BEFORE_COMPACT);
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 1);
  r.settler.stop();
  assert.equal(r.cancelled(), 1);
  assert.equal(r.quiet.cancelled, 1, 'the quiet timer too');
  r.drain();
  r.settler.requestStarted();
  r.settler.requestEnded();
  assert.equal(r.quiet.armed, 1, 'no timer after stop()');
  r.ev('a', 'pf-reset');
  r.ev('a', 'recovered');
  r.drain();
  assert.equal(r.compactions.length, 0);
});

test('a compaction that throws is logged as a warning and does not throw out of the daemon', () => {
  const r = rig(['a']);
  r.setCompact(() => {
    throw new Error('no gc');
  });
  r.ev('a', 'recovered');
  assert.doesNotThrow(() => r.drain());
  assert.deepEqual(r.logs.map((l) => [l.level, l.event]), [['warn', 'heap-compact-failed']]);
});

test('heapCompactor: active only without the memory reducer and with gc exposed', () => {
  let calls = 0;
  const gc = (): void => {
    calls += 1;
  };
  assert.equal(heapCompactor([], gc), null);
  assert.equal(heapCompactor(['--no-memory-reducer'], undefined), null);
  assert.equal(heapCompactor(['--expose-gc'], gc), null);
  const compact = heapCompactor(['--no-memory-reducer', '--expose-gc'], gc);
  assert.notEqual(compact, null);
  compact!();
  assert.equal(calls, 1);
  // This test process runs with V8's defaults.
  assert.equal(heapCompactor(), null);
});

async function daemonWith(nodeFlags: readonly string[]): Promise<{ child: DaemonChild; socket: string }> {
  const dir = tempDir();
  const stateDir = path.join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const socket = path.join(dir, 'd.sock');
  const child = new DaemonChild(['sim', 'sim:mtu=9000', '--socket', socket, '--state-dir', stateDir], { nodeFlags });
  await child.waitLog((l) => l['event'] === 'ready' && l['vf'] === 'sim:mtu=9000');
  await child.waitLog((l) => l['event'] === 'ready' && l['vf'] === 'sim');
  return { child, socket };
}

/** Runs `body` on a daemon started with `nodeFlags` and a client connected to it, then stops it (SIGTERM, exit 0). */
async function withDaemonClient(nodeFlags: readonly string[], body: (child: DaemonChild, client: DaemonClient) => Promise<void>): Promise<DaemonChild> {
  const { child, socket } = await daemonWith(nodeFlags);
  try {
    const client = (await DaemonClient.connect(socket))!;
    try {
      await body(child, client);
    } finally {
      client.close();
    }
  } finally {
    child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  }
  return child;
}

test('the real daemon with the units\' node flags compacts after start-up and after a PF reset wave', { timeout: 60_000 }, async () => {
  const flags = unitNodeFlags();
  assert.ok(flags.includes('--no-memory-reducer') && flags.includes('--expose-gc'), `unit flags: ${flags.join(' ')}`);
  await withDaemonClient(flags, async (child, client) => {
    const first = await child.waitLog((l) => l['event'] === 'heap-compacted');
    assert.match(String(first['heapUsedMiB']), /^\d+\.\d->\d+\.\d$/);
    await client.request('sim', { vf: 'sim', action: 'pf-reset' });
    await child.waitLog((l) => l['event'] === 'recovered' && l['vf'] === 'sim');
    await child.waitLog((l) => l['event'] === 'heap-compacted' && l !== first);
    assert.equal(child.logs.filter((l) => l['event'] === 'heap-compacted').length, 2);
    // Still serving after its compactions.
    const st = await client.request<{ vfs: { state: string }[] }>('status');
    assert.deepEqual(st.vfs.map((v) => v.state), ['ready', 'ready']);
  });
});

test('the real daemon with the units\' node flags never compacts between the requests of a connected client; once they stop, it does', { timeout: 90_000 }, async () => {
  await withDaemonClient(unitNodeFlags(), async (child, client) => {
    const startup = await child.waitLog((l) => l['event'] === 'heap-compacted');
    // ~300 saved set-macs grow the committed heap by 1 MiB (measured): 1500 grow it several times over.
    for (let i = 0; i < 1500; i++) await client.request('set-mac', { vf: 'sim', mac: i & 1 ? '02:00:00:00:00:31' : '02:00:00:00:00:32' });
    const after = await child.waitLog((l) => l['event'] === 'heap-compacted' && l !== startup);
    const audits = child.logs.flatMap((l, i) => (l['event'] === 'audit' ? [i] : []));
    assert.equal(audits.length, 1500);
    const during = child.logs.slice(audits[0], audits.at(-1)).filter((l) => l['event'] === 'heap-compacted');
    assert.equal(during.length, 0, 'no compaction between two requests of the stream');
    assert.ok(child.logs.indexOf(after) > audits.at(-1)!, 'compacted after the last request');
  });
});

test('the real daemon with V8\'s defaults leaves the heap to V8 (no compaction of its own)', { timeout: 60_000 }, async () => {
  const child = await withDaemonClient([], async (c, client) => {
    await client.request('sim', { vf: 'sim', action: 'pf-reset' });
    await c.waitLog((l) => l['event'] === 'recovered' && l['vf'] === 'sim');
    await client.request('status');
  });
  assert.equal(child.logs.filter((l) => l['event'] === 'heap-compacted').length, 0);
});
