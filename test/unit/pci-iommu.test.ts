import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  assessGroupViability,
  classifyMember,
  describeMembers,
  inspectVfioNode,
  readIommuGroup,
  readVfioEnvironment,
} from '../../src/pci/iommu.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

async function using(sys: FakeSys, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    sys.cleanup();
  }
}

test('viable group: the VF alone, on vfio-pci', async () => {
  const { spec, vf0 } = sriov82599();
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    assert.equal(await readIommuGroup(vf0, sys.opts), 20);
    const g = await assessGroupViability(20, sys.opts);
    assert.equal(g.viable, true);
    assert.deepEqual(g.members.map((m) => [m.address, m.driver, m.viable]), [[vf0, 'vfio-pci', true]]);
    assert.deepEqual(g.offenders, []);
  });
});

test('non-viable group: PF on ixgbe shares the VF group; members listed with drivers', async () => {
  const { spec, pf, vf0 } = sriov82599({ groups: 'shared' });
  const sys = new FakeSys(spec);
  await using(sys, async () => {
    const g = await assessGroupViability(1, sys.opts);
    assert.equal(g.viable, false);
    assert.deepEqual(g.offenders.map((m) => m.address), [pf]);
    assert.equal(g.offenders[0]!.reason, 'bound to ixgbe');
    // the root port on pcieport does not count against the group
    assert.equal(g.members.find((m) => m.address === '0000:00:01.0')!.viable, true);
    assert.equal(describeMembers(g.members), `0000:00:01.0 (pcieport), ${pf} (ixgbe), ${vf0} (vfio-pci)`);
  });
});

test('the viability rule, member by member', () => {
  assert.deepEqual(classifyMember(null, 0x020000), { viable: true, reason: 'unbound' });
  assert.equal(classifyMember('vfio-pci', 0x020000).viable, true);
  assert.equal(classifyMember('mlx5_vfio_pci', 0x020000).viable, true);
  assert.equal(classifyMember('pci-stub', 0x020000).viable, true);
  assert.equal(classifyMember('pcieport', 0x060400).viable, true);
  assert.equal(classifyMember('shpchp', 0x060400).viable, true); // any PCI bridge (pre-6.2 rule)
  assert.equal(classifyMember('ixgbevf', 0x020000).viable, false);
  assert.equal(classifyMember('vfio', 0x020000).viable, false);
  assert.equal(classifyMember('xhci_hcd', 0x0c0330).viable, false);
});

test('VFIO environment: IOMMU present, modules loaded, container accessible', async () => {
  const sys = new FakeSys(sriov82599().spec);
  await using(sys, async () => {
    const env = await readVfioEnvironment(sys.opts);
    assert.equal(env.iommuPresent, true);
    assert.deepEqual(env.iommuUnits, ['dmar0']);
    assert.equal(env.noiommuMode, false);
    assert.equal(env.vfioLoaded, true);
    assert.equal(env.vfioPciLoaded, true);
    assert.equal(env.vfioPciDriver, true);
    assert.equal(env.container.accessible, true);
  });
});

test('no IOMMU at all, vfio not loaded', async () => {
  const sys = new FakeSys(sriov82599({ iommu: false, groups: 'none', modules: [], vfDrivers: [null, 'ixgbevf'] }).spec);
  await using(sys, async () => {
    const env = await readVfioEnvironment(sys.opts);
    assert.equal(env.iommuPresent, false);
    assert.equal(env.noiommuMode, null);
    assert.equal(env.vfioLoaded, false);
    assert.equal(env.vfioPciLoaded, false);
    assert.equal(env.vfioPciDriver, false);
    assert.equal(env.container.exists, false);
    assert.equal(await readIommuGroup('0000:01:10.0', sys.opts), null);
  });
});

test('noiommu mode: the parameter and the /dev/vfio/noiommu-N node', async () => {
  const sys = new FakeSys(sriov82599({ iommu: false, noiommu: true }).spec);
  await using(sys, async () => {
    const env = await readVfioEnvironment(sys.opts);
    assert.equal(env.iommuPresent, false);
    assert.equal(env.noiommuMode, true);
    const node = await inspectVfioNode(20, sys.opts);
    assert.equal(node.exists, true);
    assert.equal(node.noiommu, true);
    assert.equal(node.path, path.join(sys.devRoot, 'vfio/noiommu-20'));
  });
});

test('/dev/vfio/N: owner, mode, and a missing node', async () => {
  const sys = new FakeSys({ ...sriov82599().spec, vfioNodes: [{ group: 20, mode: 0o660 }] });
  await using(sys, async () => {
    chownSync(path.join(sys.devRoot, 'vfio/20'), 1000, 1000);
    const node = await inspectVfioNode(20, sys.opts);
    assert.deepEqual(
      { exists: node.exists, noiommu: node.noiommu, uid: node.uid, gid: node.gid, mode: node.mode, accessible: node.accessible },
      { exists: true, noiommu: false, uid: 1000, gid: 1000, mode: 0o660, accessible: true },
    );
    const missing = await inspectVfioNode(21, sys.opts);
    assert.equal(missing.exists, false);
    assert.equal(missing.accessError, 'ENOENT');
    assert.equal(missing.path, path.join(sys.devRoot, 'vfio/21'));
  });
});

test('permission denied through an injected access check', async () => {
  const sys = new FakeSys(sriov82599().spec);
  await using(sys, async () => {
    const calls: [string, number][] = [];
    const access = async (file: string, mode: number): Promise<void> => {
      calls.push([file, mode]);
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    const node = await inspectVfioNode(20, { ...sys.opts, access });
    assert.equal(node.accessible, false);
    assert.equal(node.accessError, 'EACCES');
    assert.deepEqual(calls, [[path.join(sys.devRoot, 'vfio/20'), 6]]); // R_OK|W_OK
  });
});

const repo = fileURLToPath(new URL('../..', import.meta.url));
const canSwitchUser = typeof process.getuid === 'function' && process.getuid() === 0;

test('permission denied for real: a child running as uid 65534 against a root 0600 node', { skip: !canSwitchUser && 'needs root to spawn as uid 65534' }, async () => {
  const sys = new FakeSys(sriov82599().spec);
  await using(sys, async () => {
    chmodSync(sys.root, 0o755); // traversable; the node itself stays root:root 0600
    const script = `const m = await import(${JSON.stringify(path.join(repo, 'src/pci/iommu.ts'))});
      const o = { sysRoot: ${JSON.stringify(sys.sysRoot)}, devRoot: ${JSON.stringify(sys.devRoot)} };
      process.stdout.write(JSON.stringify({ node: await m.inspectVfioNode(20, o), env: await m.readVfioEnvironment(o) }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: repo, uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '', HOME: sys.root} },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const { node, env } = JSON.parse(out);
    assert.equal(node.exists, true);
    assert.equal(node.uid, 0);
    assert.equal(node.mode, 0o600);
    assert.equal(node.accessible, false);
    assert.equal(node.accessError, 'EACCES');
    assert.equal(env.container.accessible, true); // /dev/vfio/vfio is 0666
  });
});
