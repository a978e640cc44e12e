/**
 * `watch <vf>` through a daemon that then releases the VF (the kernel asked for it back: `echo <vf> >
 * .../vfio-pci/unbind`, a sriov_numvfs change; or the device went away). No event for that VF will come
 * again: the daemon never takes a released VF back. Found in the igb rig: the watch printed `released` and
 * then hung for ever, also after the VF was bound to vfio-pci again. It ends as the direct watch does:
 * `released` then exit 0, or exit 7 (ERR_DEVICE_REMOVED) when the device is gone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnCliGuarded } from '../helpers/cli-proc.js';
import { fakeDaemon, type FakeDaemon } from '../helpers/fake-daemon.js';

const VF = '0000:03:10.0';

/** A daemon that owns VF, accepts a watch, and then sends `events` (each after the watch was accepted). */
function releasingDaemon(events: Record<string, unknown>[]): Promise<FakeDaemon> {
  return fakeDaemon((req, send, file) => {
    if (req.op === 'status') {
      send({ id: req.id, ok: true, result: { pid: 1, socket: file, vfs: [{ id: VF, kind: 'vfio', family: '82576', state: 'ready' }] } });
    } else if (req.op === 'watch') {
      send({ id: req.id, ok: true, result: { watching: VF } });
      for (const event of events) send({ id: req.id, event: { vf: VF, time: new Date().toISOString(), ...event } });
    } else {
      send({ id: req.id, ok: false, error: { code: 'ERR_UNKNOWN_OP', message: req.op, exitCode: 2 } });
    }
  }, 'ixgbevf-watch-rel-');
}

test('watch through the daemon ends after the daemon released the VF at the kernel\'s request: the released line, exit 0', async () => {
  const d = await releasingDaemon([
    { type: 'link', up: true, speedMbps: 1000 },
    { type: 'released', reason: 'the kernel asked for the device back (unbind or sriov_numvfs change)' },
  ]);
  try {
    for (const json of [[], ['--json']]) {
      const r = await spawnCliGuarded(['watch', VF, '--socket', d.path, ...json], {}, 20_000).done;
      assert.equal(r.hung, false, `the watch ended by itself: ${r.stdout}\n${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /released/);
      if (json.length > 0) {
        const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string };
        assert.equal(last.type, 'released');
        assert.equal((JSON.parse(r.stdout.split('\n')[0]!) as { type: string }).type, 'watching', 'the watching line comes first');
      } else assert.match(r.stderr, /no more events come for 0000:03:10\.0: the daemon released it/);
    }
  } finally {
    await d.close();
  }
});

test('watch through the daemon whose VF is gone (device removed): exit 7 ERR_DEVICE_REMOVED with a fix that is a command', async () => {
  const d = await releasingDaemon([{ type: 'released', reason: 'device gone: reads return all ones' }]);
  try {
    const r = await spawnCliGuarded(['watch', VF, '--socket', d.path], {}, 20_000).done;
    assert.equal(r.hung, false, `the watch ended by itself: ${r.stdout}\n${r.stderr}`);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /ixgbevf: error: 0000:03:10\.0 is gone: the daemon released it \(device gone: reads return all ones\)/);
    assert.match(r.stderr, /fix: ixgbevf list/);
    const j = await spawnCliGuarded(['watch', VF, '--socket', d.path, '--json'], {}, 20_000).done;
    assert.equal(j.code, 7);
    const last = JSON.parse(j.stdout.trim().split('\n').at(-1)!) as { error: { code: string } };
    assert.equal(last.error.code, 'ERR_DEVICE_REMOVED');
  } finally {
    await d.close();
  }
});

test('a released event of another VF does not end the watch (the daemon ends it: ERR_DAEMON_CLOSED, exit 3)', async () => {
  const d = await releasingDaemon([{ type: 'released', vf: '0000:03:10.2', reason: 'the kernel asked for the device back' }]);
  try {
    const p = spawnCliGuarded(['watch', VF, '--socket', d.path], {}, 20_000);
    // Once the events are out, the daemon goes away: only that ends the watch.
    await p.waitFor(/released/);
    await d.close();
    const r = await p.done;
    assert.equal(r.hung, false);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /ERR_DAEMON_CLOSED|closed the watch/);
  } finally {
    await d.close().catch(() => undefined);
  }
});
