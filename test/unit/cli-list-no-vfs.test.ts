/**
 * `list` on a PF without VFs (after rmmod/modprobe igb in the igb rig, the VFs are gone): its hint was
 * `echo 0 > .../sriov_drivers_autoprobe; echo 2 > .../sriov_numvfs`, with `...` where the path goes. It names
 * the PF's own sysfs files, so the commands run as printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

test('list: a PF with no VFs gets the two commands that create some, with its own sysfs paths', async () => {
  const { spec, pf } = sriov82599();
  spec.devices = spec.devices.filter((d) => d.pf === undefined);
  const sys = new FakeSys(spec);
  try {
    const r = await runCli(['list'], { sysfs: sys.opts });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.stdout.includes(`  no VFs (create some: echo 0 > /sys/bus/pci/devices/${pf}/sriov_drivers_autoprobe; echo 2 > /sys/bus/pci/devices/${pf}/sriov_numvfs)`),
      r.stdout,
    );
    assert.doesNotMatch(r.stdout, /\.\.\.\//);
  } finally {
    sys.cleanup();
  }
});
