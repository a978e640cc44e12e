/**
 * `ixgbevf smoke <vf> --bind` on a VF whose kernel interface is up (issue 14 follow-up of the bind
 * safety rule): refused before any check runs (exit 3, ERR_NETDEV_UP) with a fix that names the smoke
 * command; `--force` passes the override to the bind (the VF goes to vfio-pci for the test and back to
 * ixgbevf), and says the interface must be brought up again; `--force` without `--bind` is bad input.
 * Over a fake sysfs whose simulated kernel records every write; the VF open is faked to fail, so the
 * test stops after the environment checks and the release puts the driver back.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { EnvironmentError } from '../../src/errors.js';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { runCli, type CliResult } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const VF = '0000:01:10.0';
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

function setup(up: boolean): FakeSys {
  const { spec } = sriov82599({ vfDrivers: ['ixgbevf', 'vfio-pci'] });
  const vf = spec.devices.find((d) => d.address === VF)!;
  vf.netdevs = [{ name: 'enp1s16', up }];
  const f = new FakeSys(spec);
  fakes.push(f);
  // As the kernel: unbinding ixgbevf unregisters the VF's interface (the fake tree keeps it otherwise).
  f.kernel.onWrite = (rec) => {
    if (rec.path === 'bus/pci/drivers/ixgbevf/unbind' && rec.data.trim() === VF) {
      rmSync(path.join(f.plainOpts.sysRoot!, 'bus/pci/devices', VF, 'net'), { recursive: true, force: true });
      rmSync(path.join(f.plainOpts.sysRoot!, 'class/net/enp1s16'), { force: true });
    }
  };
  return f;
}

const refusedOpen: OpenVfFn = async () => {
  throw new EnvironmentError('ERR_TEST_NO_VFIO', 'this test opens no VF');
};

function smoke(f: FakeSys, args: string[]): Promise<CliResult> {
  return runCli(['smoke', VF, ...args], { sysfs: f.opts, openVf: refusedOpen });
}

const driverWrites = (f: FakeSys): string[] => f.kernel.writes.map((w) => `${w.path}=${w.data.trim()}`);

test('smoke --bind on a VF whose interface is up: exit 3 before any check, nothing written, the fix names smoke --bind --force', async () => {
  const f = setup(true);
  const r = await smoke(f, ['--bind']);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, '', 'no check ran');
  assert.match(r.stderr, /^ixgbevf: error: 0000:01:10\.0 is in use: its interface enp1s16 \(driver ixgbevf\) is up, and --bind would take the VF from it for the test$/m);
  assert.match(r.stderr, /^ {2}fix: ip link set enp1s16 down, then retry \(or: ixgbevf smoke 0000:01:10\.0 --bind --force\)$/m);
  assert.deepEqual(driverWrites(f), []);
  assert.equal(f.driverOf(VF), 'ixgbevf');
  const j = await smoke(f, ['--bind', '--json']);
  assert.equal(j.code, 3);
  assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'ERR_NETDEV_UP');
});

test('smoke --bind --force: the VF goes to vfio-pci for the test and back to ixgbevf; a note says to bring the interface up', async () => {
  const f = setup(true);
  const r = await smoke(f, ['--bind', '--force']);
  assert.match(r.stdout, /\[pass\] env\.driver +bound to vfio-pci for the test \(was ixgbevf; put back at the end\)/);
  assert.match(r.stdout, /\[FAIL\] env\.open/);
  const writes = driverWrites(f);
  assert.ok(writes.includes(`bus/pci/devices/${VF}/driver_override=vfio-pci`), writes.join('\n'));
  assert.ok(writes.some((w) => /drivers\/vfio-pci\/bind=|drivers_probe=0000:01:10\.0/.test(w)), writes.join('\n'));
  assert.equal(f.driverOf(VF), 'ixgbevf', `put back on its driver after the test:\n${r.stdout}`);
  assert.match(r.stderr, /note: enp1s16 was up before the test; --bind --force took the VF from ixgbevf\. Once it is back there, bring the interface up again: ip link set enp1s16 up/);
  assert.equal(r.code, 3, 'the open failed (environment): the exit code of the first failed check');
});

test('smoke --bind on a VF whose interface is down needs no --force', async () => {
  const f = setup(false);
  const r = await smoke(f, ['--bind']);
  assert.match(r.stdout, /\[pass\] env\.driver +bound to vfio-pci for the test \(was ixgbevf/);
  assert.doesNotMatch(r.stderr, /was up before the test/);
  assert.equal(f.driverOf(VF), 'ixgbevf');
});

test('smoke --force without --bind is bad input (exit 2), and the hint parses', async () => {
  const f = setup(true);
  const r = await smoke(f, ['--force']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ixgbevf: error: --force only applies with --bind \(it lets --bind take a VF whose interface is up\) \(try: ixgbevf smoke 0000:01:10\.0 --bind --force\)$/m);
  assert.deepEqual(driverWrites(f), []);
});

test('smoke --bind on a VF whose interface state cannot be read: refused like an up one, the fix names smoke --bind --force', async () => {
  const f = setup(false);
  writeFileSync(path.join(f.plainOpts.sysRoot!, 'bus/pci/devices', VF, 'net/enp1s16/flags'), 'zz\n');
  const r = await smoke(f, ['--bind', '--json']);
  assert.equal(r.code, 3, r.stdout);
  const err = (JSON.parse(r.stdout) as { error: { code: string; hint: string } }).error;
  assert.equal(err.code, 'ERR_NETDEV_STATE_UNKNOWN');
  assert.equal(err.hint, `ip link show enp1s16; if it is down or unused: ixgbevf smoke ${VF} --bind --force`);
  assert.deepEqual(driverWrites(f), [], 'nothing written');
  assert.equal(f.driverOf(VF), 'ixgbevf');
});
