import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EnvironmentError, InvalidArgumentError } from '../../src/errors.js';
import { VfioDevice } from '../../src/vfio/index.js';
import { mapOpenError } from '../../src/vfio/errors.js';
import { addon, fakeSysfs, tempDir } from './helpers.js';

const VF = '0000:03:10.0';

function setup(t: { after(fn: () => void): void }) {
  const dir = tempDir(t, 'ixgbevf-vfio-');
  const sysfs = fakeSysfs(join(dir, 'sys'), [
    { address: VF, group: 7, driver: 'vfio-pci' },
    { address: '0000:03:00.0', group: 7, driver: 'ixgbe' },
    { address: '0000:04:00.0' }, // no iommu_group
  ]);
  const devVfio = join(dir, 'dev-vfio');
  mkdirSync(devVfio);
  return { dir, sysfs, devVfio };
}

async function openError(address: string, opts: Parameters<typeof VfioDevice.open>[1]): Promise<EnvironmentError | InvalidArgumentError> {
  try {
    const d = await VfioDevice.open(address, opts);
    d.close();
  } catch (err) {
    assert.ok(err instanceof EnvironmentError || err instanceof InvalidArgumentError, `unexpected ${String(err)}`);
    return err;
  }
  assert.fail('open succeeded');
}

describe('VfioDevice.open errors (fake sysfs, no VFIO)', () => {
  test('malformed address → ERR_INVALID_PCI_ADDRESS, exit 2, before touching anything', async () => {
    for (const bad of ['', 'eth0', '0000:03:10', '03:10.8', '0000:03:20.0', '../../etc', '0000:03:10.0 vf_token=x']) {
      const err = await openError(bad, { sysfsRoot: '/nonexistent' });
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.code, 'ERR_INVALID_PCI_ADDRESS');
      assert.equal(err.exitCode, 2);
    }
  });

  test('no such device → ERR_NO_DEVICE with hint, native facts in details', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const err = await openError('0000:99:00.0', { sysfsRoot: sysfs, devVfioRoot: devVfio });
    assert.ok(err instanceof EnvironmentError);
    assert.equal(err.code, 'ERR_NO_DEVICE');
    assert.equal(err.exitCode, 3);
    assert.equal(err.hint, 'ixgbevf list');
    assert.match(err.message, /0000:99:00\.0/);
    assert.equal(err.details['nativeCode'], 'ENOENT');
    assert.equal(err.details['syscall'], 'stat');
    assert.equal(err.details['errno'], 2);
  });

  test('short address form is normalised (domain 0000)', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const err = await openError('99:00.0', { sysfsRoot: sysfs, devVfioRoot: devVfio });
    assert.equal(err.code, 'ERR_NO_DEVICE');
    assert.equal(err.details['address'], '0000:99:00.0');
  });

  test('device without iommu_group → ERR_NO_IOMMU_GROUP', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const err = await openError('0000:04:00.0', { sysfsRoot: sysfs, devVfioRoot: devVfio });
    assert.equal(err.code, 'ERR_NO_IOMMU_GROUP');
    assert.match(err.hint ?? '', /intel_iommu=on/);
    assert.match(err.hint ?? '', /noiommu/);
  });

  test('group node missing → ERR_NOT_BOUND_VFIO naming the group, hint ixgbevf bind', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const err = await openError(VF, { sysfsRoot: sysfs, devVfioRoot: devVfio });
    assert.equal(err.code, 'ERR_NOT_BOUND_VFIO');
    assert.equal(err.hint, `ixgbevf bind ${VF}`);
    assert.equal(err.details['group'], 7);
    assert.equal(err.details['path'], join(devVfio, '7'));
  });

  test('noiommu-N node is tried after N; container missing → ERR_NO_VFIO', async (t) => {
    const { sysfs, devVfio } = setup(t);
    writeFileSync(join(devVfio, 'noiommu-7'), '');
    const err = await openError(VF, { sysfsRoot: sysfs, devVfioRoot: devVfio });
    assert.equal(err.code, 'ERR_NO_VFIO');
    assert.equal(err.details['path'], join(devVfio, 'vfio'));
  });

  test('a group node that is not VFIO fails at the first ioctl with a coded error, fds closed', async (t) => {
    const { sysfs, devVfio } = setup(t);
    writeFileSync(join(devVfio, '7'), '');
    writeFileSync(join(devVfio, 'vfio'), '');
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const err = await openError(VF, { sysfsRoot: sysfs, devVfioRoot: devVfio });
    assert.equal(readdirSync('/proc/self/fd').length, fdsBefore, 'open leaked a file descriptor');
    assert.equal(err.code, 'ERR_VFIO');
    assert.equal(err.details['nativeCode'], 'ENOTTY');
    assert.equal(err.details['syscall'], 'ioctl(VFIO_GET_API_VERSION)');
  });

  test('native openDevice argument validation', () => {
    const open = addon.openDevice as (...a: unknown[]) => unknown;
    assert.throws(() => open(), TypeError);
    assert.throws(() => open(42), TypeError);
    assert.throws(() => open('0000:03:10.0', 'x'), TypeError);
    assert.throws(() => open('0000:03:10.0', { sysfsRoot: 1 }), TypeError);
    assert.throws(() => open('../x'), RangeError);
    assert.throws(() => open(''), RangeError);
  });
});

