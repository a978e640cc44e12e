/**
 * A PF with hundreds of VFs: `list` reads each `virtfnN` link a bounded number of times. Before, every VF
 * re-read all of its PF's virtfn links to find its own index (quadratic: 302 VFs took 3.6 s). Counted
 * readlink calls, no timing.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { after, test } from 'node:test';
import { inventory } from '../../src/pci/inventory.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

test('a PF with 300 more VFs: all listed with their index, each virtfn link read a bounded number of times', async (t) => {
  const { spec } = sriov82599();
  for (let i = 0; i < 300; i++) {
    const addr = `0000:0${2 + (i >> 8)}:${((i >> 3) & 31).toString(16).padStart(2, '0')}.${i & 7}`;
    spec.devices.push({ address: addr, device: 0x10ed, pf: '0000:01:00.0', driver: i % 2 === 0 ? null : 'vfio-pci', iommuGroup: 100 + i });
  }
  const f = new FakeSys(spec);
  fakes.push(f);
  let virtfnReads = 0;
  const readlink = fsp.readlink.bind(fsp);
  t.mock.method(fsp, 'readlink', ((p: Parameters<typeof fsp.readlink>[0], o?: Parameters<typeof fsp.readlink>[1]) => {
    if (/\/virtfn\d+$/.test(String(p))) virtfnReads += 1;
    return readlink(p, o as never);
  }) as typeof fsp.readlink);
  const [pf] = await inventory({ ...f.opts, ip: false });
  assert.equal(pf!.vfs.length, 302);
  assert.deepEqual(pf!.vfs.map((v) => v.index), [...Array(302).keys()]);
  assert.equal(pf!.vfs[150]!.device.vfIndex, 150);
  assert.ok(virtfnReads <= 3 * 302, `virtfn links read ${virtfnReads} times for 302 VFs`);
});
