/**
 * The smoke test's release group over a fake sysfs tree (its simulated kernel records every write and
 * moves the driver links): `--bind` moves the VF to vfio-pci, and the release puts it back on its driver
 * whichever way the run ends. The VF open is faked: the PCI address opens a `sim` VF (with the PF
 * setting the test names), so the run gets as far as the test lets it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { openVf } from '../../src/open/open-vf.js';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const VF = '0000:01:10.0';
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

/** An 82599 PF with its VF 0000:01:10.0 on ixgbevf (its interface absent: nothing is up). */
function tree(): FakeSys {
  const f = new FakeSys(sriov82599({ vfDrivers: ['ixgbevf', 'ixgbevf'] }).spec);
  fakes.push(f);
  return f;
}

/** Opens `sim…` in place of the PCI address (kept as the handle's id). */
function simFor(simSpec: string): OpenVfFn {
  return async (spec, options) => ({ ...(await openVf(simSpec, options)), id: spec });
}

interface Doc {
  exitCode: number;
  checks: { id: string; status: string; reason: string }[];
}

test('smoke --bind with the PF down: reset.answer fails, and release.driver still puts the VF back on ixgbevf (it was left on vfio-pci)', async () => {
  const f = tree();
  const r = await runCli(['smoke', VF, '--bind', '--json'], { sysfs: f.opts, openVf: simFor('sim:pf=down') });
  const doc = JSON.parse(r.stdout) as Doc;
  const byId = new Map(doc.checks.map((c) => [c.id, c]));
  assert.equal(byId.get('env.driver')?.status, 'pass', r.stdout);
  assert.equal(byId.get('reset.answer')?.status, 'fail');
  assert.equal(byId.get('release.driver')?.status, 'pass', JSON.stringify(byId.get('release.driver')));
  assert.match(byId.get('release.driver')!.reason, /back on ixgbevf/);
  assert.equal(f.driverOf(VF), 'ixgbevf', 'the VF is back on its driver');
  assert.equal(doc.checks.length, 28, 'every check is in the report, release.driver included');
  assert.equal(doc.exitCode, 4, 'the exit code of the failed reset');
  assert.equal(r.code, 4);
});
