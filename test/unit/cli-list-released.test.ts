/**
 * `list` with a daemon that released a VF (rmmod igb, sriov_numvfs=0, an unbind under it): its summary line
 * said `daemon pid N on <socket> owns 0000:01:10.0` after the VF was gone (found in the igb rig with rmmod
 * igb). It now names the VFs it drives and, apart, the released ones. The JSON keeps every VF with its state.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { fakeDaemon, type FakeDaemon } from '../helpers/fake-daemon.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

function statusDaemon(vfs: { id: string; state: string }[]): Promise<FakeDaemon> {
  return fakeDaemon((req, send, file) => send({ id: req.id, ok: true, result: { pid: 4242, socket: file, vfs } }), 'ixgbevf-list-rel-');
}

test('list: a released VF is not among those the daemon owns; it is named as released, with what to do', async () => {
  const { spec, vf0, vf1 } = sriov82599();
  const sys = new FakeSys(spec);
  const d = await statusDaemon([{ id: vf0, state: 'released' }, { id: vf1, state: 'ready' }]);
  try {
    const r = await runCli(['list', '--socket', d.path], { sysfs: sys.opts });
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('daemon pid 4242'));
    assert.equal(line, `daemon pid 4242 on ${d.path} owns ${vf1}; released ${vf0} (the kernel took it back: once it is on vfio-pci again, restart the daemon to take it: systemctl restart ixgbevf)`);
    const j = await runCli(['list', '--socket', d.path, '--json'], { sysfs: sys.opts });
    assert.deepEqual((JSON.parse(j.stdout) as { daemon: { vfs: unknown } }).daemon.vfs, [{ id: vf0, state: 'released' }, { id: vf1, state: 'ready' }]);
  } finally {
    await d.close();
    sys.cleanup();
  }
});

test('list: a daemon whose only VF is released owns nothing', async () => {
  const { spec, vf0 } = sriov82599();
  const sys = new FakeSys(spec);
  const d = await statusDaemon([{ id: vf0, state: 'released' }]);
  try {
    const r = await runCli(['list', '--socket', d.path], { sysfs: sys.opts });
    assert.match(r.stdout, new RegExp(`^daemon pid 4242 on .* owns nothing; released ${vf0} \\(`, 'm'));
  } finally {
    await d.close();
    sys.cleanup();
  }
});
