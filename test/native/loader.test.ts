import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { addonCandidates } from '../../src/native.js';
import { addon, repoRoot, tempDir } from './helpers.js';

describe('addon loader', () => {
  test('looks in build/Release, build/Debug, then prebuilds/<platform>-<arch> under the package root; IXGBEVF_ADDON first', () => {
    const saved = process.env['IXGBEVF_ADDON'];
    try {
      delete process.env['IXGBEVF_ADDON'];
      assert.deepEqual(addonCandidates(), [
        join(repoRoot, 'build/Release/ixgbevf_vfio.node'),
        join(repoRoot, 'build/Debug/ixgbevf_vfio.node'),
        join(repoRoot, `prebuilds/${process.platform}-${process.arch}/node.napi.*.node`),
      ]);
      process.env['IXGBEVF_ADDON'] = '/x/y.node';
      assert.equal(addonCandidates()[0], '/x/y.node');
    } finally {
      if (saved === undefined) delete process.env['IXGBEVF_ADDON'];
      else process.env['IXGBEVF_ADDON'] = saved;
    }
  });

  test('a candidate that exists but is not an addon → ERR_ADDON_LOAD with a rebuild hint', (t) => {
    const bogus = join(tempDir(t), 'bogus.node');
    writeFileSync(bogus, 'not an ELF file');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { loadNative } from ${JSON.stringify(join(repoRoot, 'src/native.ts'))};
      try { loadNative(); console.log('loaded'); } catch (e) { console.log(JSON.stringify({ code: e.code, hint: e.hint, exitCode: e.exitCode })); }
    `], { cwd: repoRoot, env: { ...process.env, IXGBEVF_ADDON: bogus }, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { code: string; hint: string; exitCode: number };
    assert.equal(out.code, 'ERR_ADDON_LOAD');
    assert.match(out.hint, /npm (run build|rebuild)/);
    assert.equal(out.exitCode, 3);
  });

  test('IXGBEVF_ADDON naming a missing file → ERR_ADDON_MISSING listing it, no silent fallback', (t) => {
    const missing = join(tempDir(t), 'missing.node');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { loadNative } from ${JSON.stringify(join(repoRoot, 'src/native.ts'))};
      try { loadNative(); console.log('loaded'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint })); }
    `], { cwd: repoRoot, env: { ...process.env, IXGBEVF_ADDON: missing }, encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { code: string; message: string; hint: string };
    assert.equal(out.code, 'ERR_ADDON_MISSING');
    assert.ok(out.message.includes(missing), out.message);
    assert.match(out.hint, /^node \/.*\/scripts\/build-native\.mjs /);
  });

  test('exports: classes, functions, constants from <linux/vfio.h>', () => {
    assert.equal(typeof addon.mapFile, 'function');
    assert.equal(typeof addon.createEventFd, 'function');
    assert.equal(typeof addon.openDevice, 'function');
    assert.equal(addon.platformSupported, true);
    assert.equal(addon.constants.VFIO_PCI_BAR0_REGION_INDEX, 0);
    assert.equal(addon.constants.VFIO_PCI_CONFIG_REGION_INDEX, 7);
    assert.equal(addon.constants.VFIO_PCI_MSIX_IRQ_INDEX, 2);
    assert.equal(addon.constants.VFIO_PCI_REQ_IRQ_INDEX, 4);
  });

  test('Device methods with a wrong `this` throw TypeError', () => {
    const proto = addon.Device.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const name of ['regionInfo', 'mapRegion', 'configRead', 'configWrite', 'irqInfo', 'enableIrqs', 'disableIrqs', 'reset', 'close']) {
      assert.throws(() => proto[name]!.call({}, 0, 1, 0), TypeError, name);
      assert.throws(() => proto[name]!.call(addon.createEventFd(), 0, 1, 0), TypeError, name);
    }
    const info = Object.getOwnPropertyDescriptor(addon.Device.prototype, 'info')!.get!;
    assert.throws(() => info.call(undefined), TypeError);
  });
});
