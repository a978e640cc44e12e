/**
 * `list` and `doctor` over hostile sysfs trees: one PF or VF that cannot be read (an attribute with
 * garbage, a `virtfnN`/`physfn` link that dangles, loops or points outside /sys, a `virtfnN` naming a
 * device that is not a VF of that PF) is reported in its place, and every other PF and VF is still
 * listed (exit 0). Before, the first such entry ended the whole command, often as exit 2 "invalid PCI
 * address" for a name the user never typed. Text read from sysfs never reaches the terminal raw.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { runCliProcess } from '../helpers/cli-proc.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const PF = '0000:01:00.0';
const VF0 = '0000:01:10.0';
const VF1 = '0000:01:10.2';
const PF2 = '0000:03:00.0';
const PF2VF = '0000:03:10.0';
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

/** The 82599 PF with 2 VFs, and an X550 PF (0000:03:00.0) with one VF. */
function setup(): FakeSys {
  const { spec } = sriov82599({ vfDrivers: ['vfio-pci', 'ixgbevf'] });
  spec.devices.push(
    { address: PF2, device: 0x1563, driver: 'ixgbe', iommuGroup: 40, sriov: { totalVfs: 63 }, netdevs: [{ name: 'enp3s0f0' }] },
    { address: PF2VF, device: 0x1565, pf: PF2, driver: 'vfio-pci', iommuGroup: 41 },
  );
  const f = new FakeSys(spec);
  fakes.push(f);
  return f;
}

const relink = (target: string, link: string): void => {
  rmSync(link, { force: true });
  symlinkSync(target, link);
};

interface Problem {
  address: string | null;
  link: string | null;
  code: string;
  message: string;
}
interface ListDoc {
  problems: Problem[];
  pfs: { address: string; totalVfs: number | null; numVfs: number | null; vfs: { address: string; family: string | null }[]; problems: Problem[] }[];
}

async function list(f: FakeSys): Promise<{ code: number; doc: ListDoc; text: string; stderr: string }> {
  const j = await runCli(['list', '--json'], { sysfs: f.opts });
  const t = await runCli(['list'], { sysfs: f.opts });
  assert.equal(t.code, j.code, `text and --json exit alike: ${t.stderr}`);
  return { code: j.code, doc: JSON.parse(j.stdout) as ListDoc, text: t.stdout, stderr: t.stderr + j.stderr };
}

test('a PF whose vendor is garbage is reported; the other PF and its VF are listed (exit 0)', async () => {
  const f = setup();
  writeFileSync(path.join(f.devDir(PF), 'vendor'), 'zzz\n');
  const r = await list(f);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.doc.pfs.map((p) => p.address), [PF2]);
  assert.deepEqual(r.doc.pfs[0]!.vfs.map((v) => v.address), [PF2VF]);
  assert.equal(r.doc.problems.length, 1);
  assert.equal(r.doc.problems[0]!.address, PF);
  assert.equal(r.doc.problems[0]!.code, 'ERR_SYSFS_READ');
  assert.match(r.doc.problems[0]!.message, /0000:01:00\.0\/vendor: it holds "zzz", not a 16-bit PCI ID$/);
  assert.match(r.text, /^PF 0000:01:00\.0: not listed: cannot use .*vendor: it holds "zzz", not a 16-bit PCI ID$/m);
  assert.match(r.text, /^PF 0000:03:00\.0 /m);
  const doctor = await runCli(['doctor', '--json'], { sysfs: f.opts });
  const report = JSON.parse(doctor.stdout) as { checks: { id: string; status: string; message: string }[] };
  assert.ok(report.checks.some((c) => c.id === 'sriov' && c.status === 'pass' && c.message.includes(PF2)), doctor.stdout);
  assert.ok(report.checks.some((c) => c.id === 'sriov' && c.status === 'warn' && c.message.includes('"zzz"')), doctor.stdout);
});

test('virtfnN links that dangle, point outside /sys, loop, or name a device that is not a VF of the PF: reported, the real VFs listed', async () => {
  const f = setup();
  const pf = f.devDir(PF);
  symlinkSync('../0000:01:1f.7', path.join(pf, 'virtfn5')); // dangling
  symlinkSync('/etc', path.join(pf, 'virtfn6')); // outside
  symlinkSync('virtfn8', path.join(pf, 'virtfn7')); // loop
  symlinkSync('virtfn7', path.join(pf, 'virtfn8'));
  symlinkSync(`../${PF}`, path.join(pf, 'virtfn9')); // the PF itself
  symlinkSync('../0000:00:01.0', path.join(pf, 'virtfn10')); // the root port
  const r = await list(f);
  assert.equal(r.code, 0, r.stderr);
  const p = r.doc.pfs.find((x) => x.address === PF)!;
  assert.deepEqual(p.vfs.map((v) => v.address), [VF0, VF1]);
  assert.deepEqual(r.doc.pfs.find((x) => x.address === PF2)!.vfs.map((v) => v.address), [PF2VF]);
  const byLink = (n: string): Problem | undefined => p.problems.find((x) => (x.link ?? '').endsWith(n));
  assert.match(byLink('virtfn5')!.message, /no PCI device 0000:01:1f\.7/);
  assert.match(byLink('virtfn6')!.message, /virtfn6 points to "\/etc", not to a PCI device/);
  assert.match(byLink('virtfn7')!.message, /not to a PCI device/);
  assert.equal(byLink('virtfn9')!.code, 'ERR_NOT_A_VF_OF_PF');
  assert.equal(byLink('virtfn10')!.code, 'ERR_NOT_A_VF_OF_PF');
  assert.doesNotMatch(r.text + r.stderr, /invalid PCI address/);
  assert.doesNotMatch(r.text, /^\s+(9|10)\s+0000:/m, 'the PF and the root port are not VF rows');
});

