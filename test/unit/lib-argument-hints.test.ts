/**
 * Every error a library user can meet on `handle.vf` for a value it passed, or for a message its VF's
 * family cannot have, carries a hint (what to do instead), as every other error does. Found probing the
 * library in the ixgbe rig: setVlan(4095), setMacvlan(300, …) and setXcastMode('promisc') on an 82599
 * had a code and a message but no hint. (The CLI and the daemon check their values first with their own
 * fixes; these are the library's own checks.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IxgbevfError } from '../../src/errors.js';
import { openVf } from '../../src/open/open-vf.js';
import { resetAndNegotiate } from '../../src/vf/bring-up.js';
import type { VfApi } from '../../src/vf/types.js';

type Call = [string, (vf: VfApi) => unknown];

async function assertHinted(vf: VfApi, [name, call]: Call): Promise<void> {
  let err: unknown = null;
  try {
    await call(vf);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof IxgbevfError, `${name}: a typed error, got ${String(err)}`);
  assert.match(err.code, /^ERR_[A-Z_]+$/, name);
  assert.doesNotMatch(err.message, /\n/, `${name}: one line`);
  assert.equal(typeof err.hint, 'string', `${name} (${err.code}: ${err.message}) has a hint`);
  assert.ok(err.hint!.length > 0, name);
}

const anyFamily: Call[] = [
  ['setVlan(4095)', (vf) => vf.setVlan(4095, true)],
  ['setVlan(-1)', (vf) => vf.setVlan(-1, true)],
  ['setVlan(1.5)', (vf) => vf.setVlan(1.5, true)],
  ['setVlan(5, "yes")', (vf) => vf.setVlan(5, 'yes' as unknown as boolean)],
  ['setMacvlan(300)', (vf) => vf.setMacvlan(300, '02:00:00:00:00:02')],
  ['setMacvlan(1, null)', (vf) => vf.setMacvlan(1, null)],
  ['setXcastMode("bogus")', (vf) => vf.setXcastMode('bogus' as never)],
  ['setMulticast("x")', (vf) => vf.setMulticast('x' as unknown as string[])],
  ['setMulticast(300 groups)', (vf) => vf.setMulticast(Array.from({ length: 300 }, () => '01:00:5e:00:00:01'))],
  ['setMtu(20000)', (vf) => vf.setMtu(20_000)],
  ['setMtu(10)', (vf) => vf.setMtu(10)],
  ['setMaxFrame(50)', (vf) => vf.setMaxFrame(50)],
  ['setMac("zz")', (vf) => vf.setMac('zz')],
];

test('82599 (sim): every bad value and every message the model refuses has a hint', async () => {
  const handle = await openVf('sim');
  try {
    await resetAndNegotiate(handle.vf);
    for (const c of [
      ...anyFamily,
      ['setXcastMode("promisc") on 82599', (vf) => vf.setXcastMode('promisc')],
      ['negotiateFeatures(-1)', (vf) => vf.negotiateFeatures(-1)],
    ] as Call[]) {
      await assertHinted(handle.vf, c);
    }
  } finally {
    await handle.close();
  }
});

test('82576 (sim): the same, and ixgbe-only messages on igb have a hint', async () => {
  const handle = await openVf('sim:family=82576');
  try {
    await resetAndNegotiate(handle.vf);
    for (const c of [
      ...anyFamily,
      ['setXcastMode("promisc") on igb', (vf) => vf.setXcastMode('promisc')],
      ['getQueues on igb', (vf) => vf.getQueues()],
      ['getReta on igb', (vf) => vf.getReta()],
      ['setMacvlan on igb', (vf) => vf.setMacvlan(1, '02:00:00:00:00:02')],
    ] as Call[]) {
      await assertHinted(handle.vf, c);
    }
  } finally {
    await handle.close();
  }
});
