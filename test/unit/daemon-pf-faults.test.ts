/**
 * The daemon from its clients' side while the simulated PF misbehaves (src/sim/faults.ts): a PF that goes
 * silent while requests wait on it and the daemon is stopped; a PF reset in the middle of a client's
 * request. Every client gets exactly one typed answer whose fix is a command, and the VF is reset once per
 * PF reset. Only fault hooks and events order things: no timing assertions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimFaults } from '../../src/sim/index.js';
import { RawConn, waitReady } from '../helpers/cli-daemon.js';
import { openVfWithFaults, startDirectDaemon } from '../helpers/daemon-direct.js';

type Reply = { id: number; ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string; hint?: string; exitCode: number } };

const HOUR = 3_600_000;

test('a stop while clients wait on a silent PF: the request inside the mailbox gets ERR_RELEASED (exit 7) with a command as its fix, like the queued ones, not the VF layer\'s ERR_CLOSED "openVf" hint', { timeout: 30_000 }, async () => {
  const faults = new SimFaults();
  // Every timer that could answer the request first is an hour long: only the stop ends the wait.
  const d = await startDirectDaemon(['sim'], { openVf: openVfWithFaults(faults), timeoutMs: HOUR, retryMinMs: HOUR, retryMaxMs: HOUR });
  const a = await RawConn.open(d.socket);
  const b = await RawConn.open(d.socket);
  await waitReady(a, 'sim');
  const watch = await RawConn.open(d.socket);
  await watch.request({ id: 1, op: 'watch', vf: 'sim' });
  faults.pfSilent = true;
  const vf = d.daemon.vfs.get('sim')!.handle.vf;
  const sentBefore = vf.counters.msgsTx;
  a.send({ id: 1, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:01' });
  a.send({ id: 2, op: 'vlan', vf: 'sim', action: 'add', vlan: 3 });
  b.send({ id: 3, op: 'mtu', vf: 'sim', mtu: 1500 });
  // The set-mac is in the mailbox (the PF never reads it) when the stop begins; the others queue behind it.
  while (vf.counters.msgsTx === sentBefore) await new Promise((r) => setImmediate(r));
  await d.stop();
  await Promise.all([a.closed, b.closed]);
  const replies = [...a.lines, ...b.lines].filter((l) => [1, 2, 3].includes((l as Reply).id)) as Reply[];
  assert.deepEqual(replies.map((r) => r.id).sort(), [1, 2, 3], `one reply each: ${JSON.stringify(replies)}`);
  for (const r of replies) {
    assert.equal(r.ok, false);
    assert.equal(r.error!.code, 'ERR_RELEASED', JSON.stringify(r));
    assert.equal(r.error!.exitCode, 7);
    assert.match(r.error!.message, /released by the daemon: daemon stopped/);
    assert.match(r.error!.hint!, /^ixgbevf /, 'the fix is a command');
  }
  // The audit lines say what the clients were told.
  for (const l of d.log().filter((x) => x.event === 'audit')) assert.equal(l.code, 'ERR_RELEASED', JSON.stringify(l));
  assert.deepEqual(d.log().filter((l) => l.level === 'error' || l.event === 'request-failed'), []);
  a.close();
  b.close();
  watch.close();
});

test('a PF reset in the middle of a client\'s request (resetMidTransaction): the request is answered once, the VF is reset once (by the request\'s retry, not again by the recovery loop) and watchers get one `recovered`', { timeout: 30_000 }, async () => {
  const faults = new SimFaults();
  const d = await startDirectDaemon(['sim'], { openVf: openVfWithFaults(faults), timeoutMs: HOUR, retryMinMs: HOUR, retryMaxMs: HOUR });
  const c = await RawConn.open(d.socket);
  const w = await RawConn.open(d.socket);
  try {
    await waitReady(c, 'sim');
    assert.equal((await c.request<Reply>({ id: 1, op: 'vlan', vf: 'sim', action: 'add', vlan: 7 })).ok, true);
    assert.equal((await w.request<Reply>({ id: 1, op: 'watch', vf: 'sim' })).ok, true);
    const vf = d.daemon.vfs.get('sim')!.handle.vf;
    let vfResets = 0;
    const reset = vf.reset.bind(vf);
    vf.reset = (...args: Parameters<typeof vf.reset>) => {
      vfResets += 1;
      return reset(...args);
    };
    // The PF reads (and ACKs) the set-mac, then goes down instead of answering, and comes back up.
    faults.resetMidTransaction = { upAfterMs: 20 };
    const r = await c.request<Reply>({ id: 2, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:02' });
    assert.equal(r.ok, true, JSON.stringify(r));
    // The recovery the PF's reset event started has ended (it reports once, with its attempts).
    await w.waitFor<{ event?: { type: string; attempts?: number } }>((l) => l.event?.type === 'recovered' && l.event.attempts !== undefined);
    const status = await c.request<Reply>({ id: 3, op: 'status' });
    const v = (status.result!.vfs as { state: string; recoveries: number; desired: { mac: string; vlans: number[] } }[])[0]!;
    assert.equal(v.state, 'ready');
    assert.deepEqual([v.desired.mac, v.desired.vlans], ['02:00:00:00:00:02', [7]]);
    // Queued behind the status: anything the recovery loop still had to do has run by now.
    await c.request<Reply>({ id: 4, op: 'link', vf: 'sim' });
    const recovered = w.lines.filter((l) => (l as { event?: { type: string } }).event?.type === 'recovered');
    assert.equal(recovered.length, 1, `one recovered event per PF reset: ${JSON.stringify(w.lines)}`);
    assert.equal(vfResets, 1, 'one VF reset per PF reset (a second one drops the filters just re-applied)');
    const pf = d.daemon.vfs.get('sim')!.handle.sim!.vfInfo() as unknown as { mac: string; vlans: Set<number> };
    assert.equal(pf.mac, '02:00:00:00:00:02');
    assert.ok(pf.vlans.has(7));
    assert.deepEqual(d.log().filter((l) => l.level !== 'info').map((l) => l.event), []);
  } finally {
    c.close();
    w.close();
    await d.stop();
  }
});
