/**
 * doctor on a VF an interrupted `ixgbevf bind` left behind (killed after writing driver_override=vfio-pci, before
 * the unbind or the probe; seen in the igb rig with kill -9): the override is named, so the state reads as what
 * it is (a re-probe would hand the VF to vfio-pci), with the fix that finishes the bind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/pci/doctor.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

for (const driver of ['ixgbevf', null] as const) {
  test(`doctor: a VF on ${driver ?? 'no driver'} with driver_override=vfio-pci names the unfinished bind and its fix`, async () => {
    const { spec, vf1 } = sriov82599({ vfDrivers: ['vfio-pci', driver] });
    spec.devices.find((d) => d.address === vf1)!.driverOverride = 'vfio-pci';
    const sys = new FakeSys(spec);
    try {
      const r = await diagnose(vf1, { ...sys.opts, user: 'alice' });
      const c = r.checks.find((x) => x.id === 'driver')!;
      assert.equal(c.status, 'fail');
      assert.equal(
        c.message,
        `${driver === null ? 'not bound to any driver' : `bound to ${driver}`}, not vfio-pci (driver_override=vfio-pci: a bind that did not finish; a re-probe hands it to vfio-pci)`,
      );
      assert.equal(c.fix, `ixgbevf bind ${vf1}`);
    } finally {
      sys.cleanup();
    }
  });
}
