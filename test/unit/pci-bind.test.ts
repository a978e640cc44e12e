import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { EnvironmentError, ExitCode, InvalidArgumentError } from '../../src/errors.js';
import { bindToVfio, chownVfioNode, unbindDevice } from '../../src/pci/bind.js';
import { resolveUser } from '../../src/pci/users.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

async function using(sys: FakeSys, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    sys.cleanup();
  }
}

test('bind: driver_override, unbind from ixgbevf, drivers_probe — in that order — and vfio-pci takes', async () => {
  const { spec, vf1 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const r = await bindToVfio('01:10.2', { ...sys.opts, force: true });
    assert.deepEqual(sys.kernel.writes, [
      { path: `bus/pci/devices/${vf1}/driver_override`, data: 'vfio-pci' },
      { path: 'bus/pci/drivers/ixgbevf/unbind', data: vf1 },
      { path: 'bus/pci/drivers_probe', data: vf1 },
    ]);
    assert.equal(sys.driverOf(vf1), 'vfio-pci');
    assert.equal(r.previousDriver, 'ixgbevf');
    assert.equal(r.driver, 'vfio-pci');
    assert.equal(r.changed, true);
    assert.equal(r.iommuGroup, 21);
    assert.equal(r.group?.viable, true);
    assert.equal(r.vfioNode?.exists, true);
    assert.equal(r.chowned, null);
  });
});

test('bind an unbound device: no unbind write', async () => {
  const { spec, vf1 } = sriov82599({ vfDrivers: ['vfio-pci', null] });
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await bindToVfio(vf1, { ...sys.opts, force: true });
    assert.deepEqual(sys.kernel.writes.map((w) => w.path), [`bus/pci/devices/${vf1}/driver_override`, 'bus/pci/drivers_probe']);
    assert.equal(sys.driverOf(vf1), 'vfio-pci');
  });
});

test('bind when already on vfio-pci writes nothing', async () => {
  const { spec, vf0 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const r = await bindToVfio(vf0, sys.opts);
    assert.equal(r.changed, false);
    assert.deepEqual(sys.kernel.writes, []);
  });
});

test('bind over plain files (no simulated kernel): the same values land in the files, then ERR_BIND_FAILED', async () => {
  const { spec, vf1 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    // Nothing moves the driver link, so the bind "did not take": the error says so and how to recover.
    await assert.rejects(bindToVfio(vf1, { ...sys.plainOpts, force: true }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_BIND_FAILED');
      assert.match(err.message, /did not bind to vfio-pci \(driver now: ixgbevf\)/);
      assert.match(err.hint ?? '', new RegExp(`ixgbevf unbind ${vf1} --from ixgbevf --driver ixgbevf`));
      assert.doesNotMatch(err.hint ?? '', /--restore/);
      return true;
    });
    assert.equal(sys.readOverride(vf1), 'vfio-pci');
    assert.equal(readFileSync(path.join(sys.sysRoot, 'bus/pci/drivers/ixgbevf/unbind'), 'utf8'), vf1);
    assert.equal(readFileSync(path.join(sys.sysRoot, 'bus/pci/drivers_probe'), 'utf8'), vf1);
  });
});

test('bind fails before touching anything when vfio-pci is not loaded', async () => {
  const { spec, vf1 } = sriov82599({ modules: ['vfio'], vfDrivers: [null, 'ixgbevf'] });
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(bindToVfio(vf1, { ...sys.opts, force: true }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.exitCode, ExitCode.environment);
      assert.equal(err.code, 'ERR_VFIO_PCI_NOT_LOADED');
      assert.equal(err.hint, 'modprobe vfio-pci');
      return true;
    });
    assert.deepEqual(sys.kernel.writes, []);
    assert.equal(sys.driverOf(vf1), 'ixgbevf');
  });
});

test('bind fails before touching anything with no IOMMU and noiommu off', async () => {
  const { spec, vf1 } = sriov82599({ iommu: false, groups: 'none' });
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(bindToVfio(vf1, { ...sys.opts, force: true }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_NO_IOMMU');
      assert.match(err.hint ?? '', /intel_iommu=on/);
      assert.match(err.hint ?? '', /echo 1 > \/sys\/module\/vfio\/parameters\/enable_unsafe_noiommu_mode/);
      return true;
    });
    assert.deepEqual(sys.kernel.writes, []);
  });
});

test('bind with enableNoiommu writes the module parameter first', async () => {
  const { spec, vf1 } = sriov82599({ iommu: false });
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await bindToVfio(vf1, { ...sys.opts, enableNoiommu: true, force: true });
    assert.deepEqual(sys.kernel.writes[0], { path: 'module/vfio/parameters/enable_unsafe_noiommu_mode', data: '1' });
    assert.equal(sys.driverOf(vf1), 'vfio-pci');
  });
});

test('a probe that does not take leaves a precise error (no IOMMU group → IOMMU hint)', async () => {
  // noiommu is on, but this device has no group: vfio-pci refuses it.
  const { spec, vf1 } = sriov82599({ iommu: false, noiommu: true, groups: 'none' });
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(bindToVfio(vf1, { ...sys.opts, force: true }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_BIND_FAILED');
      assert.match(err.message, /driver now: none; the device has no IOMMU group/);
      assert.deepEqual(err.details, { address: vf1, previousDriver: 'ixgbevf', driver: null, iommuGroup: null });
      return true;
    });
  });
});

