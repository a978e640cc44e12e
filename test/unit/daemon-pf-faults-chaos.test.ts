/**
 * Many clients at once against one daemon-owned VF whose simulated PF misbehaves between and during their
 * requests: PF down/up, silent for a while, trust on/off, an admin MAC set or cleared (then a PF reset, as
 * an admin reloads), a reset in the middle of a transaction, pings next to replies (some holding the reply
 * back), lost lock attempts. Five connections send interleaved set-mac / vlan add|del / multicast / mtu /
 * xcast, some pipelined. Seeded (deterministic choices; the interleaving is the event loop's).
 *
 * Invariants checked: every request gets exactly one reply, in order on its connection; an error is typed
 * (a code, a one-line message, a fix, an exit code that is not the bug one); the daemon logs no error and no
 * request-failed; once the PF is back and answering, `status` says ready and agrees with the simulated PF
 * (every desired item not in notApplied is on the PF, no VLAN the daemon does not want), before and after
 * one more PF reset, which is reported by exactly one `recovered` event.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SimFaults } from '../../src/sim/index.js';
import type { SimPfControl } from '../../src/open/types.js';
import { RawConn, waitReady } from '../helpers/cli-daemon.js';
import { openVfWithFaults, startDirectDaemon } from '../helpers/daemon-direct.js';

type Reply = { id: number; ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string; hint?: string; exitCode: number } };
type VfView = { state: string; desired: { mac: string | null; vlans: number[] }; notApplied: { item: string }[] };
type PfView = { mac: string | null; vlans: Set<number> };

const CONNECTIONS = 5;
const REQUESTS = 25;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function agrees(admin: RawConn, sim: SimPfControl, id: number, when: string): Promise<void> {
  const status = await admin.request<Reply>({ id, op: 'status' });
  const v = (status.result!.vfs as VfView[])[0]!;
  const pf = sim.vfInfo() as unknown as PfView;
  const shown = `${when}: ${JSON.stringify({ desired: v.desired, notApplied: v.notApplied, pf: { mac: pf.mac, vlans: [...pf.vlans] } })}`;
  assert.equal(v.state, 'ready', shown);
  const notApplied = v.notApplied.map((n) => n.item);
  if (v.desired.mac !== null && !notApplied.some((i) => i.startsWith('mac '))) assert.equal(pf.mac, v.desired.mac, shown);
  for (const vlan of v.desired.vlans) if (!notApplied.includes(`vlan ${vlan}`)) assert.ok(pf.vlans.has(vlan), `VLAN ${vlan} reported applied: ${shown}`);
  for (const vlan of pf.vlans) if (vlan !== 0) assert.ok(v.desired.vlans.includes(vlan), `VLAN ${vlan} on the PF, not desired: ${shown}`);
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`chaos (seed ${seed}): ${CONNECTIONS} clients × ${REQUESTS} changes while the PF resets, NACKs, goes silent and drops replies`, { timeout: 60_000 }, async () => {
    const faults = new SimFaults();
    const d = await startDirectDaemon(['sim'], { openVf: openVfWithFaults(faults), timeoutMs: 60, requestWaitMs: 100 });
    const r = random(seed);
    const admin = await RawConn.open(d.socket);
    const watch = await RawConn.open(d.socket);
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawConn.open(d.socket)));
    try {
      await waitReady(admin, 'sim');
      await watch.request({ id: 1, op: 'watch', vf: 'sim' });
      const sim = d.daemon.vfs.get('sim')!.handle.sim!;
      const sent: number[][] = conns.map(() => []);
      let clientsDone = false;
      const chaos = (async () => {
        while (!clientsDone) {
          const k = Math.floor(r() * 8);
          if (k === 0) {
            await sim.interfaceDown();
            await pause(r() * 30);
            await sim.interfaceUp();
          } else if (k === 1) {
            faults.pfSilent = true;
            await pause(r() * 100);
            faults.pfSilent = false;
          } else if (k === 2) await sim.setTrust(r() < 0.5);
          else if (k === 3) {
            // ixgbe does not tell the VF about an admin MAC: the admin reloads (a PF reset) to make it effective.
            await sim.setAdminMac(r() < 0.5 ? null : '02:00:00:00:00:aa');
            await sim.interfaceDown();
            await sim.interfaceUp();
          } else if (k === 4) faults.resetMidTransaction = { upAfterMs: Math.floor(r() * 40) };
          else if (k === 5) faults.injectPing(0x20000100, r() < 0.5 ? 'before-reply' : 'after-reply', { replyAfterVfWrites: r() < 0.5 });
          else if (k === 6) faults.pfLockFailures = 2;
          await pause(r() * 30);
        }
      })();
      await Promise.all(
        conns.map(async (c, ci) => {
          for (let i = 0; i < REQUESTS; i++) {
            const id = ci * 1000 + i;
            const k = Math.floor(r() * 5);
            const req =
              k === 0
                ? { op: 'set-mac', vf: 'sim', mac: `02:00:00:00:00:${(10 + Math.floor(r() * 5)).toString(16).padStart(2, '0')}` }
                : k === 1
                  ? { op: 'vlan', vf: 'sim', action: r() < 0.6 ? 'add' : 'del', vlan: 1 + Math.floor(r() * 6) }
                  : k === 2
                    ? { op: 'multicast', vf: 'sim', macs: r() < 0.5 ? [] : ['01:00:5e:00:00:01'] }
                    : k === 3
                      ? { op: 'mtu', vf: 'sim', mtu: r() < 0.5 ? 1500 : 9000 }
                      : { op: 'xcast', vf: 'sim', mode: ['none', 'multi', 'allmulti', 'promisc'][Math.floor(r() * 4)] };
            sent[ci]!.push(id);
            c.send({ id, ...req });
            // Half of them pipelined behind the previous one.
            if (r() < 0.5) await c.waitFor<Reply>((l) => l.id === id);
          }
          await c.waitFor<Reply>((l) => l.id === ci * 1000 + REQUESTS - 1);
        }),
      );
      clientsDone = true;
      await chaos;

      for (const [ci, c] of conns.entries()) {
        assert.deepEqual(
          c.lines.map((l) => (l as Reply).id),
          sent[ci],
          `connection ${ci}: one reply per request, in order`,
        );
        for (const l of c.lines as Reply[]) {
          if (l.ok) continue;
          const e = l.error!;
          assert.match(e.code, /^ERR_[A-Z_]+$/, JSON.stringify(l));
          assert.ok(!e.message.includes('\n') && e.message.length > 0, JSON.stringify(l));
          assert.ok(typeof e.hint === 'string' && e.hint.length > 0, `a fix: ${JSON.stringify(l)}`);
          assert.ok(Number.isInteger(e.exitCode) && e.exitCode > 1 && e.exitCode !== 70, `not a bug's exit code: ${JSON.stringify(l)}`);
        }
      }

      // The PF is back and answers (an admin MAC set by the chaos may stay: the daemon reports it as notApplied).
      faults.clear();
      await sim.setTrust(true);
      await sim.interfaceUp();
      // Settled: a mailbox request goes through (after any reset the trust change asked for), the VF is ready.
      for (let i = 0; ; i++) {
        await waitReady(admin, 'sim', 10_000 + i * 100);
        if ((await admin.request<Reply>({ id: 20_000 + i, op: 'link', vf: 'sim' })).ok) break;
      }
      await waitReady(admin, 'sim', 30_000);
      await agrees(admin, sim, 2, 'after the chaos');

      const from = watch.lines.length;
      await sim.interfaceDown();
      await sim.interfaceUp();
      await watch.waitFor<{ event?: { type: string } }>((l) => watch.lines.indexOf(l) >= from && l.event?.type === 'recovered');
      await waitReady(admin, 'sim');
      await agrees(admin, sim, 3, 'after one more PF reset');
      // Queued behind the status: any recovery still owed has run.
      await admin.request<Reply>({ id: 4, op: 'link', vf: 'sim' });
      const recovered = watch.lines.slice(from).filter((l) => (l as { event?: { type: string } }).event?.type === 'recovered');
      assert.equal(recovered.length, 1, `one recovered for one PF reset: ${JSON.stringify(watch.lines.slice(from))}`);

      assert.deepEqual(
        d.log().filter((l) => l.level === 'error' || l.event === 'request-failed'),
        [],
      );
    } finally {
      for (const c of [admin, watch, ...conns]) c.close();
      await d.stop();
    }
  });
}
