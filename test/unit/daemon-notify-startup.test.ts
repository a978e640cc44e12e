/**
 * A stop signal while the daemon is still starting (its control socket up, a VF still opening: opened
 * late by test/helpers/slow-open.mjs, a preload of the real binary) sends STOPPING=1 to $NOTIFY_SOCKET at
 * once, from the daemon's pid, and nothing after it claims readiness: no READY=1, no plain STATUS=. Both
 * paths: the daemon's own signal handling (SIGHUP, SIGUSR2: it stops, then ends by the signal) and the
 * CLI's (SIGTERM, SIGINT: run() is aborted, exit 0). Before, the notifier was only made after `started`,
 * so SIGHUP sent nothing, and SIGTERM's STOPPING=1 waited for every VF to be opened.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';
import { NotifyReceiver, type Datagram } from '../helpers/daemon-systemd.js';

const SLOW_OPEN = new URL('../helpers/slow-open.mjs', import.meta.url).href;
const SLOW_VF = 'sim:mac=02:00:00:00:00:02';
/** How late the second VF opens: the signal lands in this window (sent as soon as the open begins). */
const SLOW_OPEN_MS = 2000;

for (const [signal, exit] of [
  ['SIGHUP', { signal: 'SIGHUP', code: null, reason: 'SIGHUP' }],
  ['SIGUSR2', { signal: 'SIGUSR2', code: null, reason: 'SIGUSR2' }],
  ['SIGTERM', { signal: null, code: 0, reason: 'signal' }],
  ['SIGINT', { signal: null, code: 0, reason: 'signal' }],
] as const) {
  test(`${signal} while VFs are still opening: STOPPING=1 at once, never READY=1 after it`, { timeout: 60_000 }, async (t) => {
    const dir = tempDir();
    const receiver = await NotifyReceiver.bind(path.join(dir, 'notify.sock'));
    t.after(() => receiver.close());
    const child = new DaemonChild(['sim', SLOW_VF, '--socket', path.join(dir, 'd.sock')], {
      preload: [SLOW_OPEN],
      env: { NOTIFY_SOCKET: receiver.socket, IXGBEVF_TEST_SLOW_OPEN: JSON.stringify({ [SLOW_VF]: SLOW_OPEN_MS }) },
    });
    t.after(() => void (child.alive && child.kill('SIGKILL')));
    await child.waitLog((l) => l.event === 'test-slow-open' && l.vf === SLOW_VF);
    assert.equal(child.logs.some((l) => l.event === 'started'), false, 'still starting');
    assert.deepEqual(receiver.received, [], 'nothing sent while starting');
    child.kill(signal);
    const ended = await child.exited;
    assert.deepEqual({ signal: ended.signal, code: ended.code }, { signal: exit.signal, code: exit.code }, child.stderr);
    assert.equal(child.logs.find((l) => l.event === 'stopped')?.reason, exit.reason);

    // The datagrams may still be on their way through the receiver: wait a bounded time for STOPPING=1.
    const deadline = Date.now() + 10_000;
    const stopping = await receiver.waitFor((m) => m.data.split('\n').includes('STOPPING=1'), () => Date.now() < deadline, 'STOPPING=1');
    assert.equal(stopping.pid, child.pid, 'from the daemon\'s pid (NotifyAccess=main)');
    const all: Datagram[] = receiver.received;
    assert.equal(all[0], stopping, `STOPPING=1 is the first thing said: ${JSON.stringify(all)}`);
    assert.equal(stopping.data, 'STOPPING=1', 'said by the signal\'s handler, before the daemon got to stop');
    for (const m of all) {
      assert.ok(m.data.split('\n')[0] === 'STOPPING=1', `after STOPPING=1 only STOPPING=1 (with the stopping STATUS=): ${JSON.stringify(all)}`);
      assert.doesNotMatch(m.data, /READY=1/);
    }
  });
}