test('a write error (EACCES) becomes ERR_PERMISSION_DENIED naming the file', async () => {
  const { spec, vf1 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    sys.kernel.onWrite = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    await assert.rejects(bindToVfio(vf1, { ...sys.opts, force: true }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_PERMISSION_DENIED');
      assert.match(err.message, /driver_override/);
      return true;
    });
  });
});

test('bind refuses a PF with VFs unless forced', async () => {
  const { spec, pf } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(bindToVfio(pf, sys.opts), { code: 'ERR_DEVICE_IS_PF' });
    assert.deepEqual(sys.kernel.writes, []);
  });
});

test('bind --user resolves the name from passwd and chowns /dev/vfio/<g>', async () => {
  const { spec, vf1 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const r = await bindToVfio(vf1, { ...sys.opts, user: 'alice', force: true });
    const node = path.join(sys.devRoot, 'vfio/21');
    assert.deepEqual(r.chowned, { path: node, uid: 1000, gid: -1 });
    assert.equal(statSync(node).uid, 1000);
    assert.equal(r.vfioNode?.uid, 1000);
  });
});

test('a bad --user fails before any write', async () => {
  const { spec, vf1 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(bindToVfio(vf1, { ...sys.opts, user: 'mallory', force: true }), (err: unknown) => err instanceof InvalidArgumentError && err.code === 'ERR_UNKNOWN_USER');
    assert.deepEqual(sys.kernel.writes, []);
  });
});

test('resolveUser: names, numeric ids (known and unknown)', async () => {
  const sys = new FakeSys({ devices: [] });
  await using(sys, async () => {
    assert.deepEqual(await resolveUser('alice', sys.opts), { uid: 1000, gid: 1000, name: 'alice' });
    assert.deepEqual(await resolveUser('65534', sys.opts), { uid: 65534, gid: 65534, name: 'nobody' });
    assert.deepEqual(await resolveUser('4242', sys.opts), { uid: 4242, gid: null, name: null });
    await assert.rejects(resolveUser('nobody2', sys.opts), { code: 'ERR_UNKNOWN_USER' });
  });
});

test('chownVfioNode: a missing node is ERR_VFIO_NODE_MISSING; an injected chown is called with uid and gid', async () => {
  const { spec } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(chownVfioNode(99, 'alice', { ...sys.opts, nodeWaitMs: 0 }), { code: 'ERR_VFIO_NODE_MISSING' });
    const calls: unknown[] = [];
    await chownVfioNode(20, '1000', { ...sys.opts, gid: 1000, chown: async (...a) => void calls.push(a) });
    assert.deepEqual(calls, [[path.join(sys.devRoot, 'vfio/20'), 1000, 1000]]);
  });
});

test('unbind: clears driver_override with "\\n", unbinds, leaves the device driverless', async () => {
  const { spec, vf0 } = sriov82599();
  spec.devices.find((d) => d.address === vf0)!.driverOverride = 'vfio-pci';
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const r = await unbindDevice(vf0, sys.opts);
    assert.deepEqual(sys.kernel.writes, [
      { path: `bus/pci/devices/${vf0}/driver_override`, data: '\n' },
      { path: 'bus/pci/drivers/vfio-pci/unbind', data: vf0 },
    ]);
    assert.deepEqual(r, { address: vf0, previousDriver: 'vfio-pci', driver: null });
    assert.equal(sys.readOverride(vf0), '');
  });
});

test('unbind --restore probes back to the native driver (ixgbevf)', async () => {
  const { spec, vf0 } = sriov82599();
  spec.devices.find((d) => d.address === vf0)!.driverOverride = 'vfio-pci';
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const r = await unbindDevice(vf0, { ...sys.opts, restore: true });
    assert.deepEqual(sys.kernel.writes.map((w) => w.path), [`bus/pci/devices/${vf0}/driver_override`, 'bus/pci/drivers/vfio-pci/unbind', 'bus/pci/drivers_probe']);
    assert.equal(r.driver, 'ixgbevf');
  });
});

test('unbind --restore ixgbevf binds through the named driver and checks it took', async () => {
  const { spec, vf0 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const r = await unbindDevice(vf0, { ...sys.opts, restore: 'ixgbevf' });
    assert.deepEqual(sys.kernel.writes, [
      { path: 'bus/pci/drivers/vfio-pci/unbind', data: vf0 },
      { path: 'bus/pci/drivers/ixgbevf/bind', data: vf0 },
    ]);
    assert.equal(r.driver, 'ixgbevf');
  });
});

test('unbind --restore: driver not loaded, probe failing, bad driver name', async () => {
  const { spec, vf0 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    await assert.rejects(unbindDevice(vf0, { ...sys.opts, restore: 'igbvf' }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_DRIVER_NOT_LOADED');
      assert.equal(err.hint, 'modprobe igbvf');
      return true;
    });
    assert.deepEqual(sys.kernel.writes, []);
    await assert.rejects(unbindDevice(vf0, { ...sys.opts, restore: '../x' }), { code: 'ERR_INVALID_DRIVER' });
    sys.kernel.failingProbes.add('ixgbevf');
    await assert.rejects(unbindDevice(vf0, { ...sys.opts, restore: 'ixgbevf' }), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_BIND_FAILED');
      assert.match(err.message, /did not bind to ixgbevf \(driver now: none\)/);
      return true;
    });
  });
});
