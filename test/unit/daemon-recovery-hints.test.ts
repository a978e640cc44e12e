/**
 * The daemon's recovery errors carry the same fix as the direct path's: a command for this VF's PF
 * (explainError), not the VF layer's raw remedy. Found in the igb rig with the PF down under a daemon:
 * `ixgbevf info VF0` printed `fix: on the host: \`ip link set eth0 up\`` (not a command; the direct command
 * says `fix: ip link set eth0 up`), and the waiting-for-pf events said "is the PF driver loaded and its
 * interface up? …" where the direct watch names `ixgbevf doctor <vf>`.
 * A simulated VF dressed as a host VF (kind vfio, PF eth9) stands in for the real one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawConn, startDaemon, type Reply } from '../helpers/cli-daemon.js';
import { testOpenVf } from '../helpers/cli-sim.js';

const asHostVf = async (spec: string, opts?: Parameters<typeof testOpenVf>[1]) => ({ ...(await testOpenVf(spec, opts)), kind: 'vfio' as const, pfName: 'eth9', vfIndex: 0 });

test('PF down under the daemon: the waiting-for-pf hint and a request\'s error name `ip link set <pf> up`, the direct command\'s fix', async () => {
  const d = await startDaemon(['sim:pf=down'], { io: { openVf: asHostVf as typeof testOpenVf } });
  const conn = await RawConn.open(d.socket);
  try {
    assert.equal((await conn.request<Reply>({ id: 1, op: 'watch' })).ok, true);
    const waiting = await conn.waitFor<{ id: number; event?: { type: string; code?: string; hint?: string } }>((l) => l.id === 1 && l.event?.type === 'waiting-for-pf' && l.event.code === 'ERR_PF_IN_RESET');
    assert.equal(waiting.event!.hint, 'ip link set eth9 up');
    const info = await conn.request<Reply>({ id: 2, op: 'info', vf: 'sim:pf=down' });
    assert.equal(info.ok, false);
    assert.equal(info.error!.code, 'ERR_PF_IN_RESET');
    assert.equal(info.error!.hint, 'ip link set eth9 up');
    assert.match(d.log(), /waiting-for-pf vf="sim:pf=down" code=ERR_PF_IN_RESET reason="the PF keeps sim:pf=down in reset \(RSTI never cleared\): is the PF interface eth9 down\?" hint="ip link set eth9 up"/);
  } finally {
    conn.close();
    await d.stop();
  }
});
