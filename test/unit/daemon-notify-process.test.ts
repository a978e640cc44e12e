/**
 * notifyProcessStopping(): the process begins to stop on a signal before the daemon has its notifier
 * (src/daemon/signals.ts and src/cli/main.ts call it). STOPPING=1 goes out once, and no notifier of the
 * process sends READY=1 or STATUS= after it, even one made later (the daemon still finishing its start).
 * A file of its own: the latch is process-wide and stays set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../src/daemon/log.js';
import { notifyProcessStopping, ServiceNotifier } from '../../src/daemon/notify.js';
import type { OwnedVf } from '../../src/daemon/owned.js';

test('STOPPING=1 once, then no READY=1 or STATUS= from any notifier; its own stopping() still says STOPPING=1', () => {
  const sent: string[] = [];
  const notify = (m: string): boolean => (sent.push(m), true);
  notifyProcessStopping(notify);
  notifyProcessStopping(notify);
  assert.deepEqual(sent, ['STOPPING=1'], 'once');
  const vfs = [{ id: 'a', state: 'ready', lastError: null } as unknown as OwnedVf];
  const n = new ServiceNotifier(() => vfs, notify, silentLogger);
  n.update();
  n.onEvent({ type: 'recovered', vf: 'a' } as never);
  assert.deepEqual(sent, ['STOPPING=1'], 'no READY=1, no STATUS= after it');
  n.stopping();
  assert.match(sent[1]!, /^STOPPING=1\nSTATUS=stopping: 1 VF: 1 ready/);
});
