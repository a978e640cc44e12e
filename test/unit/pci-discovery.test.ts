import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvironmentError } from '../../src/errors.js';
import {
  listNetdevs,
  listPciDevices,
  listSriovPfs,
  listVfs,
  readNetdevState,
  readPciDevice,
  readPhysfn,
  requirePciDevice,
} from '../../src/pci/discovery.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

function withSys(over: Parameters<typeof sriov82599>[0], fn: (sys: FakeSys, names: ReturnType<typeof sriov82599>) => Promise<void>) {
  return async () => {
    const names = sriov82599(over);
    const sys = new FakeSys(names.spec);
    try {
      await fn(sys, names);
    } finally {
      sys.cleanup();
    }
  };
}

test(
  'an 82599 PF with 2 VFs: PF list, VF links, physfn and index',
  withSys({}, async (sys, { pf, vf0, vf1 }) => {
    assert.deepEqual(await listPciDevices(sys.opts), ['0000:00:01.0', pf, vf0, vf1]);
    const pfs = await listSriovPfs(sys.opts);
    assert.equal(pfs.length, 1);
    const p = pfs[0]!;
    assert.equal(p.address, pf);
    assert.equal(p.vendor, 0x8086);
    assert.equal(p.device, 0x10fb);
    assert.equal(p.subsystemDevice, 0x000c);
    assert.equal(p.driver, 'ixgbe');
    assert.deepEqual(p.netdevs, ['enp1s0f0']);
    assert.deepEqual(p.sriov, { totalVfs: 63, numVfs: 2, driversAutoprobe: true, vfs: [{ index: 0, address: vf0 }, { index: 1, address: vf1 }], badLinks: [] });
    assert.equal(p.physfn, null);
    assert.deepEqual(await listVfs('01:00.0', sys.opts), p.sriov!.vfs);
    assert.deepEqual(await readPhysfn(vf1, sys.opts), { pf, vfIndex: 1 });
    assert.equal(await readPhysfn(pf, sys.opts), null);
  }),
);

test(
  'a VF: raw IDs, driver, driver_override, IOMMU group, no SR-IOV',
  withSys({}, async (sys, { pf, vf0, vf1 }) => {
    const v = await readPciDevice(vf0, sys.opts);
    assert.equal(v.device, 0x10ed);
    assert.equal(v.classCode, 0x020000);
    assert.equal(v.driver, 'vfio-pci');
    assert.equal(v.driverOverride, null); // "(null)" in sysfs
    assert.equal(v.iommuGroup, 20);
    assert.equal(v.physfn, pf);
    assert.equal(v.vfIndex, 0);
    assert.equal(v.sriov, null);
    const w = await readPciDevice(vf1, sys.opts);
    assert.equal(w.driver, 'ixgbevf');
    assert.deepEqual(w.netdevs, ['enp1s0f0v1']);
  }),
);

test(
  'driver_override and unbound devices are read back',
  async () => {
    const sys = new FakeSys({ devices: [{ address: '0000:02:00.1', device: 0x1515, driverOverride: 'vfio-pci', driver: null }] });
    try {
      const d = await readPciDevice('02:00.1', sys.opts);
      assert.equal(d.driverOverride, 'vfio-pci');
      assert.equal(d.driver, null);
      assert.equal(d.iommuGroup, null);
      assert.equal(d.physfn, null);
    } finally {
      sys.cleanup();
    }
  },
);

test(
  'PF netdev state: up, and administratively down',
  withSys({ pfUp: false }, async (sys, { pf }) => {
    assert.deepEqual(await listNetdevs(pf, sys.opts), ['enp1s0f0']);
    assert.deepEqual(await readNetdevState('enp1s0f0', sys.opts), { ifname: 'enp1s0f0', operstate: 'down', adminUp: false, flags: 0x1002 });
    assert.equal((await readNetdevState('enp1s0f0v1', sys.opts)).adminUp, true);
    assert.deepEqual(await readNetdevState('nope0', sys.opts), { ifname: 'nope0', operstate: null, adminUp: null, flags: null });
  }),
);

test(
  'a missing device is ERR_DEVICE_NOT_FOUND (exit 3, hint ixgbevf list)',
  withSys({}, async (sys) => {
    await assert.rejects(readPciDevice('0000:09:00.0', sys.opts), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.code, 'ERR_DEVICE_NOT_FOUND');
      assert.equal(err.hint, 'ixgbevf list');
      // The directory it looked for, under the sysfs root it was given (a fake tree here, not /sys).
      assert.ok(err.message.endsWith(`(${sys.opts.sysRoot}/bus/pci/devices/0000:09:00.0 does not exist)`), err.message);
      return true;
    });
    await assert.rejects(requirePciDevice('bogus', sys.opts), { code: 'ERR_INVALID_PCI_ADDRESS' });
  }),
);
