/** list / doctor / bind / unbind over fake /sys trees and a fake `ip` on PATH. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { startDaemon } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';
import { spawnCli } from '../helpers/cli-proc.js';
import { testOpenVf } from '../helpers/cli-sim.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const ipJson = path.join(fixtures, 'ip-link-82599-2vfs.json');
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

function setup(over: Parameters<typeof sriov82599>[0] = {}): FakeSys {
  const f = new FakeSys(sriov82599(over).spec);
  fakes.push(f);
  return f;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${path.join(fixtures, 'bin')}:${process.env.PATH}`,
    IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock',
    IXGBEVF_FAKE_IP_JSON: ipJson,
    IXGBEVF_FAKE_IP_IFNAME: 'enp1s0f0',
    ...extra,
  };
}

test('list: PF, its netdev state, VFs with family, driver, group and the PF view from ip -j', async () => {
  const f = setup();
  const r = await runCli(['list'], { env: env(), sysfs: f.opts });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /PF 0000:01:00\.0 {2}driver ixgbe {2}enp1s0f0 up/);
  assert.match(r.stdout, /0 +0000:01:10\.0 +82599 +vfio-pci +20 +02:00:00:00:00:01 +off +on +auto/);
  assert.match(r.stdout, /1 +0000:01:10\.2 +82599 +ixgbevf +21 +00:00:00:00:00:00 +on +off +disable/);
  const j = await runCli(['list', '--json'], { env: env(), sysfs: f.opts });
  const doc = JSON.parse(j.stdout) as { pfs: { vfs: { address: string; family: string; iommuGroup: number; groupViable: boolean; pfView: { mac: string; trust: boolean } }[] }[] };
  const vf0 = doc.pfs[0]!.vfs[0]!;
  assert.equal(vf0.address, '0000:01:10.0');
  assert.equal(vf0.family, '82599');
  assert.equal(vf0.iommuGroup, 20);
  assert.equal(vf0.groupViable, true);
  assert.equal(vf0.pfView.mac, '02:00:00:00:00:01');
  assert.equal(vf0.pfView.trust, false);
});

test('list: a failing ip is reported, sysfs facts still shown; a PF that is down is called out', async () => {
  const f = setup({ pfUp: false, groups: 'shared' });
  const r = await runCli(['list'], { env: env({ IXGBEVF_FAKE_IP_FAIL: 'RTNETLINK answers: Operation not permitted' }), sysfs: f.opts });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /PF view unavailable: .*Operation not permitted/);
  assert.match(r.stdout, /ip link set enp1s0f0 up/);
  assert.match(r.stdout, /NOT viable/);
  assert.match(r.stdout, /group 1 of 0000:01:10\.0 is not viable: .*0000:01:00\.0 \(ixgbe\)/);
});

test('list shows which VF a daemon owns', async () => {
  const f = setup();
  // A daemon owning "0000:01:10.0", backed by the simulator.
  const asPci: OpenVfFn = async (_spec, opts) => ({ ...(await testOpenVf('sim', opts)), id: '0000:01:10.0' });
  const d = await startDaemon(['0000:01:10.0'], { io: { openVf: asPci } });
  try {
    const r = await runCli(['list'], { env: env({ IXGBEVF_SOCKET: d.socket }), sysfs: f.opts });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0000:01:10\.0 .*daemon/);
    assert.match(r.stdout, /daemon pid \d+ on .* owns 0000:01:10\.0/);
    const j = JSON.parse((await runCli(['list', '--json'], { env: env({ IXGBEVF_SOCKET: d.socket }), sysfs: f.opts })).stdout) as { pfs: { vfs: { owner: unknown }[] }[] };
    assert.deepEqual((j.pfs[0]!.vfs[0]!.owner as { daemon: boolean }).daemon, true);
    assert.equal(j.pfs[0]!.vfs[1]!.owner, null);
  } finally {
    await d.stop();
  }
});

test('doctor: all good → exit 0; no IOMMU → exit 3 with the fixing command', async () => {
  const ok = await runCli(['doctor', '0000:01:10.0'], { env: env(), sysfs: setup().opts });
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /\[ok {2}\] bound to vfio-pci/);
  assert.doesNotMatch(ok.stdout, /FAIL/);
  const bad = await runCli(['doctor', '0000:01:10.0'], { env: env(), sysfs: setup({ iommu: false, pfUp: false }).opts });
  assert.equal(bad.code, 3);
  assert.match(bad.stdout, /\[FAIL\] no IOMMU/);
  assert.match(bad.stdout, /fix: .*intel_iommu=on/);
  assert.match(bad.stdout, /fix: ip link set enp1s0f0 up/);
  const j = await runCli(['doctor', '0000:01:10.0', '--json'], { env: env(), sysfs: setup({ iommu: false }).opts });
  assert.equal(j.code, 3);
  const doc = JSON.parse(j.stdout) as { ok: boolean; checks: { id: string; status: string; fix?: string }[] };
  assert.equal(doc.ok, false);
  assert.ok(doc.checks.some((c) => c.id === 'iommu' && c.status === 'fail' && c.fix !== undefined));
  assert.ok(!doc.checks.some((c) => c.id === 'memlock' && c.status !== 'pass'), 'no memlock warning: no DMA here');
  assert.equal((await runCli(['doctor', 'zz:zz'], { env: env(), sysfs: setup().opts })).code, 2);
});

test('bind: refuses a VF whose netdev is up; --force binds; says it is not persistent and how to make it so', async () => {
  const f = setup();
  const refused = await runCli(['bind', '0000:01:10.2'], { env: env(), sysfs: f.opts });
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /enp1s0f0v1 .*is up/);
  assert.match(refused.stderr, /fix: ip link set enp1s0f0v1 down/);
  assert.equal(f.kernel.writes.length, 0, 'nothing written when refused');
  const r = await runCli(['bind', '0000:01:10.2', '--force'], { env: env(), sysfs: f.opts });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /bound to vfio-pci \(was ixgbevf\)/);
  assert.match(r.stdout, /IOMMU group 21: viable/);
  assert.match(r.stdout, /not persistent/);
  assert.match(r.stdout, /driverctl set-override 0000:01:10\.2 vfio-pci/);
  assert.deepEqual(
    f.kernel.writes.map((w) => `${w.path}=${w.data.trim()}`),
    ['bus/pci/devices/0000:01:10.2/driver_override=vfio-pci', 'bus/pci/drivers/ixgbevf/unbind=0000:01:10.2', 'bus/pci/drivers_probe=0000:01:10.2'],
  );
  assert.equal(f.driverOf('0000:01:10.2'), 'vfio-pci');
});

test('bind --user chowns the group node; --json; unbind gives the VF back', async () => {
  const f = setup({ vfDrivers: [null, 'ixgbevf'] });
  const r = await runCli(['bind', '0000:01:10.0', '--user', 'alice', '--json'], { env: env(), sysfs: f.opts });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { driver: string; chowned: { uid: number }; persistent: boolean; note: string };
  assert.equal(doc.driver, 'vfio-pci');
  assert.equal(doc.chowned.uid, 1000);
  assert.equal(doc.persistent, false);
  assert.match(doc.note, /driverctl set-override/);
  const u = await runCli(['unbind', '0000:01:10.0', '--driver', 'ixgbevf'], { env: env(), sysfs: f.opts });
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /unbound from vfio-pci; now bound to ixgbevf/);
  assert.match(u.stdout, /driverctl unset-override 0000:01:10\.0/);
  assert.equal(readFileSync(path.join(f.sysRoot, 'bus/pci/devices/0000:01:10.0/driver_override'), 'utf8').trim(), '');
  assert.equal((await runCli(['bind', 'sim'], { env: env(), sysfs: f.opts })).code, 2);
});

test('IXGBEVF_SYSFS_ROOT counts for the VF commands too (a fake tree never sends them to the real /sys): the real process', async () => {
  const f = setup();
  // 0000:01:00.0 is the fake tree's PF: read from the fake tree it is "not a VF"; read from the real /sys it would not exist.
  const p = spawnCli(['info', '0000:01:00.0', '--json'], { IXGBEVF_SYSFS_ROOT: f.sysRoot, IXGBEVF_DEV_ROOT: f.devRoot, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' });
  const r = await p.done;
  assert.equal(r.code, 3, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_NOT_A_SUPPORTED_VF', r.stdout);
});
