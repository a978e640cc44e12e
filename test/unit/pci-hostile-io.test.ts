/**
 * Hostile sysfs trees, through the real `ixgbevf` process: a FIFO, a directory or a symlink loop where a
 * sysfs attribute should be. Before, a FIFO blocked open(2) on a libuv thread for good (SIGTERM could not
 * end the command either) and a directory or loop was "internal error … this is a bug", exit 1. Now each
 * is a typed error naming the file (exit 3), and `list` reports the entry and lists the rest.
 * Every child is SIGKILLed if it has not ended after 30 s (a hang then fails the test; no timing check).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCliProcess } from '../helpers/cli-proc.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const VF0 = '0000:01:10.0';
const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

function setup(): FakeSys {
  const { spec } = sriov82599({ vfDrivers: ['vfio-pci', 'ixgbevf'] });
  const f = new FakeSys(spec);
  fakes.push(f);
  return f;
}


function fifo(file: string): void {
  rmSync(file, { force: true, recursive: true });
  execFileSync('mkfifo', [file]);
}

const cli = (f: FakeSys, args: string[]): ReturnType<typeof runCliProcess> => runCliProcess(args, f.env);

test('a FIFO as a VF\'s vendor: doctor and bind end with ERR_SYSFS_READ (exit 3), one JSON document', async () => {
  const f = setup();
  fifo(path.join(f.devDir(VF0), 'vendor'));
  for (const args of [['doctor', VF0, '--json'], ['bind', VF0, '--json']]) {
    const r = await cli(f, args);
    assert.equal(r.hung, false, `${args.join(' ')} blocked on the FIFO`);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { error?: { code: string; message: string }; checks?: { message: string }[] };
    assert.match(JSON.stringify(doc), /vendor: a FIFO, not an attribute file/);
  }
});

test('a FIFO as a driver\'s bind file or as drivers_probe: unbind ends (exit 3) instead of hanging', async () => {
  for (const file of ['bus/pci/drivers/ixgbevf/bind', 'bus/pci/drivers_probe']) {
    const f = setup();
    fifo(path.join(f.sysRoot, file));
    const r = await cli(f, ['unbind', VF0, ...(file.includes('ixgbevf') ? ['--driver', 'ixgbevf'] : [])]);
    assert.equal(r.hung, false, `unbind blocked on ${file}`);
    assert.equal(r.code, 3, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|this is a bug/);
  }
});

test('a FIFO as vfio-pci\'s unbind file: unbind fails at once with ERR_SYSFS_WRITE (exit 3), never hangs', async () => {
  const f = setup();
  fifo(path.join(f.sysRoot, 'bus/pci/drivers/vfio-pci/unbind'));
  const r = await cli(f, ['unbind', VF0]);
  assert.equal(r.hung, false, 'unbind blocked on the FIFO');
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^ixgbevf: error: unbind 0000:01:10\.0 from vfio-pci: writing "0000:01:10\.0" to .*vfio-pci\/unbind failed \(ENXIO\)$/m);
});

test('a directory as a VF\'s vendor: a typed error (exit 3), not "internal error" (exit 1)', async () => {
  const f = setup();
  const vendor = path.join(f.devDir(VF0), 'vendor');
  rmSync(vendor);
  mkdirSync(vendor);
  const bind = await cli(f, ['bind', VF0]);
  assert.equal(bind.code, 3, bind.stderr);
  assert.match(bind.stderr, /^ixgbevf: error: cannot use .*0000:01:10\.0\/vendor: a directory, not an attribute file$/m);
  assert.doesNotMatch(bind.stderr, /internal error|this is a bug/);
});
