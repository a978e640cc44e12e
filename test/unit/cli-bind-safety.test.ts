/**
 * Issue 12 point 1: bind/unbind act only on ixgbe/igb-family VFs, never on a PF (--force or not), unbind
 * takes a VF only from vfio-pci (or the driver named with --from) and never while a process holds its VFIO
 * group; --force covers only "the VF's interface is up". Over a fake /sys, /dev and /proc.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

const NVME = '0000:02:00.0';
const HYPERV = '0000:05:00.0';
const X550VF = '0000:04:10.0';

function setup(): FakeSys {
  const { spec } = sriov82599({ vfDrivers: ['vfio-pci', 'ixgbevf'] });
  spec.drivers = [...(spec.drivers ?? []), 'nvme', 'hv_netvsc'];
  spec.devices.push(
    { address: NVME, vendor: 0x144d, device: 0xa808, classCode: 0x010802, driver: 'nvme', iommuGroup: 30 },
    { address: HYPERV, device: 0x1530, driver: null, iommuGroup: 31 },
    { address: X550VF, device: 0x1565, driver: 'ixgbevf', iommuGroup: 32, netdevs: [{ name: 'ens4v0', up: false }], nativeDriver: 'ixgbevf' },
  );
  const f = new FakeSys(spec);
  fakes.push(f);
  return f;
}

const env = { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' };

async function cli(f: FakeSys, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(argv, { env, sysfs: f.opts });
}

test('bind refuses a device that is not an ixgbe/igb VF (an NVMe controller): exit 2, nothing written', async () => {
  const f = setup();
  for (const force of [[], ['--force']]) {
    const r = await cli(f, ['bind', NVME, ...force]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ixgbevf: error: 0000:02:00\.0 \(144d:a808, driver nvme\) is not an Intel ixgbe or igb VF/);
    assert.match(r.stderr, /\(try: ixgbevf list\)/);
  }
  assert.deepEqual(f.kernel.writes, []);
  assert.equal(f.driverOf(NVME), 'nvme');
});

test('unbind refuses a device that is not an ixgbe/igb VF, even when its driver is named', async () => {
  const f = setup();
  const r = await cli(f, ['unbind', NVME, '--from', 'nvme', '--force']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /not an Intel ixgbe or igb VF/);
  assert.deepEqual(f.kernel.writes, []);
  assert.equal(f.driverOf(NVME), 'nvme');
});

test('a PF is never bound or unbound, --force or not', async () => {
  const f = setup();
  for (const argv of [['bind', '0000:01:00.0'], ['bind', '0000:01:00.0', '--force'], ['unbind', '0000:01:00.0'], ['unbind', '0000:01:00.0', '--from', 'ixgbe', '--force']]) {
    const r = await cli(f, argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /is an SR-IOV PF, not a VF: ixgbevf never (un)?binds a PF/, argv.join(' '));
  }
  assert.deepEqual(f.kernel.writes, []);
  assert.equal(f.driverOf('0000:01:00.0'), 'ixgbe');
});

test('a Hyper-V VF (no mailbox) is refused with exit 2', async () => {
  const f = setup();
  const r = await cli(f, ['bind', HYPERV]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Hyper-V VF: it has no hardware mailbox/);
  assert.deepEqual(f.kernel.writes, []);
});

test('unbind takes a VF only from vfio-pci unless its driver is named with --from', async () => {
  const f = setup();
  const r = await cli(f, ['unbind', X550VF]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /bound to ixgbevf, not vfio-pci: unbind takes a VF only from vfio-pci/);
  assert.match(r.stderr, /fix: ixgbevf unbind 0000:04:10\.0 --from ixgbevf/);
  assert.deepEqual(f.kernel.writes, []);
  const wrong = await cli(f, ['unbind', X550VF, '--from', 'igbvf']);
  assert.equal(wrong.code, 3);
  assert.match(wrong.stderr, /bound to ixgbevf, not igbvf: nothing was changed/);
  assert.deepEqual(f.kernel.writes, []);
  // Named, and its interface is down: taken.
  const ok = await cli(f, ['unbind', X550VF, '--from', 'ixgbevf']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /unbound from ixgbevf/);
});

test('unbind refuses a VF whose interface is up; --force overrides exactly that', async () => {
  const f = setup();
  const vf1 = '0000:01:10.2';
  const r = await cli(f, ['unbind', vf1, '--from', 'ixgbevf']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /its interface enp1s0f0v1 \(driver ixgbevf\) is up/);
  assert.match(r.stderr, /fix: ip link set enp1s0f0v1 down, then retry \(or: ixgbevf unbind 0000:01:10\.2 --force --from ixgbevf\)/);
  assert.deepEqual(f.kernel.writes, []);
  const forced = await cli(f, ['unbind', vf1, '--from', 'ixgbevf', '--force', '--driver', 'vfio-pci']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(f.driverOf(vf1), 'vfio-pci');
});

test('unbind refuses while a process holds the VF\'s VFIO group open, --force or not', async () => {
  const f = setup();
  const vf0 = '0000:01:10.0';
  f.holdGroup(4242, 20, 'qemu-system-x86');
  for (const force of [[], ['--force']]) {
    const r = await cli(f, ['unbind', vf0, ...force]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /0000:01:10\.0 is in use: pid 4242 \(qemu-system-x86\) holds its VFIO group 20 open/);
    assert.match(r.stderr, /kill 4242/);
  }
  assert.deepEqual(f.kernel.writes, []);
  assert.equal(f.driverOf(vf0), 'vfio-pci');
  // A process holding another group does not matter.
  const other = setup();
  other.holdGroup(4243, 21);
  const ok = await cli(other, ['unbind', vf0, '--driver', 'ixgbevf']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(other.driverOf(vf0), 'ixgbevf');
});

test('bind and unbind help state the safety rules and what --force covers', async () => {
  for (const cmd of ['bind', 'unbind']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /only on Intel ixgbe\/igb-family VFs/);
    assert.match(r.stdout, /--force overrides exactly that check and no other/);
  }
});