test('a VF whose physfn dangles, loops or points outside /sys: doctor <vf> reports it (exit 3), not exit 2 "invalid PCI address"', async () => {
  for (const target of ['/etc', 'loop', '../0000:09:00.0']) {
    const f = setup();
    const link = path.join(f.devDir(VF0), 'physfn');
    relink(target, link);
    if (target === 'loop') symlinkSync('physfn', path.join(f.devDir(VF0), 'loop'));
    const r = await runCli(['doctor', VF0, '--json'], { sysfs: f.opts });
    assert.equal(r.code, 3, `${target}: ${r.stdout}`);
    const report = JSON.parse(r.stdout) as { checks: { id: string; status: string; message: string }[] };
    const failed = report.checks.filter((c) => c.status === 'fail');
    assert.ok(failed.length > 0, r.stdout);
    assert.ok(failed.some((c) => /physfn|0000:09:00\.0/.test(c.message)), `${target}: ${JSON.stringify(failed)}`);
    assert.doesNotMatch(r.stdout, /ERR_INVALID_PCI_ADDRESS/);
  }
});

test('text from sysfs never reaches the output raw: a driver link with a newline, driver_override with an escape sequence, 4 MiB of hex', async () => {
  const f = setup();
  relink('../x\nixgbevf: error: injected', path.join(f.devDir(VF1), 'driver'));
  writeFileSync(path.join(f.devDir(PF2VF), 'driver_override'), 'zz\u001b[31mred\n');
  writeFileSync(path.join(f.devDir(VF0), 'vendor'), Buffer.alloc(4 << 20, 0x41));
  const r = await list(f);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.text, /^ixgbevf: error: injected/m, 'no forged error line');
  assert.doesNotMatch(r.text, /Infinity/);
  assert.deepEqual(r.doc.pfs.find((x) => x.address === PF)!.vfs, [], 'both VFs of the first PF reported instead');
  assert.match(r.text, /virtfn1 → 0000:01:10\.2: not listed: .*driver: it points to "\.\.\/x\\nixgbevf: error: injected", not to a PCI driver$/m);
  assert.match(r.text, /virtfn0 → 0000:01:10\.0: not listed: .*vendor: longer than 65536 bytes/m);
  const doctor = await runCli(['doctor', PF2VF], { sysfs: f.opts });
  assert.doesNotMatch(doctor.stdout, /\u001b/);
  const bind = await runCli(['bind', VF1, '--force'], { sysfs: f.opts });
  assert.equal(bind.code, 3);
  assert.equal(bind.stderr.split('\n').filter((l) => l.startsWith('ixgbevf: error:')).length, 1, bind.stderr);
  assert.deepEqual(f.kernel.writes, []);
});

test('a PF whose sriov_totalvfs is garbage still lists its VFs (count unknown: null, "?")', async () => {
  const f = setup();
  writeFileSync(path.join(f.devDir(PF), 'sriov_totalvfs'), 'zzz\n');
  const r = await list(f);
  assert.equal(r.code, 0, r.stderr);
  const p = r.doc.pfs.find((x) => x.address === PF)!;
  assert.equal(p.totalVfs, null);
  assert.deepEqual(p.vfs.map((v) => v.address), [VF0, VF1]);
  assert.match(r.text, /^PF 0000:01:00\.0 .* VFs 2\/\?$/m);
  for (const argv of [['bind', PF, '--force'], ['unbind', PF, '--from', 'ixgbe', '--force']]) {
    const b = await runCli(argv, { sysfs: f.opts });
    assert.equal(b.code, 2, b.stderr);
    assert.match(b.stderr, /is an SR-IOV PF, not a VF/);
  }
  assert.deepEqual(f.kernel.writes, []);
});

const proc = (f: FakeSys, args: string[]): ReturnType<typeof runCliProcess> => runCliProcess(args, f.env);

test('the real binary: a FIFO as a VF\'s vendor and a symlink loop named by a virtfn link: list reports them and lists the rest', async () => {
  const f = setup();
  const vendor = path.join(f.devDir(VF0), 'vendor');
  rmSync(vendor);
  execFileSync('mkfifo', [vendor]);
  const bus = path.join(f.sysRoot, 'bus/pci/devices');
  symlinkSync('0000:01:10.4', path.join(bus, '0000:01:10.6'));
  symlinkSync('0000:01:10.6', path.join(bus, '0000:01:10.4'));
  symlinkSync('../0000:01:10.4', path.join(f.devDir(PF), 'virtfn7'));
  const r = await proc(f, ['list', '--json']);
  assert.equal(r.hung, false, 'list blocked on the FIFO');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as ListDoc;
  const p = doc.pfs.find((x) => x.address === PF)!;
  assert.deepEqual(p.vfs.map((v) => v.address), [VF1]);
  assert.match(p.problems.find((x) => x.address === VF0)!.message, /vendor: a FIFO, not an attribute file/);
  assert.match(p.problems.find((x) => x.address === '0000:01:10.4')!.message, /ELOOP \(a symlink loop\)/);
  const doctor = await proc(f, ['doctor']);
  assert.equal(doctor.hung, false);
  assert.doesNotMatch(doctor.stderr, /internal error|this is a bug/);
});
