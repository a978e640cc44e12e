/**
 * What the PF refused at the last re-apply, as the daemon reports it: `status`/`info` carry `notApplied`
 * (the CLI's `info` prints a line per item) and the `ixgbevf_vf_applied` gauge is 0 — until an accepted
 * request for that item settles it. Before, `info` said only "held by the daemon, re-applied after every
 * PF reset" while the VF ran with the admin's MAC, and the gauge stayed 0 after a later set-mac succeeded
 * (an alert that never cleared until the next PF reset).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { startDaemon, tempDir } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';

function appliedGauge(metricsSocket: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: metricsSocket, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(/^ixgbevf_vf_applied\{vf="sim"\} (\S+)$/m.exec(body)?.[1]));
    });
    req.on('error', reject);
  });
}

test('a MAC the PF refuses at the re-apply shows as not applied (info, status, gauge 0) until a set-mac of it succeeds; another item\'s change does not settle it', async () => {
  const dir = tempDir();
  const metrics = path.join(dir, 'metrics.sock');
  const d = await startDaemon(['sim', '--metrics', metrics], { dir });
  const cli = (...args: string[]) => runCli([...args, '--socket', d.socket]);
  const info = async () => JSON.parse((await cli('info', 'sim', '--json')).stdout) as { notApplied: { item: string; code: string }[]; desired: { mac: string } };
  try {
    assert.equal((await cli('set-mac', 'sim', '02:00:00:00:00:31')).code, 0);
    assert.deepEqual((await info()).notApplied, []);
    assert.equal(await appliedGauge(metrics), '1');

    // The admin sets a MAC on the PF, then the PF resets: the re-apply of the desired MAC is refused.
    assert.equal((await cli('sim', 'admin-mac', '02:00:00:00:00:aa')).code, 0);
    const from = d.log().length;
    assert.equal((await cli('sim', 'pf-reset')).code, 0);
    for (let i = 0; i < 200 && !/recovered vf=sim/.test(d.log().slice(from)); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(d.log().slice(from), /reapply-failed vf=sim item="mac 02:00:00:00:00:31" code=ERR_PF_NACK/);

    const after = await info();
    assert.equal(after.desired.mac, '02:00:00:00:00:31', 'the desired state is kept');
    assert.deepEqual(after.notApplied.map((f) => [f.item, f.code]), [['mac 02:00:00:00:00:31', 'ERR_PF_NACK']]);
    const human = await cli('info', 'sim');
    assert.match(human.stdout, /^not applied {3}mac 02:00:00:00:00:31: refused by the PF at the last re-apply \(the PF refused MAC/m);
    assert.equal(await appliedGauge(metrics), '0');

    // Another item's accepted change does not settle the MAC.
    assert.equal((await cli('mtu', 'sim', '1500')).code, 0);
    assert.equal((await info()).notApplied.length, 1);
    assert.equal(await appliedGauge(metrics), '0');

    // Still refused (not trusted): nothing settles.
    assert.equal((await cli('set-mac', 'sim', '02:00:00:00:00:31')).code, 5);
    assert.equal((await info()).notApplied.length, 1);

    // Trusted, the same set-mac is accepted: settled.
    assert.equal((await cli('sim', 'trust-on')).code, 0);
    assert.equal((await cli('set-mac', 'sim', '02:00:00:00:00:31')).code, 0);
    assert.deepEqual((await info()).notApplied, []);
    assert.doesNotMatch((await cli('info', 'sim')).stdout, /not applied/);
    assert.equal(await appliedGauge(metrics), '1');
  } finally {
    await d.stop();
  }
});

test('direct (no daemon): info has notApplied null and prints no such line', async () => {
  const r = await runCli(['info', 'sim', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { notApplied: unknown }).notApplied, null);
});
