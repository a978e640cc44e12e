/**
 * Property tests over the simulated Linux PF: random interleavings of VF requests, PF pings, PF resets
 * (interface down/up, mid-transaction), CTS loss (MDD event) and mailbox lock contention. Properties:
 * every call settles (no hang), a successful call's reply carries the request's message ID, and after a
 * final reset + re-apply the PF-side state equals what the VF asked for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IxgbevfError, PfNackError } from '../../src/errors.js';
import { VLAN_ID_MAX } from '../../src/hw/messages.js';
import type { LinuxIxgbePf } from '../../src/sim/index.js';
import { parseMac } from '../../src/vf/mac.js';
import { multicastHash } from '../../src/vf/multicast.js';
import type { XcastModeName } from '../../src/vf/types.js';
import { vfRig, type VfRig } from '../helpers/mbx-vf.js';

type Step =
  | { t: 'mac'; mac: string }
  | { t: 'vlan'; id: number; on: boolean }
  | { t: 'mtu'; mtu: number }
  | { t: 'mc'; groups: string[] }
  | { t: 'xcast'; mode: XcastModeName }
  | { t: 'queues' }
  | { t: 'ping'; cts: boolean; when: 'before-reply' | 'after-reply' }
  | { t: 'link-flap' }
  | { t: 'pf-down-up' }
  | { t: 'reset-mid'; upAfterMs: number }
  | { t: 'mdd' }
  | { t: 'vf-lock-contention'; n: number }
  | { t: 'pf-lock-failure' }
  | { t: 'poll' };

const hex2 = fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, '0'));
const unicast = fc.tuple(hex2, hex2, hex2, hex2, hex2).map((b) => `02:${b.join(':')}`);
const multicast = fc.tuple(hex2, hex2).map(([a, b]) => `01:00:5e:00:${a}:${b}`);

const step: fc.Arbitrary<Step> = fc.oneof(
  unicast.map((mac) => ({ t: 'mac' as const, mac })),
  // The API's range (4095 is refused with ERR_INVALID_VLAN before the mailbox; a desired state holding it
  // could never be re-applied, which the final check would count as a failure of the protocol).
  fc.record({ t: fc.constant('vlan' as const), id: fc.integer({ min: 1, max: VLAN_ID_MAX }), on: fc.boolean() }),
  fc.record({ t: fc.constant('mtu' as const), mtu: fc.integer({ min: 68, max: 9710 }) }),
  fc.record({ t: fc.constant('mc' as const), groups: fc.array(multicast, { maxLength: 30 }) }),
  fc.record({ t: fc.constant('xcast' as const), mode: fc.constantFrom<XcastModeName>('none', 'multi', 'allmulti') }),
  fc.constant({ t: 'queues' as const }),
  fc.record({ t: fc.constant('ping' as const), cts: fc.boolean(), when: fc.constantFrom('before-reply' as const, 'after-reply' as const) }),
  fc.constant({ t: 'link-flap' as const }),
  fc.constant({ t: 'pf-down-up' as const }),
  fc.record({ t: fc.constant('reset-mid' as const), upAfterMs: fc.integer({ min: 1, max: 50 }) }),
  fc.constant({ t: 'mdd' as const }),
  fc.record({ t: fc.constant('vf-lock-contention' as const), n: fc.integer({ min: 1, max: 5 }) }),
  fc.constant({ t: 'pf-lock-failure' as const }),
  fc.constant({ t: 'poll' as const }),
);

interface Desired {
  mac: string | null;
  vlans: Set<number>;
  mtu: number | null;
  mc: string[];
  xcast: XcastModeName | null;
}

/**
 * Settles or fails the test: a call that never settles (in real time) is a hang. This timer guard works
 * only while the event loop still reaches its timers phase; a runaway microtask loop starves it, so every
 * rig also has a timer-free watchdog (`trafficLimit`, checked at each mailbox message).
 */
