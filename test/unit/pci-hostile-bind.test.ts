/**
 * bind / unbind over hostile sysfs trees, root safety first: a VF whose interface state cannot be read
 * may be up, so it is refused like an up one (exit 3, ERR_NETDEV_STATE_UNKNOWN) unless --force; before,
 * an unreadable `flags` (or a class/net entry missing) counted as down and the VF was taken from its
 * interface.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const VF1 = '0000:01:10.2'; // on ixgbevf, interface enp1s0f0v1 (up)
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

function setup(): FakeSys {
  const { spec } = sriov82599({ vfDrivers: ['vfio-pci', 'ixgbevf'] });
  const f = new FakeSys(spec);
  fakes.push(f);
  return f;
}

const flagsFile = (f: FakeSys): string => path.join(f.sysRoot, 'class/net/enp1s0f0v1/flags');

for (const [what, breakIt] of [
  ['flags holds garbage', (f: FakeSys) => writeFileSync(flagsFile(f), 'zz\n')],
  ['flags is missing', (f: FakeSys) => rmSync(flagsFile(f))],
  ['the class/net entry is missing', (f: FakeSys) => rmSync(path.join(f.sysRoot, 'class/net/enp1s0f0v1'))],
] as const) {
  test(`a VF whose interface state cannot be read (${what}) is refused by bind and unbind --from: exit 3, nothing written; --force takes it`, async () => {
    const f = setup();
    breakIt(f);
    for (const argv of [['bind', VF1], ['unbind', VF1, '--from', 'ixgbevf']]) {
      const r = await runCli(argv, { sysfs: f.opts });
      assert.equal(r.code, 3, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^ixgbevf: error: 0000:01:10\.2 may be in use: the state of its interface enp1s0f0v1 \(driver ixgbevf\) cannot be read/m);
      assert.match(r.stderr, new RegExp(`^  fix: ip link show enp1s0f0v1; if it is down or unused: ixgbevf ${argv[0]} 0000:01:10\\.2 --force${argv[0] === 'unbind' ? ' --from ixgbevf' : ''}$`, 'm'));
      const j = await runCli([...argv, '--json'], { sysfs: f.opts });
      assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'ERR_NETDEV_STATE_UNKNOWN');
    }
    assert.deepEqual(f.kernel.writes, []);
    assert.equal(f.driverOf(VF1), 'ixgbevf');
    const forced = await runCli(['bind', VF1, '--force'], { sysfs: f.opts });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(f.driverOf(VF1), 'vfio-pci');
  });
}

for (const errno of ['EBUSY', 'ENODEV', 'EACCES']) {
  test(`bind whose unbind from the current driver fails (${errno}): the error is reported and driver_override is given back its old value`, async () => {
    const f = setup();
    writeFileSync(flagsFile(f), '0x1002\n'); // the VF's interface is down: bind may take it
    f.kernel.onWrite = (rec) => {
      if (rec.path === 'bus/pci/drivers/ixgbevf/unbind') throw Object.assign(new Error(`${errno}: write`), { code: errno });
    };
    const r = await runCli(['bind', VF1, '--json'], { sysfs: f.opts });
    assert.equal(r.code, 3, r.stdout);
    const err = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, errno === 'EACCES' ? 'ERR_PERMISSION_DENIED' : 'ERR_SYSFS_WRITE');
    assert.match(err.message, new RegExp(`unbind 0000:01:10\\.2 from ixgbevf: .*\\(${errno}\\)`));
    assert.equal(f.driverOf(VF1), 'ixgbevf');
    assert.notEqual(f.readOverride(VF1).trim(), 'vfio-pci', 'a failed bind must not leave the VF set to go to vfio-pci on its next probe');
    assert.deepEqual(
      f.kernel.writes.map((w) => `${w.path}=${JSON.stringify(w.data)}`),
      [`bus/pci/devices/${VF1}/driver_override="vfio-pci"`, `bus/pci/drivers/ixgbevf/unbind="${VF1}"`, `bus/pci/devices/${VF1}/driver_override="\\n"`],
    );
  });
}