describe('mapOpenError (synthetic native errors)', () => {
  const native = (code: string, syscall: string, path: string, errno?: number) =>
    Object.assign(new Error(`${code}: test`), { code, syscall, path, ...(errno === undefined ? {} : { errno }) });

  test('EACCES → ERR_PERMISSION with chown / --user hint', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const err = (await mapOpenError(native('EACCES', 'open', join(devVfio, '7'), 13), { address: VF, sysfsRoot: sysfs, devVfioRoot: devVfio })) as EnvironmentError;
    assert.equal(err.code, 'ERR_PERMISSION');
    assert.match(err.hint ?? '', /sudo chown \$USER .*\/7/);
    assert.match(err.hint ?? '', /--user \$USER/);
  });

  test('EBUSY → ERR_DEVICE_BUSY naming the holding process (fake /proc)', async (t) => {
    const { dir, sysfs, devVfio } = setup(t);
    const proc = join(dir, 'proc');
    mkdirSync(join(proc, '4242', 'fd'), { recursive: true });
    writeFileSync(join(proc, '4242', 'comm'), 'qemu-system-x86\n');
    symlinkSync(join(devVfio, '7'), join(proc, '4242', 'fd', '9'));
    mkdirSync(join(proc, '77', 'fd'), { recursive: true });
    symlinkSync('/dev/null', join(proc, '77', 'fd', '0'));
    const err = (await mapOpenError(native('EBUSY', 'open', join(devVfio, '7'), 16), { address: VF, sysfsRoot: sysfs, devVfioRoot: devVfio, procRoot: proc })) as EnvironmentError;
    assert.equal(err.code, 'ERR_DEVICE_BUSY');
    assert.match(err.message, /qemu-system-x86 \(pid 4242\)/);
    // A command first, the harmless one (the holder may be a daemon to go through, or a VM); the kill after.
    assert.match(err.hint ?? '', /^ixgbevf list {3}\(shows whether an ixgbevf daemon owns .*else stop qemu-system-x86 \(kill 4242\) first\)$/);
    const nobody = (await mapOpenError(native('EBUSY', 'open', join(devVfio, '7'), 16), { address: VF, sysfsRoot: sysfs, devVfioRoot: devVfio, procRoot: join(dir, 'empty-proc') })) as EnvironmentError;
    assert.match(nobody.hint ?? '', /^ixgbevf list {3}\(.*else find the holder: fuser -v .*\/7\)$/);
    assert.deepEqual(err.details['holders'], [{ pid: 4242, command: 'qemu-system-x86' }]);
  });

  test('not viable → ERR_GROUP_NOT_VIABLE listing the member bound elsewhere', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const err = (await mapOpenError(
      Object.assign(new Error('not viable'), { code: 'ERR_GROUP_NOT_VIABLE', syscall: 'ioctl(VFIO_GROUP_GET_STATUS)', path: join(devVfio, '7') }),
      { address: VF, sysfsRoot: sysfs, devVfioRoot: devVfio },
    )) as EnvironmentError;
    assert.equal(err.code, 'ERR_GROUP_NOT_VIABLE');
    assert.match(err.message, /group 7 is not viable: 0000:03:00\.0 in the same group is bound to ixgbe/);
    // Not an ixgbe/igb VF (ixgbevf bind refuses it, which the fix used to suggest): only its unbind.
    assert.equal(err.hint, `echo 0000:03:00.0 > ${join(sysfs, 'bus/pci/devices/0000:03:00.0/driver/unbind')}`);
  });

  test('not viable because of the VF\'s own PF (no ACS): never an unbind of the PF (its VFs would go), the ACS/noiommu way out', async (t) => {
    const { sysfs, devVfio } = setup(t);
    symlinkSync(join(sysfs, 'devices/pci0000:00/0000:03:00.0'), join(sysfs, 'devices/pci0000:00', VF, 'physfn'));
    const err = (await mapOpenError(
      Object.assign(new Error('not viable'), { code: 'ERR_GROUP_NOT_VIABLE', syscall: 'ioctl(VFIO_GROUP_GET_STATUS)', path: join(devVfio, '7') }),
      { address: VF, sysfsRoot: sysfs, devVfioRoot: devVfio },
    )) as EnvironmentError;
    assert.match(err.hint ?? '', /^the PF 0000:03:00\.0 shares the VF's group \(no ACS isolation\) and cannot leave ixgbe/);
    assert.doesNotMatch(err.hint ?? '', /unbind|ixgbevf bind/);
  });

  test('not viable because of another ixgbe VF on ixgbevf: ixgbevf bind takes it', async (t) => {
    const { sysfs, devVfio } = setup(t);
    const other = join(sysfs, 'devices/pci0000:00/0000:03:00.0');
    writeFileSync(join(other, 'vendor'), '0x8086\n');
    writeFileSync(join(other, 'device'), '0x10ed\n');
    const err = (await mapOpenError(
      Object.assign(new Error('not viable'), { code: 'ERR_GROUP_NOT_VIABLE', syscall: 'ioctl(VFIO_GROUP_GET_STATUS)', path: join(devVfio, '7') }),
      { address: VF, sysfsRoot: sysfs, devVfioRoot: devVfio },
    )) as EnvironmentError;
    assert.equal(err.hint, 'ixgbevf bind 0000:03:00.0');
  });

  test('EINVAL from GET_DEVICE_FD → ERR_VFIO_DEVICE_FD; vf_token only when the PF is on vfio-pci', async (t) => {
    const { dir, devVfio } = setup(t);
    const e = native('EINVAL', 'ioctl(VFIO_GROUP_GET_DEVICE_FD)', join(devVfio, '7'), 22);
    const plain = fakeSysfs(join(dir, 'sys2'), [{ address: VF, group: 7, physfnDriver: 'ixgbe' }]);
    const a = (await mapOpenError(e, { address: VF, sysfsRoot: plain, devVfioRoot: devVfio })) as EnvironmentError;
    assert.equal(a.code, 'ERR_VFIO_DEVICE_FD');
    assert.doesNotMatch(`${a.message} ${a.hint}`, /token/i);
    const tokenSys = fakeSysfs(join(dir, 'sys3'), [{ address: VF, group: 7, physfnDriver: 'vfio-pci' }]);
    const b = (await mapOpenError(e, { address: VF, sysfsRoot: tokenSys, devVfioRoot: devVfio })) as EnvironmentError;
    assert.equal(b.code, 'ERR_VFIO_DEVICE_FD');
    assert.match(`${b.message} ${b.hint}`, /token/i);
  });

  test('non-native errors pass through unchanged', async () => {
    const plain = new TypeError('x');
    assert.equal(await mapOpenError(plain, { address: VF, sysfsRoot: '/x', devVfioRoot: '/y' }), plain);
  });
});
