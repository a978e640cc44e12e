import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../src/errors.js';
import { classifyVf } from '../../src/pci/classify.js';
import { diagnose, type DoctorCheck, type DoctorReport } from '../../src/pci/doctor.js';
import { FakeSys, sriov82599, type FakeSysSpec } from '../helpers/fake-sysfs.js';

async function doctor(spec: FakeSysSpec, vf: string | undefined, extra: Record<string, unknown> = {}): Promise<DoctorReport> {
  const sys = new FakeSys(spec);
  try {
    return await diagnose(vf, { ...sys.opts, user: 'alice', ...extra });
  } finally {
    sys.cleanup();
  }
}

function check(r: DoctorReport, id: string): DoctorCheck {
  const c = r.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${r.checks.map((x) => x.id).join(',')}`);
  return c;
}

const byStatus = (r: DoctorReport, s: string): string[] => r.checks.filter((c) => c.status === s).map((c) => c.id);

test('healthy VF: every check passes, memlock/hugepages stated as not needed', async () => {
  const { spec, vf0 } = sriov82599();
  const r = await doctor(spec, vf0);
  assert.equal(r.target, vf0);
  assert.deepEqual(byStatus(r, 'fail'), []);
  assert.deepEqual(byStatus(r, 'warn'), []);
  assert.equal(r.ok, true);
  assert.deepEqual(
    r.checks.map((c) => c.id),
    ['iommu', 'vfio-module', 'vfio-pci-module', 'vfio-container', 'memlock', 'device', 'family', 'vf', 'driver', 'group-viable', 'vfio-node', 'pf-up', 'autoprobe'],
  );
  assert.match(check(r, 'family').message, /82599 VF/);
  assert.match(check(r, 'vf').message, /VF 0 of PF 0000:01:00\.0/);
  assert.match(check(r, 'memlock').message, /not needed.*no DMA/);
  assert.match(check(r, 'autoprobe').message, /sriov_drivers_autoprobe=1/);
  // nothing warns about memlock or hugepages
  assert.ok(!r.checks.some((c) => c.status !== 'pass' && /memlock|hugepage/i.test(c.message)));
});

test('VF on ixgbevf: driver fails with `ixgbevf bind <vf>`; no node yet', async () => {
  const { spec, vf1 } = sriov82599();
  const r = await doctor(spec, vf1);
  assert.equal(r.ok, false);
  assert.deepEqual(check(r, 'driver'), {
    id: 'driver',
    status: 'fail',
    message: 'bound to ixgbevf, not vfio-pci',
    fix: `ixgbevf bind ${vf1}`,
    details: { driver: 'ixgbevf', driverOverride: null },
  });
  assert.equal(check(r, 'group-viable').status, 'pass'); // alone in its group: viable once bound
  assert.equal(check(r, 'vfio-node').status, 'fail');
  assert.equal(check(r, 'vfio-node').fix, `ixgbevf bind ${vf1}`);
});

test('Hyper-V VF IDs (and E610 with subsystem 0x00FF) fail: no hardware mailbox', async () => {
  const spec: FakeSysSpec = { devices: [{ address: '0000:00:05.0', device: 0x1530, driver: 'vfio-pci', iommuGroup: 5 }] };
  const r = await doctor(spec, '00:05.0');
  const fam = check(r, 'family');
  assert.equal(fam.status, 'fail');
  assert.match(fam.message, /Hyper-V VF.*no hardware mailbox/);
  assert.equal(r.ok, false);
  assert.equal(check(r, 'vf').status, 'warn'); // no physfn (in a VM)
  assert.deepEqual(classifyVf({ vendor: 0x8086, device: 0x57ad, subsystemDevice: 0x00ff }), { kind: 'hyperv', model: null });
  assert.deepEqual(classifyVf({ vendor: 0x8086, device: 0x57ad, subsystemDevice: 0x0001 }), { kind: 'ixgbevf', model: 'E610' });
  assert.deepEqual(classifyVf({ vendor: 0x8086, device: 0x10ca }), { kind: 'igbvf', model: '82576' });
  assert.deepEqual(classifyVf({ vendor: 0x15b3, device: 0x10ed }), { kind: 'unknown', model: null });
});

test('a PF given as target: not a VF, not a known VF family', async () => {
  const { spec, pf } = sriov82599();
  const r = await doctor(spec, pf);
  assert.equal(check(r, 'family').status, 'fail');
  assert.equal(check(r, 'vf').status, 'fail');
  assert.match(check(r, 'vf').message, /is a PF \(SR-IOV, 2\/63 VFs\)/);
});

test('PF interface down: fail with `ip link set <pf> up`', async () => {
  const { spec, vf0 } = sriov82599({ pfUp: false });
  const r = await doctor(spec, vf0);
  const c = check(r, 'pf-up');
  assert.equal(c.status, 'fail');
  assert.match(c.message, /enp1s0f0 is down.*reset/);
  assert.equal(c.fix, 'ip link set enp1s0f0 up');
  assert.equal(r.ok, false);
});

test('non-viable group: members with drivers listed; the PF named as the offender', async () => {
  const { spec, vf0, pf } = sriov82599({ groups: 'shared' });
  const r = await doctor(spec, vf0);
  const c = check(r, 'group-viable');
  assert.equal(c.status, 'fail');
  assert.match(c.message, /IOMMU group 1 is not viable/);
  assert.ok(c.message.includes(`0000:00:01.0 (pcieport), ${pf} (ixgbe), ${vf0} (vfio-pci)`), c.message);
  assert.match(c.fix ?? '', new RegExp(`the PF ${pf} shares the VF's group`));
});

