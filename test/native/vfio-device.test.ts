/**
 * VfioDevice over a fake native device: the real addon's file-backed Region stands in for BAR0 and
 * its real eventfds stand in for the MSI-X vectors and the request notifier, so the TypeScript layer
 * (fan-in, bus mastering, release-requested, close) runs against native objects without VFIO.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeviceGoneError, EnvironmentError } from '../../src/errors.js';
import type { NativeAddon, NativeDevice, NativeEventFd, NativeRegion } from '../../src/native.js';
import { PCI_COMMAND, VfioDevice } from '../../src/vfio/index.js';
import { addon, tempDir, wordFile } from './helpers.js';

interface Fake {
  addon: NativeAddon;
  calls: string[];
  config: Map<number, number>;
  irqs: Map<number, NativeEventFd[]>;
  bar: () => NativeRegion;
}

function fakeAddon(t: { after(fn: () => void): void }, opts: { msix?: number; req?: number } = {}): Fake {
  const k = addon.constants;
  const calls: string[] = [];
  const config = new Map<number, number>([[PCI_COMMAND, 0x0002]]); // vfio-pci enables memory only
  const irqs = new Map<number, NativeEventFd[]>();
  const barPath = wordFile(tempDir(t), 0x4000, (i) => i);
  let bar: NativeRegion | undefined;
  let closed = false;
  const device: NativeDevice = {
    info: { bdf: '0000:03:10.0', groupId: 7, groupPath: '/dev/vfio/7', noiommu: false, iommuType: 'type1v2', numRegions: 9, numIrqs: 5, flags: 3, resetSupported: true, pci: true },
    get closed() {
      return closed;
    },
    regionInfo: () => assert.fail('not used'),
    mapRegion: (index) => {
      calls.push(`mapRegion ${index}`);
      bar = addon.mapFile(barPath);
      return bar;
    },
    configRead: (offset, width) => {
      calls.push(`configRead ${offset}/${width}`);
      return config.get(offset) ?? 0;
    },
    configWrite: (offset, width, value) => {
      calls.push(`configWrite ${offset}/${width}=${value}`);
      config.set(offset, value);
    },
    irqInfo: (index) => ({ index, count: index === k.VFIO_PCI_MSIX_IRQ_INDEX ? opts.msix ?? 3 : index === k.VFIO_PCI_REQ_IRQ_INDEX ? opts.req ?? 1 : 0, flags: 0, eventfd: true, maskable: false, automasked: false, noresize: true }),
    enableIrqs: (index, count) => {
      calls.push(`enableIrqs ${index} ${count}`);
      const fds = Array.from({ length: count }, () => addon.createEventFd());
      irqs.set(index, fds);
      return fds;
    },
    disableIrqs: (index) => {
      calls.push(`disableIrqs ${index}`);
    },
    reset: () => {
      calls.push('reset');
      return { reset: true };
    },
    close: () => {
      if (closed) return;
      closed = true;
      calls.push('close');
      for (const fds of irqs.values()) for (const f of fds) f.close();
      bar?.close();
    },
  };
  const fake: NativeAddon = { ...addon, constants: k, openDevice: (bdf) => {
    calls.push(`openDevice ${bdf}`);
    return device;
  } };
  return { addon: fake, calls, config, irqs, bar: () => bar! };
}

describe('VfioDevice over native regions and eventfds', () => {
  test('regs is BAR0: reads and writes go through the native region', async (t) => {
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('03:10.0', { addon: f.addon, interrupts: false });
    t.after(() => dev.close());
    assert.equal(dev.address, '0000:03:10.0');
    assert.equal(dev.regs.size, 0x4000);
    assert.equal(dev.regs.read32(0x2fc), 0x2fc / 4);
    dev.regs.write32(0x200, 0xa5a5a5a5);
    dev.regs.flush(8);
    assert.equal(f.bar().read32(0x200), 0xa5a5a5a5);
    assert.throws(() => dev.regs.read32(0x4000), RangeError);
    assert.throws(() => dev.regs.read32(0x201), RangeError);
  });

  test('interrupts: bus mastering is enabled before MSI-X, all vectors fan into irqs', async (t) => {
    const f = fakeAddon(t, { msix: 3 });
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon });
    t.after(() => dev.close());
    const k = addon.constants;
    assert.equal(dev.vectors, 3);
    const cmdWrite = f.calls.indexOf(`configWrite ${PCI_COMMAND}/2=${0x2 | 0x4}`);
    const enable = f.calls.indexOf(`enableIrqs ${k.VFIO_PCI_MSIX_IRQ_INDEX} 3`);
    assert.ok(cmdWrite >= 0, f.calls.join(', '));
    assert.ok(cmdWrite < enable, 'bus master must be set before MSI-X is enabled');
    const seen: number[] = [];
    dev.irqs.on((n) => seen.push(n));
    const vectors = f.irqs.get(k.VFIO_PCI_MSIX_IRQ_INDEX)!;
    for (const [i, efd] of vectors.entries()) {
      const next = dev.irqs.wait();
      efd.signal(i + 1);
      assert.equal(await next, i + 1, `vector ${i}`);
    }
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test('poll mode (interrupts: false) enables nothing and irqs never fires', async (t) => {
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon, interrupts: false, releaseNotifier: false });
    t.after(() => dev.close());
    assert.equal(dev.vectors, 0);
    assert.ok(!f.calls.some((c) => c.startsWith('enableIrqs')));
    const ac = new AbortController();
    const w = dev.irqs.wait(ac.signal);
    ac.abort();
    assert.equal(await w, 0);
  });

  test('vector count: explicit, and too many is an InvalidArgumentError', async (t) => {
    const f = fakeAddon(t, { msix: 3 });
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon, vectors: 2 });
    assert.equal(dev.vectors, 2);
    dev.close();
    const g = fakeAddon(t, { msix: 3 });
    await assert.rejects(VfioDevice.open('0000:03:10.0', { addon: g.addon, vectors: 4 }), { code: 'ERR_INVALID_VECTORS', exitCode: 2 });
    assert.ok(g.calls.includes('close'), 'a failed open releases the device');
    await assert.rejects(VfioDevice.open('0000:03:10.0', { addon: g.addon, vectors: 0 }), { code: 'ERR_INVALID_VECTORS' });
  });

  test('the request notifier becomes a release-requested event', async (t) => {
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon });
    t.after(() => dev.close());
    const req = f.irqs.get(addon.constants.VFIO_PCI_REQ_IRQ_INDEX)![0]!;
    const asked = new Promise<void>((resolve) => dev.onReleaseRequested(resolve));
    req.signal(1);
    await asked;
  });

  test('config helpers and enableBusMaster', async (t) => {
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon, interrupts: false });
    t.after(() => dev.close());
    assert.deepEqual(dev.enableBusMaster(), { before: 0x2, after: 0x6 });
    assert.equal(dev.config.read16(PCI_COMMAND), 0x6);
    const writes = f.calls.filter((c) => c.startsWith('configWrite')).length;
    dev.enableBusMaster();
    assert.equal(f.calls.filter((c) => c.startsWith('configWrite')).length, writes, 'no write when already set');
    assert.deepEqual(dev.reset(), { reset: true });
  });

  test('close: idempotent, releases native objects, later calls throw ERR_CLOSED (exit 7) with a hint', async (t) => {
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon });
    let closeEvents = 0;
    dev.on('close', () => closeEvents++);
    dev.close();
    dev.close();
    assert.equal(closeEvents, 1);
    assert.equal(dev.closed, true);
    assert.equal(f.calls.filter((c) => c === 'close').length, 1);
    assert.equal(f.bar().closed, true);
    for (const fn of [() => dev.regs.read32(0), () => dev.regs.write32(0, 1), () => dev.regs.flush(0), () => dev.config.read16(4), () => dev.reset()]) {
      // With the way back as its hint, as every ERR_CLOSED of the VF layer (it had none here).
      assert.throws(fn, (err: unknown) => err instanceof DeviceGoneError && err.code === 'ERR_CLOSED' && err.exitCode === 7 && err.hint === 'open the VF again (openVf) to use it');
    }
    assert.equal(dev.hasRef(), false);
  });

  test('a device open in this process is refused a second open (ERR_ALREADY_OPEN, exit 3) until it is closed', async (t) => {
    // (One fake device serves every open here: no eventfds, whose close the fake does only once.)
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon, interrupts: false, releaseNotifier: false });
    // Any spelling of the same address; the addon is not asked (VFIO would answer EBUSY, blamed on another process).
    for (const spelling of ['0000:03:10.0', '03:10.0']) {
      await assert.rejects(VfioDevice.open(spelling, { addon: f.addon, interrupts: false, releaseNotifier: false }), (err: unknown) =>
        err instanceof EnvironmentError && err.code === 'ERR_ALREADY_OPEN' && err.exitCode === 3 && /already open in this process/.test(err.message) && /close/.test(err.hint ?? ''));
    }
    assert.equal(f.calls.filter((c) => c.startsWith('openDevice')).length, 1);
    // Another /dev/vfio root (a test's fake tree) is another device.
    const other = await VfioDevice.open('0000:03:10.0', { addon: f.addon, interrupts: false, releaseNotifier: false, devVfioRoot: '/tmp/other-dev-vfio' });
    other.close();
    dev.removeAllListeners(); // the user's listeners do not keep the device on the list
    dev.close();
    const again = await VfioDevice.open('0000:03:10.0', { addon: f.addon, interrupts: false, releaseNotifier: false });
    again.close();
    assert.equal(f.calls.filter((c) => c.startsWith('openDevice')).length, 3);
  });

  test('a failed open leaves nothing behind: the next open of the address goes to VFIO again', async (t) => {
    const f = fakeAddon(t);
    let fail = true;
    const flaky: NativeAddon = { ...f.addon, openDevice: (bdf, o) => {
      if (fail) {
        fail = false;
        throw Object.assign(new Error('cannot open VFIO group'), { code: 'EACCES', syscall: 'open', path: '/dev/vfio/7' });
      }
      return f.addon.openDevice(bdf, o);
    } };
    await assert.rejects(VfioDevice.open('0000:03:10.0', { addon: flaky, interrupts: false, releaseNotifier: false, sysfsRoot: tempDir(t) }), { code: 'ERR_PERMISSION' });
    const dev = await VfioDevice.open('0000:03:10.0', { addon: flaky, interrupts: false, releaseNotifier: false });
    dev.close();
  });

  test('ref/unref reach every watcher', async (t) => {
    const f = fakeAddon(t);
    const dev = await VfioDevice.open('0000:03:10.0', { addon: f.addon });
    t.after(() => dev.close());
    assert.equal(dev.hasRef(), true);
    dev.unref();
    assert.equal(dev.hasRef(), false);
    dev.ref();
    assert.equal(dev.hasRef(), true);
  });
});
