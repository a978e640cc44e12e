// Sanity checks of the emulated-hardware rig, run INSIDE the guest:
//   scripts/vm/test-rig            (or: scripts/vm/run node --test test/vm/rig-sanity.test.mjs)
// Outside the rig (no PF in the environment) the whole suite is skipped.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const { PF, PFNET, VF0, VF1, PROJECT, IXGBEVF_VM_OUT } = process.env;
const inRig = Boolean(PF && VF0 && VF1 && PFNET);
const NIC = process.env.IXGBEVF_VM_NIC || 'igb';
// What each emulated NIC is: PF and VF PCI device IDs, the stock PF driver.
const EXPECT = {
  igb: { model: '82576', pfId: '0x10c9', vfId: '0x10ca', driver: 'igb' },
  ixgbe: { model: '82599', pfId: '0x10f7', vfId: '0x10ed', driver: 'ixgbe' },
}[NIC];

const dev = (bdf) => join('/sys/bus/pci/devices', bdf);
const attr = (bdf, name) => readFileSync(join(dev(bdf), name), 'utf8').trim();
const linkName = (path) => (existsSync(path) ? basename(readlinkSync(path)) : null);
const driverOf = (bdf) => linkName(join(dev(bdf), 'driver'));
const groupOf = (bdf) => linkName(join(dev(bdf), 'iommu_group'));

describe('emulated rig', { skip: inRig ? false : 'not inside scripts/vm/run (PF/VF0/VF1/PFNET unset)' }, () => {
  test(`IXGBEVF_VM_NIC (${NIC}) is a NIC the rig knows`, () => {
    assert.ok(EXPECT, `IXGBEVF_VM_NIC=${NIC}`);
  });

  test(`PF is an ${EXPECT?.model} (8086:${EXPECT?.pfId.slice(2)}) bound to ${EXPECT?.driver}`, () => {
    assert.equal(attr(PF, 'vendor'), '0x8086');
    assert.equal(attr(PF, 'device'), EXPECT.pfId);
    assert.equal(driverOf(PF), EXPECT.driver);
    assert.equal(attr(PF, 'sriov_numvfs'), '2');
    assert.equal(attr(PF, 'sriov_drivers_autoprobe'), '0');
  });

  test('PFNET is the PF netdev, up with carrier', () => {
    assert.ok(readdirSync(join(dev(PF), 'net')).includes(PFNET), `${PFNET} under ${PF}/net`);
    assert.equal(readFileSync(`/sys/class/net/${PFNET}/operstate`, 'utf8').trim(), 'up');
    assert.equal(readFileSync(`/sys/class/net/${PFNET}/carrier`, 'utf8').trim(), '1');
  });

  test(`VF0 is an ${EXPECT?.model} VF (8086:${EXPECT?.vfId.slice(2)}) of the PF, bound to vfio-pci`, () => {
    assert.equal(attr(VF0, 'vendor'), '0x8086');
    assert.equal(attr(VF0, 'device'), EXPECT.vfId);
    assert.equal(linkName(join(dev(VF0), 'physfn')), PF);
    assert.equal(linkName(join(dev(PF), 'virtfn0')), VF0);
    assert.equal(driverOf(VF0), 'vfio-pci');
  });

  test('VF1 exists, is a VF of the PF and is unbound', () => {
    assert.equal(attr(VF1, 'device'), EXPECT.vfId);
    assert.equal(linkName(join(dev(PF), 'virtfn1')), VF1);
    assert.equal(driverOf(VF1), null);
  });

  test('VF0 has its own IOMMU group with a VFIO group device', () => {
    const group = groupOf(VF0);
    assert.ok(group, 'VF0 has an iommu_group');
    assert.deepEqual(readdirSync(`/sys/kernel/iommu_groups/${group}/devices`), [VF0], 'VF0 alone in its group');
    assert.notEqual(groupOf(PF), group);
    assert.ok(statSync(`/dev/vfio/${group}`).isCharacterDevice(), `/dev/vfio/${group}`);
    assert.ok(statSync('/dev/vfio/vfio').isCharacterDevice(), '/dev/vfio/vfio');
  });

  test('a (virtual) IOMMU is present', () => {
    assert.ok(readdirSync('/sys/class/iommu').length > 0, '/sys/class/iommu non-empty');
  });

  test('the stock VF drivers (igbvf, ixgbevf) are not loaded by the rig', () => {
    for (const m of ['igbvf', 'ixgbevf']) assert.ok(!existsSync(`/sys/module/${m}`), `${m} is not loaded`);
  });

  test('ixgbe only: the model\'s mailbox trace is readable in the results dir', { skip: NIC === 'ixgbe' ? false : 'igb has no trace' }, () => {
    assert.ok(existsSync(join(IXGBEVF_VM_OUT, 'mbx-trace.log')), 'mbx-trace.log');
  });

  test('the project and a writable results dir are visible', () => {
    assert.ok(PROJECT && existsSync(join(PROJECT, 'package.json')), `PROJECT=${PROJECT}`);
    assert.ok(IXGBEVF_VM_OUT, 'IXGBEVF_VM_OUT set');
    writeFileSync(join(IXGBEVF_VM_OUT, 'rig-sanity.txt'), `${PF} ${VF0} ${VF1} ${PFNET}\n`);
  });
});