test('non-viable group with another offender: an ixgbe/igb VF gets `ixgbevf bind`, any other device only its unbind (bind refuses it)', async () => {
  const spec: FakeSysSpec = {
    devices: [
      { address: '0000:05:00.0', device: 0x10ed, driver: 'vfio-pci', iommuGroup: 7 },
      { address: '0000:05:00.1', device: 0x1234, driver: 'e1000e', iommuGroup: 7 },
      { address: '0000:05:00.2', device: 0x10ed, driver: 'ixgbevf', iommuGroup: 7 },
    ],
  };
  const r = await doctor(spec, '05:00.0');
  const [other, vf] = (check(r, 'group-viable').fix ?? '').split('; ');
  assert.match(other ?? '', /^echo 0000:05:00\.1 > \/.*\/bus\/pci\/devices\/0000:05:00\.1\/driver\/unbind$/);
  assert.equal(vf, 'ixgbevf bind 0000:05:00.2');
});

test('no IOMMU and noiommu off: fail with the kernel parameter and noiommu fix', async () => {
  const { spec, vf0 } = sriov82599({ iommu: false, groups: 'none' });
  const r = await doctor(spec, vf0);
  const c = check(r, 'iommu');
  assert.equal(c.status, 'fail');
  assert.match(c.fix ?? '', /intel_iommu=on/);
  assert.match(c.fix ?? '', /enable_unsafe_noiommu_mode/);
  assert.equal(check(r, 'iommu-group').status, 'fail');
  assert.equal(r.checks.find((x) => x.id === 'vfio-node'), undefined);
});

test('noiommu mode: iommu warns, the noiommu-N node passes', async () => {
  const { spec, vf0 } = sriov82599({ iommu: false, noiommu: true });
  const r = await doctor(spec, vf0);
  assert.equal(check(r, 'iommu').status, 'warn');
  assert.match(check(r, 'vfio-node').message, /noiommu-20 accessible \(noiommu group\)/);
  assert.equal(r.ok, true);
});

test('vfio modules not loaded: fail with `modprobe vfio-pci`', async () => {
  const { spec, vf1 } = sriov82599({ modules: [], vfDrivers: [null, 'ixgbevf'] });
  const r = await doctor(spec, vf1);
  for (const id of ['vfio-module', 'vfio-pci-module']) {
    assert.equal(check(r, id).status, 'fail');
    assert.equal(check(r, id).fix, 'modprobe vfio-pci');
  }
});

test('permission denied on /dev/vfio/N: fail with a chown fix for the user', async () => {
  const { spec, vf0 } = sriov82599();
  const access = async (file: string): Promise<void> => {
    if (file.endsWith('/vfio/20')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  };
  const r = await doctor(spec, vf0, { access });
  const c = check(r, 'vfio-node');
  assert.equal(c.status, 'fail');
  assert.match(c.message, /uid 0, gid 0, mode 0600\) is not accessible to this user \(EACCES\)/);
  assert.match(c.fix ?? '', /^chown alice \/.*\/vfio\/20 .*ixgbevf bind 0000:01:10\.0 --user alice/);
});

test('no target: system checks and the SR-IOV PFs found', async () => {
  const r = await doctor(sriov82599().spec, undefined);
  assert.equal(r.target, null);
  assert.match(check(r, 'sriov').message, /0000:01:00\.0 \(enp1s0f0, 2\/63 VFs\)/);
  const empty = await doctor({ devices: [] }, undefined);
  assert.equal(check(empty, 'sriov').status, 'warn');
});

test('a missing device fails `device`; an invalid address throws exit 2', async () => {
  const r = await doctor(sriov82599().spec, '0000:09:00.0');
  assert.deepEqual(check(r, 'device'), { id: 'device', status: 'fail', message: 'no PCI device 0000:09:00.0', fix: 'ixgbevf list' });
  await assert.rejects(doctor(sriov82599().spec, 'nonsense'), (err: unknown) => err instanceof InvalidArgumentError && err.code === 'ERR_INVALID_PCI_ADDRESS');
});