async function noHang<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what}`)), 20000);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a VF call; typed mailbox errors are fine (the PF moved under us), anything else fails. */
async function attempt(rig: VfRig, what: string, fn: () => Promise<unknown>): Promise<boolean> {
  const txBefore = rig.tx.length;
  if (process.env["VF_PROPERTY_DEBUG"]) console.error(new Date().toISOString(), what);
  try {
    await noHang(fn(), what);
  } catch (err) {
    if (err instanceof IxgbevfError) return false;
    throw err;
  }
  // Property: the last reply read belongs to the last request written (same message ID, ACK).
  if (rig.tx.length > txBefore) {
    const req = rig.tx[rig.tx.length - 1]!;
    const rep = rig.rx[rig.rx.length - 1]!;
    assert.equal(rep[0]! & 0xffff, req[0]! & 0xffff, `${what}: reply ${rep[0]!.toString(16)} answers request ${req[0]!.toString(16)}`);
    assert.ok((rep[0]! & 0x80000000) !== 0 || (rep[0]! & 0x40000000) !== 0);
  }
  return true;
}

async function recover(rig: VfRig, desired: Desired): Promise<void> {
  const pf = rig.sim.pf as LinuxIxgbePf;
  for (let i = 0; i < 5; i += 1) {
    try {
      await noHang(rig.vf.reset(), 'reset');
      await noHang(rig.vf.negotiateApi(), 'negotiate');
      if (desired.mac !== null) await noHang(rig.vf.setMac(desired.mac), 'setMac');
      for (const id of desired.vlans) await noHang(rig.vf.setVlan(id, true), 'setVlan');
      if (desired.mtu !== null) await noHang(rig.vf.setMtu(desired.mtu), 'setMtu');
      await noHang(rig.vf.setMulticast(desired.mc), 'setMulticast');
      if (desired.xcast !== null) await noHang(rig.vf.setXcastMode(desired.xcast), 'setXcastMode');
      return;
    } catch (err) {
      if (!(err instanceof IxgbevfError) || err instanceof PfNackError) throw err;
      await noHang(pf.idle(), 'pf idle');
      await rig.settle();
    }
  }
  throw new Error('could not recover in 5 attempts');
}

describe('vf property: random PF events never break the protocol', () => {
  it('no hang, replies match requests, final re-apply converges to the desired state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), fc.boolean(), async (steps, interrupts) => {
        // Short budgets (virtual time) keep timeout paths cheap; the PF answers within a few ticks.
        const rig = vfRig({ spec: 'sim:family=x540,trust=on,mtu=9000' }, { interrupts, timeoutMs: 40, resetTimeoutMs: 40 });
        const pf = rig.sim.pf as LinuxIxgbePf;
        // Timer-free watchdog: a run takes a few hundred messages; a ping-pong takes unbounded many.
        rig.trafficLimit = 20_000;
        const desired: Desired = { mac: null, vlans: new Set(), mtu: null, mc: [], xcast: null };
        try {
          await recover(rig, desired);
          for (const s of steps) {
            if (process.env["VF_PROPERTY_DEBUG"]) console.error(new Date().toISOString(), "step", JSON.stringify(s));
            switch (s.t) {
              case 'mac':
                desired.mac = s.mac;
                await attempt(rig, 'setMac', () => rig.vf.setMac(s.mac));
                break;
              case 'vlan':
                if (s.on) desired.vlans.add(s.id);
                else desired.vlans.delete(s.id);
                await attempt(rig, 'setVlan', () => rig.vf.setVlan(s.id, s.on));
                break;
              case 'mtu':
                desired.mtu = s.mtu;
                await attempt(rig, 'setMtu', () => rig.vf.setMtu(s.mtu));
                break;
              case 'mc':
                desired.mc = s.groups;
                await attempt(rig, 'setMulticast', () => rig.vf.setMulticast(s.groups));
                break;
              case 'xcast':
                desired.xcast = s.mode;
                await attempt(rig, 'setXcastMode', () => rig.vf.setXcastMode(s.mode));
                break;
              case 'queues':
                await attempt(rig, 'getQueues', async () => assert.equal((await rig.vf.getQueues()).txQueues, 4));
                break;
              case 'ping':
                rig.sim.faults.injectPing(s.cts ? 0x20000100 : 0x00000100, s.when);
                break;
              case 'link-flap':
                await noHang(pf.setLinkUp(false), 'link down');
                await noHang(pf.setLinkUp(true), 'link up');
                break;
              case 'pf-down-up':
                await noHang(pf.interfaceDown(), 'PF down');
                await rig.settle();
                await attempt(rig, 'reset while PF down', () => rig.vf.reset());
                await noHang(pf.interfaceUp(), 'PF up');
                break;
              case 'reset-mid':
                rig.sim.faults.resetMidTransaction = { upAfterMs: s.upAfterMs };
                break;
              case 'mdd':
                await noHang(pf.mddEvent(), 'MDD event');
                break;
              case 'vf-lock-contention':
                rig.sim.faults.pfHoldsLockOnVfLock = s.n;
                break;
              case 'pf-lock-failure':
                rig.sim.faults.pfLockFailures = 1;
                break;
              case 'poll':
                await attempt(rig, 'checkPfEvents', () => rig.vf.checkPfEvents());
                break;
            }
          }
          // Final: faults off, PF up, reset + re-apply; the PF holds exactly what the VF asked for.
          rig.sim.faults.clear();
          await rig.clock.sleep(100);
          await noHang(pf.idle(), 'pf idle');
          if (!pf.up) await noHang(pf.interfaceUp(), 'PF up');
          await rig.settle();
          await recover(rig, desired);
          const st = pf.state;
          if (desired.mac !== null) assert.equal(st.mac, desired.mac);
          assert.deepEqual([...st.vlans].filter((v) => v !== 0).sort((a, b) => a - b), [...desired.vlans].sort((a, b) => a - b));
          if (desired.mtu !== null) assert.equal(st.maxFrame, desired.mtu + 18);
          const hashes = desired.mc.map((g) => multicastHash(parseMac(g), rig.vf.lastReset!.mcFilterType));
          assert.deepEqual([...st.multicastHashes].sort((a, b) => a - b), hashes.sort((a, b) => a - b));
          if (desired.xcast !== null) assert.equal(st.xcastMode, { none: 0, multi: 1, allmulti: 2, promisc: 3 }[desired.xcast]);
          assert.equal(st.cts, true);
          assert.equal(rig.vf.needsReset, false);
        } finally {
          // A failed run must not leave a VF or PF loop running while fast-check shrinks.
          rig.vf.close();
          pf.autoRun = false;
          rig.sim.faults.pfSilent = true;
        }
      }),
      {
        numRuns: Number(process.env['VF_PROPERTY_RUNS'] ?? 25),
        ...(process.env['VF_PROPERTY_SEED'] ? { seed: Number(process.env['VF_PROPERTY_SEED']) } : {}),
        ...(process.env['VF_PROPERTY_PATH'] ? { path: process.env['VF_PROPERTY_PATH'] } : {}),
      },
    );
  });
});
