/**
 * Who holds a VFIO group (the "device busy" error names them): found in a /proc tree. A fake tree (as
 * IXGBEVF_PROC_ROOT gives) with a FIFO or a directory where `comm` should be, or a control character in
 * it, never blocks and never reaches the message raw.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findGroupHolders } from '../../src/vfio/errors.js';

test('findGroupHolders: names from comm; a FIFO, a directory or a missing comm is null; control characters replaced', { timeout: 20_000 }, async () => {
  const proc = mkdtempSync(join(tmpdir(), 'ixgbevf-proc-'));
  try {
    const group = '/dev/vfio/20';
    const holder = (pid: number, comm: ((file: string) => void) | null): void => {
      mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
      symlinkSync(group, join(proc, String(pid), 'fd', '7'));
      if (comm !== null) comm(join(proc, String(pid), 'comm'));
    };
    holder(101, (f) => writeFileSync(f, 'qemu-system-x86\n'));
    holder(102, (f) => execFileSync('mkfifo', [f]));
    holder(103, (f) => mkdirSync(f));
    holder(104, null);
    holder(105, (f) => writeFileSync(f, 'evil\u001b[31m\nixgbevf: error: forged\n'));
    mkdirSync(join(proc, '106', 'fd'), { recursive: true });
    symlinkSync('/dev/null', join(proc, '106', 'fd', '3')); // not a holder
    const holders = (await findGroupHolders(group, proc)).sort((a, b) => a.pid - b.pid);
    assert.deepEqual(holders.map((h) => h.pid), [101, 102, 103, 104, 105]);
    assert.equal(holders[0]!.command, 'qemu-system-x86');
    assert.equal(holders[1]!.command, null);
    assert.equal(holders[2]!.command, null);
    assert.equal(holders[3]!.command, null);
    assert.doesNotMatch(holders[4]!.command ?? '', /[\u0000-\u001f]/);
    assert.match(holders[4]!.command ?? '', /^evil\?\[31m\?ixgbevf: error: forged$/);
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});
