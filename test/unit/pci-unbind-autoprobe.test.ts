/**
 * `unbind --driver <name>` (and smoke's restore after `--bind`) on a PF whose `sriov_drivers_autoprobe` is 0,
 * the set-up the README asks for. The PCI core then lets a VF probe only the driver its `driver_override`
 * names (pci_device_can_probe() in drivers/pci/pci-driver.c): a plain write of the address to
 * `drivers/<name>/bind` is refused and the VF stays on no driver. Found in the igb rig: `ixgbevf unbind
 * <vf> --driver igbvf` failed every time with "did not bind to igbvf (driver now: none)".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unbindDevice } from '../../src/pci/bind.js';
import { withAutoprobeRule } from '../helpers/autoprobe-rule.js';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

test('unbind --driver ixgbevf with sriov_drivers_autoprobe=0: the VF reaches ixgbevf, driver_override named it only for the bind', async () => {
  const { spec, vf0 } = sriov82599({ autoprobe: false });
  spec.devices.find((d) => d.address === vf0)!.driverOverride = 'vfio-pci';
  const sys = new FakeSys(spec);
  try {
    withAutoprobeRule(sys);
    const r = await unbindDevice(vf0, { ...sys.opts, restore: 'ixgbevf' });
    assert.equal(r.driver, 'ixgbevf');
    assert.equal(sys.driverOf(vf0), 'ixgbevf');
    assert.equal(sys.readOverride(vf0).trim(), '', 'no driver_override left behind');
    assert.deepEqual(sys.kernel.writes, [
      { path: `bus/pci/devices/${vf0}/driver_override`, data: '\n' },
      { path: 'bus/pci/drivers/vfio-pci/unbind', data: vf0 },
      { path: `bus/pci/devices/${vf0}/driver_override`, data: 'ixgbevf' },
      { path: 'bus/pci/drivers/ixgbevf/bind', data: vf0 },
      { path: `bus/pci/devices/${vf0}/driver_override`, data: '\n' },
    ]);
  } finally {
    sys.cleanup();
  }
});

test('unbind --driver with autoprobe=0 whose probe fails: ERR_BIND_FAILED, and still no driver_override left behind', async () => {
  const { spec, vf0 } = sriov82599({ autoprobe: false });
  const sys = new FakeSys(spec);
  try {
    withAutoprobeRule(sys);
    sys.kernel.failingProbes.add('ixgbevf');
    await assert.rejects(unbindDevice(vf0, { ...sys.opts, restore: 'ixgbevf' }), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'ERR_BIND_FAILED');
      assert.match((err as Error).message, /did not bind to ixgbevf \(driver now: none\)/);
      return true;
    });
    assert.equal(sys.driverOf(vf0), null);
    assert.equal(sys.readOverride(vf0).trim(), '');
  } finally {
    sys.cleanup();
  }
});

test('unbind --driver with autoprobe=1 keeps the plain bind write (no driver_override written)', async () => {
  const { spec, vf0 } = sriov82599({ autoprobe: true });
  const sys = new FakeSys(spec);
  try {
    withAutoprobeRule(sys);
    const r = await unbindDevice(vf0, { ...sys.opts, restore: 'ixgbevf' });
    assert.equal(r.driver, 'ixgbevf');
    assert.deepEqual(sys.kernel.writes.map((w) => w.path), ['bus/pci/drivers/vfio-pci/unbind', 'bus/pci/drivers/ixgbevf/bind']);
  } finally {
    sys.cleanup();
  }
});

test('plain unbind with autoprobe=0 leaves the VF on no driver and says how to give it its driver (a command that then works)', async () => {
  const { spec, vf0 } = sriov82599({ autoprobe: false });
  spec.devices.find((d) => d.address === vf0)!.driverOverride = 'vfio-pci';
  const sys = new FakeSys(spec);
  try {
    withAutoprobeRule(sys);
    const r = await runCli(['unbind', vf0], { sysfs: sys.opts });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sys.driverOf(vf0), null);
    assert.match(r.stdout, /unbound from vfio-pci; now unbound/);
    const m = /no driver took it: 0000:01:00\.0 has sriov_drivers_autoprobe=0.*: (ixgbevf unbind \S+ --driver ixgbevf)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const fix = await runCli(m[1]!.split(' ').slice(1), { sysfs: sys.opts });
    assert.equal(fix.code, 0, fix.stderr);
    assert.equal(sys.driverOf(vf0), 'ixgbevf');
    const json = await runCli(['unbind', vf0, '--from', 'ixgbevf', '--json'], { sysfs: sys.opts });
    assert.equal(JSON.parse(json.stdout).hint, `ixgbevf unbind ${vf0} --driver ixgbevf`);
  } finally {
    sys.cleanup();
  }
});

test('plain unbind with autoprobe=1: the kernel gives the VF its driver, no such line', async () => {
  const { spec, vf0 } = sriov82599({ autoprobe: true });
  const sys = new FakeSys(spec);
  try {
    withAutoprobeRule(sys);
    const r = await runCli(['unbind', vf0], { sysfs: sys.opts });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /now bound to ixgbevf/);
    assert.doesNotMatch(r.stdout, /no driver took it/);
  } finally {
    sys.cleanup();
  }
});
