/**
 * A closed handle, from a library user's side: every call on `handle.vf` fails with the typed
 * DeviceGoneError ERR_CLOSED (exit 7) with a one-line message AND a hint saying what to do, whether the
 * call was made after close() or was still queued when close() ran. Found in the rig: the calls made
 * after close() (Vf's own check) had no hint, while the queued ones (the mailbox's) had one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeviceGoneError, IxgbevfError } from '../../src/errors.js';
import { openVf } from '../../src/open/open-vf.js';
import { resetAndNegotiate } from '../../src/vf/bring-up.js';

function assertClosedError(err: unknown, what: string): void {
  assert.ok(err instanceof IxgbevfError, `${what}: typed error, got ${String(err)}`);
  assert.ok(err instanceof DeviceGoneError, `${what}: DeviceGoneError`);
  assert.equal(err.code, 'ERR_CLOSED', what);
  assert.equal(err.exitCode, 7, what);
  assert.doesNotMatch(err.message, /\n/, `${what}: one-line message`);
  assert.equal(typeof err.hint, 'string', `${what}: has a hint`);
  assert.match(err.hint!, /openVf/, `${what}: the hint says to open the VF again`);
}

test('after close(), every call on the VF is ERR_CLOSED with a hint; close() twice is fine', async () => {
  const handle = await openVf('sim');
  const vf = handle.vf;
  await resetAndNegotiate(vf);
  await handle.close();
  await handle.close();
  const calls: Record<string, () => unknown> = {
    reset: () => vf.reset(),
    negotiateApi: () => vf.negotiateApi(),
    negotiateFeatures: () => vf.negotiateFeatures(0),
    setMac: () => vf.setMac('02:00:00:00:00:01'),
    setMulticast: () => vf.setMulticast([]),
    setVlan: () => vf.setVlan(5, true),
    setMtu: () => vf.setMtu(1500),
    setMaxFrame: () => vf.setMaxFrame(1518),
    setMacvlan: () => vf.setMacvlan(0, null),
    setXcastMode: () => vf.setXcastMode('multi'),
    getQueues: () => vf.getQueues(),
    getLinkState: () => vf.getLinkState(),
    checkLink: () => vf.checkLink(),
    link: () => vf.link(),
    checkPfEvents: () => vf.checkPfEvents(),
    resetAndNegotiate: () => resetAndNegotiate(vf),
  };
  for (const [name, call] of Object.entries(calls)) {
    let err: unknown = null;
    try {
      await call();
    } catch (e) {
      err = e;
    }
    assertClosedError(err, name);
  }
});

test('requests queued when close() runs fail with ERR_CLOSED and a hint', async () => {
  const handle = await openVf('sim');
  await resetAndNegotiate(handle.vf);
  const pending = Array.from({ length: 10 }, (_, i) => handle.vf.setVlan(10 + i, true));
  await handle.close();
  const settled = await Promise.allSettled(pending);
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  assert.ok(failed.length > 0, 'some were still queued');
  for (const f of failed) assertClosedError(f.reason, 'queued setVlan');
});
