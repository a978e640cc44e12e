/**
 * `ixgbevf smoke <address> --bind` where the address is not a VF this tool may take, over a fake sysfs
 * tree whose simulated kernel records every write: a PF (its interface up: the in-use rule must not be what
 * answers, or its fix says to take the PF's own interface down) or another device is refused before any
 * check (exit 2, as `ixgbevf bind`), `--force` or not; an address with no device is reported by env.driver,
 * and release.driver does not claim the VF "was already on vfio-pci". Nothing is written in any case.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { EnvironmentError } from '../../src/errors.js';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

const noOpen: OpenVfFn = async () => {
  throw new EnvironmentError('ERR_TEST_NO_VFIO', 'this test opens no VF');
};

function tree(): FakeSys {
  const f = new FakeSys(sriov82599({ vfDrivers: ['ixgbevf', 'ixgbevf'], pfUp: true }).spec);
  fakes.push(f);
  return f;
}

interface Doc {
  error?: { code: string; message: string; hint?: string; exitCode: number };
  checks?: { id: string; status: string; reason: string; error?: { code: string } }[];
}

for (const [what, address, code] of [
  ['the PF (its interface up)', '0000:01:00.0', 'ERR_DEVICE_IS_PF'],
  ['a PCIe port', '0000:00:01.0', 'ERR_NOT_A_FAMILY_VF'],
] as const) {
  for (const force of [false, true]) {
    test(`smoke ${what} --bind${force ? ' --force' : ''}: refused before any check (exit 2, ${code}), nothing written, no fix that takes an interface down`, async () => {
      const f = tree();
      const r = await runCli(['smoke', address, '--bind', ...(force ? ['--force'] : []), '--json'], { sysfs: f.opts, openVf: noOpen });
      const doc = JSON.parse(r.stdout) as Doc;
      assert.equal(r.code, 2, r.stdout);
      assert.equal(doc.error?.code, code);
      assert.equal(doc.checks, undefined, 'no check ran');
      assert.doesNotMatch(doc.error?.hint ?? '', /ip link set \S+ down|--force/);
      assert.deepEqual(f.kernel.writes, []);
    });
  }
}

test('smoke --bind on an address with no device: env.driver fails (exit 3), release.driver says the VF was not moved, nothing written', async () => {
  const f = tree();
  const r = await runCli(['smoke', '0000:09:00.0', '--bind', '--json'], { sysfs: f.opts, openVf: noOpen });
  const doc = JSON.parse(r.stdout) as Doc;
  assert.equal(r.code, 3);
  const byId = new Map(doc.checks!.map((c) => [c.id, c]));
  assert.equal(byId.get('env.driver')?.error?.code, 'ERR_DEVICE_NOT_FOUND');
  assert.equal(byId.get('release.driver')?.status, 'skip');
  assert.match(byId.get('release.driver')!.reason, /not moved to vfio-pci/);
  assert.doesNotMatch(byId.get('release.driver')!.reason, /already on vfio-pci/);
  assert.deepEqual(f.kernel.writes, []);
});

for (const bind of [false, true]) {
  test(`smoke on an address with no device${bind ? ' --bind' : ''}: one failure, env.driver's ERR_DEVICE_NOT_FOUND with ixgbevf list as its fix (not ixgbevf bind); doctor and open not run`, async () => {
    const f = tree();
    const r = await runCli(['smoke', '0000:09:00.0', ...(bind ? ['--bind'] : []), '--json'], { sysfs: f.opts, openVf: noOpen });
    const doc = JSON.parse(r.stdout) as Doc & { summary: { failed: number } };
    assert.equal(r.code, 3);
    const byId = new Map(doc.checks!.map((c) => [c.id, c]));
    assert.equal(byId.get('env.driver')?.error?.code, 'ERR_DEVICE_NOT_FOUND');
    assert.equal((byId.get('env.driver') as { hint?: string }).hint, 'ixgbevf list');
    for (const id of ['env.doctor', 'env.open']) {
      assert.equal(byId.get(id)?.status, 'skip', id);
      assert.match(byId.get(id)!.reason, /no PCI device at that address/);
    }
    assert.equal(doc.summary.failed, 1);
    assert.deepEqual(f.kernel.writes, []);
  });
}

test('smoke --bind on a VF already on vfio-pci: release.driver still says so', async () => {
  const f = new FakeSys(sriov82599({ vfDrivers: ['vfio-pci', 'ixgbevf'] }).spec);
  fakes.push(f);
  const r = await runCli(['smoke', '0000:01:10.0', '--bind', '--json'], { sysfs: f.opts, openVf: noOpen });
  const doc = JSON.parse(r.stdout) as Doc;
  const c = doc.checks!.find((x) => x.id === 'release.driver')!;
  assert.equal(c.status, 'skip');
  assert.match(c.reason, /already on vfio-pci/);
});
