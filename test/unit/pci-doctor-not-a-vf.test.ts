/**
 * doctor on a device `ixgbevf bind` refuses (a PF, a Hyper-V VF, another vendor's device) never offers
 * `ixgbevf bind <it>` as a fix. Found in the igb rig: `ixgbevf doctor <PF address>` printed
 * `fix: ixgbevf bind 0000:01:00.0` twice (driver, /dev/vfio node), a command that exits 2 for a PF.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindToVfio } from '../../src/pci/bind.js';
import { diagnose } from '../../src/pci/doctor.js';
import { FakeSys, sriov82599, type FakeSysSpec } from '../helpers/fake-sysfs.js';

const hyperv: FakeSysSpec = { devices: [{ address: '0000:00:05.0', device: 0x1530, driver: 'hv_netvsc', iommuGroup: 5 }], drivers: ['hv_netvsc'] };
const other: FakeSysSpec = { devices: [{ address: '0000:00:06.0', vendor: 0x15b3, device: 0x1018, driver: 'mlx5_core', iommuGroup: 6 }], drivers: ['mlx5_core'] };

for (const [what, spec, addr] of [
  ['the PF', sriov82599().spec, '0000:01:00.0'],
  ['a Hyper-V VF', hyperv, '0000:00:05.0'],
  ['another vendor\'s device', other, '0000:00:06.0'],
] as const) {
  test(`doctor ${what}: fails, and no fix is an \`ixgbevf bind\` that refuses it`, async () => {
    const sys = new FakeSys(spec);
    try {
      const r = await diagnose(addr, { ...sys.opts, user: 'alice' });
      assert.equal(r.ok, false);
      assert.equal(r.checks.find((c) => c.id === 'family')?.status, 'fail');
      const binds = r.checks.filter((c) => c.fix?.includes(`ixgbevf bind ${addr}`));
      assert.deepEqual(binds.map((c) => c.id), [], 'no `ixgbevf bind` fix for a device bind refuses');
      await assert.rejects(bindToVfio(addr, sys.opts), { exitCode: 2 }, 'bind does refuse it');
    } finally {
      sys.cleanup();
    }
  });
}
