import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inventory } from '../../src/pci/inventory.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const fixture = fileURLToPath(new URL('../fixtures/ip-link-82599-2vfs.json', import.meta.url));

function fakeIpEnv(sys: FakeSys, script: string): NodeJS.ProcessEnv {
  const ip = path.join(sys.root, 'ip');
  writeFileSync(ip, `#!/bin/sh\n${script}\n`);
  chmodSync(ip, 0o755);
  return { ...process.env, PATH: `${sys.root}:${process.env.PATH ?? ''}` };
}

test('inventory: PF, netdev state, VFs with family, group, node and the PF view from ip -j', async () => {
  const { spec, pf, vf0, vf1 } = sriov82599({ groups: 'shared' });
  const sys = new FakeSys(spec);
  try {
    const env = fakeIpEnv(sys, `cat "${fixture}"`);
    const [p, ...rest] = await inventory({ ...sys.opts, ip: { env } });
    assert.equal(rest.length, 0);
    assert.equal(p!.device.address, pf);
    assert.equal(p!.ipError, null);
    assert.equal(p!.netdevs[0]!.adminUp, true);
    assert.deepEqual(p!.vfs.map((v) => [v.index, v.device.address, v.class.model, v.device.driver, v.groupViable]), [
      [0, vf0, '82599', 'vfio-pci', false],
      [1, vf1, '82599', 'ixgbevf', false], // not viable until the VF itself leaves ixgbevf
    ]);
    assert.deepEqual(p!.vfs[0]!.groupOffenders.map((m) => m.address), [pf]);
    assert.deepEqual(p!.vfs[1]!.groupOffenders.map((m) => m.address), [vf1]);
    assert.equal(p!.vfs[0]!.pfView?.mac, '02:00:00:00:00:01');
    assert.equal(p!.vfs[1]!.pfView?.trust, true);
    assert.equal(p!.vfs[0]!.vfioNode?.exists, true);
  } finally {
    sys.cleanup();
  }
});

test('inventory: an ip failure is reported in ipError, the sysfs facts remain; --pf filters', async () => {
  const { spec } = sriov82599();
  const sys = new FakeSys(spec);
  try {
    const env = fakeIpEnv(sys, 'echo garbage');
    const [p] = await inventory({ ...sys.opts, ip: { env }, pf: 'enp1s0f0' });
    assert.match(p!.ipError ?? '', /not JSON/);
    assert.equal(p!.vfs.length, 2);
    assert.equal(p!.vfs[0]!.pfView, null);
    assert.deepEqual(await inventory({ ...sys.opts, ip: false, pf: 'eth9' }), []);
  } finally {
    sys.cleanup();
  }
});
