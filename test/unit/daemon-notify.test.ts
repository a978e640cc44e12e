/**
 * ServiceNotifier: READY=1 is never lost. A notification the manager refuses because its queue is full
 * (EAGAIN, as in a busy start-up of many VFs) is tried again until it goes out; one that cannot go out at
 * all (the socket is gone) is given up after one warning, with no retry loop left running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/log.js';
import { NOTIFY_RETRY_MS, ServiceNotifier } from '../../src/daemon/notify.js';
import type { OwnedVf } from '../../src/daemon/owned.js';

function vf(id: string, state: string): OwnedVf {
  return { id, state, lastError: null } as unknown as OwnedVf;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`sendmsg ${code}`), { code });
}

const until = async (pred: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, NOTIFY_RETRY_MS / 4));
  assert.ok(pred(), what);
};

test('READY=1 refused with EAGAIN (queue full) is sent again until it goes out, with the latest STATUS=', async () => {
  const vfs = [vf('a', 'ready'), vf('b', 'ready')];
  const sent: string[] = [];
  let refusals = 3;
  const n = new ServiceNotifier(() => vfs, (m) => {
    if (refusals > 0) {
      refusals -= 1;
      throw errno('EAGAIN');
    }
    sent.push(m);
    return true;
  }, silentLogger);
  n.onEvent({ type: 'recovered', vf: 'a' } as never);
  n.onEvent({ type: 'recovered', vf: 'b' } as never);
  await until(() => sent.some((m) => m.split('\n').includes('READY=1')), `READY=1 got through after the refusals: ${JSON.stringify(sent)}`);
  assert.equal(sent.filter((m) => m.includes('READY=1')).length, 1, 'once');
  assert.match(sent.find((m) => m.includes('READY=1'))!, /STATUS=2 VFs: 2 ready/);
  n.stopping();
});

test('a notify socket that is gone (ENOENT) is given up: one try per change, no retry loop', async () => {
  const vfs = [vf('a', 'ready')];
  let calls = 0;
  const n = new ServiceNotifier(() => vfs, () => {
    calls += 1;
    throw errno('ENOENT');
  }, silentLogger);
  n.onEvent({ type: 'recovered', vf: 'a' } as never);
  assert.equal(calls, 1);
  await new Promise((r) => setTimeout(r, NOTIFY_RETRY_MS * 3));
  assert.equal(calls, 1, 'no retries of a send that cannot succeed');
  n.update();
  assert.equal(calls, 1, 'READY=1 and this STATUS= count as done: nothing new to send');
});

test('after stopping() nothing but its STOPPING=1: a VF that settles while the daemon releases them sends no READY=1', () => {
  const vfs = [vf('a', 'starting'), vf('b', 'starting')];
  const sent: string[] = [];
  const n = new ServiceNotifier(() => vfs, (m) => (sent.push(m), true), silentLogger);
  n.update();
  assert.deepEqual(sent, ['STATUS=2 VFs: 0 ready, 0 recovering, 0 failed, 2 starting']);
  n.stopping();
  assert.match(sent.at(-1)!, /^STOPPING=1\nSTATUS=stopping: 2 VFs: /);
  // The daemon closes the VFs (released) while a bring-up ends: every VF now counts as settled.
  (vfs[0] as { state: string }).state = 'released';
  n.onEvent({ type: 'recovered', vf: 'b' } as never);
  n.update();
  assert.equal(sent.length, 2, `nothing after STOPPING=1: ${JSON.stringify(sent)}`);
});

test('muted (the daemon still starting): nothing sent, events not counted, but stopping() says STOPPING=1 (once); unmute() then update() reports', () => {
  const vfs = [vf('a', 'ready')];
  const sent: string[] = [];
  const muted = new ServiceNotifier(() => vfs, (m) => (sent.push(m), true), silentLogger, { muted: true });
  muted.update();
  muted.onEvent({ type: 'recovered', vf: 'a' } as never);
  assert.deepEqual(sent, [], 'nothing while muted');
  muted.stopping();
  muted.stopping();
  assert.deepEqual(sent, ['STOPPING=1\nSTATUS=stopping: 1 VF: 1 ready, 0 recovering, 0 failed'], 'STOPPING=1 while muted, once');

  const said: string[] = [];
  const n = new ServiceNotifier(() => vfs, (m) => (said.push(m), true), silentLogger, { muted: true });
  n.onEvent({ type: 'recovered', vf: 'a' } as never);
  n.unmute();
  n.update();
  // As when the notifier was made at `started`: an event before it does not count (none settles a VF then).
  assert.deepEqual(said, ['STATUS=1 VF: 1 ready, 0 recovering, 0 failed']);
  n.onEvent({ type: 'recovered', vf: 'a' } as never);
  assert.deepEqual(said, ['STATUS=1 VF: 1 ready, 0 recovering, 0 failed', 'READY=1']);
});
