import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { addon, runChild, tempDir, wordFile } from './helpers.js';

for (const mmap of [true, false]) {
  describe(`mapFile region (${mmap ? 'mmap' : 'pread/pwrite fallback'})`, () => {
    test('reports its size and mode', (t) => {
      const r = addon.mapFile(wordFile(tempDir(t), 64), undefined, { mmap });
      assert.equal(r.size, 64);
      assert.equal(r.mapped, mmap);
      assert.equal(r.closed, false);
      r.close();
    });

    test('file contents are visible through read32 (little-endian words)', (t) => {
      const path = wordFile(tempDir(t), 64, (i) => 0x11110000 + i);
      const r = addon.mapFile(path, undefined, { mmap });
      for (let off = 0; off < 64; off += 4) assert.equal(r.read32(off), 0x11110000 + off / 4);
      // A change made to the file after mapping is seen too (shared mapping / pread).
      const buf = readFileSync(path);
      buf.writeUInt32LE(0xcafef00d, 8);
      writeFileSync(path, buf);
      assert.equal(r.read32(8), 0xcafef00d);
      r.close();
    });

    test('write32 lands in the file; unsigned and negative int32 values', (t) => {
      const path = wordFile(tempDir(t), 32);
      const r = addon.mapFile(path, undefined, { mmap });
      r.write32(0, 0xdeadbeef);
      r.write32(4, 0xffffffff);
      r.write32(8, -1);
      r.write32(12, 0x80000000 | 1); // a JS bitwise result: negative int32
      r.write32(28, 7);
      r.flush(0);
      assert.equal(r.read32(0), 0xdeadbeef);
      assert.equal(r.read32(12), 0x80000001);
      r.close();
      const buf = readFileSync(path);
      assert.equal(buf.readUInt32LE(0), 0xdeadbeef);
      assert.equal(buf.readUInt32LE(4), 0xffffffff);
      assert.equal(buf.readUInt32LE(8), 0xffffffff);
      assert.equal(buf.readUInt32LE(12), 0x80000001);
      assert.equal(buf.readUInt32LE(16), 0);
      assert.equal(buf.readUInt32LE(28), 7);
    });

    test('the bound is exact: size-4 works, size throws RangeError', (t) => {
      const r = addon.mapFile(wordFile(tempDir(t), 4096, (i) => i), undefined, { mmap });
      assert.equal(r.read32(4092), 1023);
      r.write32(4092, 5);
      assert.equal(r.read32(4092), 5);
      assert.throws(() => r.read32(4096), RangeError);
      assert.throws(() => r.write32(4096, 1), RangeError);
      assert.throws(() => r.read32(4100), RangeError);
      assert.throws(() => r.read32(1 << 30), RangeError);
      assert.throws(() => r.read32(2 ** 52), RangeError);
      r.close();
    });

    test('a size smaller than the file limits the window', (t) => {
      const r = addon.mapFile(wordFile(tempDir(t), 64), 16, { mmap });
      assert.equal(r.size, 16);
      r.read32(12);
      assert.throws(() => r.read32(16), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
      r.close();
    });

    test('a size not a multiple of 4: the last partial word is out of range', (t) => {
      const r = addon.mapFile(wordFile(tempDir(t), 64), 10, { mmap });
      r.read32(4);
      assert.throws(() => r.read32(8), RangeError);
      r.close();
    });
  });
}

describe('argument validation (throws, never crashes)', () => {
  const badOffsets: [string, unknown, 'TypeError' | 'RangeError'][] = [
    ['negative', -4, 'RangeError'],
    ['unaligned', 2, 'RangeError'],
    ['unaligned odd', 5, 'RangeError'],
    ['NaN', NaN, 'RangeError'],
    ['Infinity', Infinity, 'RangeError'],
    ['-Infinity', -Infinity, 'RangeError'],
    ['fraction', 4.5, 'RangeError'],
    ['string', '4', 'TypeError'],
    ['BigInt', 4n, 'TypeError'],
    ['null', null, 'TypeError'],
    ['undefined', undefined, 'TypeError'],
    ['object', { valueOf: () => 4 }, 'TypeError'],
    ['boolean', true, 'TypeError'],
    ['symbol', Symbol('x'), 'TypeError'],
  ];
  for (const [label, offset, errName] of badOffsets) {
    test(`offset ${label} → ${errName}`, (t) => {
      const r = addon.mapFile(wordFile(tempDir(t), 64), undefined, {});
      const read = r.read32 as (o: unknown) => number;
      const write = r.write32 as (o: unknown, v: unknown) => void;
      const flush = r.flush as (o: unknown) => void;
      assert.throws(() => read.call(r, offset), { name: errName });
      assert.throws(() => write.call(r, offset, 1), { name: errName });
      assert.throws(() => flush.call(r, offset), { name: errName });
      r.close();
    });
  }

  test('missing arguments → TypeError', (t) => {
    const r = addon.mapFile(wordFile(tempDir(t), 64));
    assert.throws(() => (r.read32 as () => number)(), TypeError);
    assert.throws(() => (r.read32 as () => number).call(r), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => (r.write32 as (o: number) => void).call(r, 0), TypeError);
    r.close();
  });

  const badValues: [string, unknown, 'TypeError' | 'RangeError'][] = [
    ['2^32', 2 ** 32, 'RangeError'],
    ['below int32', -(2 ** 31) - 1, 'RangeError'],
    ['NaN', NaN, 'RangeError'],
    ['fraction', 1.5, 'RangeError'],
    ['string', '1', 'TypeError'],
    ['BigInt', 1n, 'TypeError'],
    ['undefined', undefined, 'TypeError'],
  ];
  for (const [label, value, errName] of badValues) {
    test(`value ${label} → ${errName}, nothing written`, (t) => {
      const path = wordFile(tempDir(t), 16, () => 0x5a5a5a5a);
      const r = addon.mapFile(path);
      assert.throws(() => (r.write32 as (o: number, v: unknown) => void)(0, value), { name: errName });
      assert.equal(r.read32(0), 0x5a5a5a5a);
      r.close();
    });
  }

  test('mapFile arguments', (t) => {
    const dir = tempDir(t);
    const path = wordFile(dir, 64);
    const mapFile = addon.mapFile as (...a: unknown[]) => unknown;
    assert.throws(() => mapFile(), TypeError);
    assert.throws(() => mapFile(42), TypeError);
    assert.throws(() => mapFile(path, '64'), TypeError);
    assert.throws(() => mapFile(path, 0), RangeError);
    assert.throws(() => mapFile(path, 65), RangeError, 'larger than the file would SIGBUS');
    assert.throws(() => mapFile(path, 1.5), RangeError);
    assert.throws(() => mapFile(path, undefined, 'x'), TypeError);
    assert.throws(() => mapFile(path, undefined, { mmap: 'yes' }), TypeError);
    assert.throws(() => mapFile(join(dir, 'missing')), { code: 'ENOENT', syscall: 'open' });
    assert.throws(() => mapFile(dir), { code: 'EISDIR' });
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    assert.throws(() => mapFile(empty), RangeError);
  });

  test('a file truncated after mapping does not matter to pread mode', (t) => {
    const path = wordFile(tempDir(t), 64);
    const r = addon.mapFile(path, undefined, { mmap: false });
    truncateSync(path, 8);
    assert.throws(() => r.read32(32), { code: 'EIO' }); // short read, not a crash
    r.close();
  });
});

describe('close semantics', () => {
  test('use after close → ERR_CLOSED; double close is fine', (t) => {
    const r = addon.mapFile(wordFile(tempDir(t), 64));
    r.close();
    r.close();
    assert.equal(r.closed, true);
    assert.throws(() => r.read32(0), { code: 'ERR_CLOSED' });
    assert.throws(() => r.write32(0, 1), { code: 'ERR_CLOSED' });
    assert.throws(() => r.flush(0), { code: 'ERR_CLOSED' });
    // Argument errors still come first and are still typed.
    assert.throws(() => r.read32(-1), RangeError);
    assert.equal(r.size, 64);
  });
});

describe('wrong `this` and detached methods', () => {
  test('throws TypeError instead of touching memory', (t) => {
    const r = addon.mapFile(wordFile(tempDir(t), 64));
    const efd = addon.createEventFd();
    const { read32, write32, close } = r;
    assert.throws(() => read32(0), TypeError);
    assert.throws(() => write32(0, 1), TypeError);
    assert.throws(() => close(), TypeError);
    assert.throws(() => read32.call({}, 0), TypeError);
    assert.throws(() => read32.call(Object.create(Object.getPrototypeOf(r)), 0), TypeError);
    assert.throws(() => read32.call(Object.getPrototypeOf(r), 0), TypeError);
    assert.throws(() => read32.call(efd, 0), TypeError, 'another native class');
    assert.throws(() => read32.call(42, 0), TypeError);
    assert.throws(() => (efd.signal as (n?: number) => void).call(r, 1), TypeError);
    const sizeGetter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(r), 'size')!.get!;
    assert.throws(() => sizeGetter.call({}), TypeError);
    assert.equal(read32.call(r, 0), 0);
    efd.close();
    r.close();
  });

  test('native classes cannot be constructed from JS', () => {
    for (const C of [addon.Region, addon.Watcher, addon.EventFd, addon.Device]) {
      assert.throws(() => new (C as unknown as new (...a: unknown[]) => unknown)(), TypeError);
      assert.throws(() => new (C as unknown as new (...a: unknown[]) => unknown)({}), TypeError);
      assert.throws(() => (C as unknown as (...a: unknown[]) => unknown)(), TypeError);
    }
  });

  test('instanceof works for objects the addon made', (t) => {
    const r = addon.mapFile(wordFile(tempDir(t), 64));
    assert.ok(r instanceof addon.Region);
    r.close();
  });
});

describe('process survival under abuse (child process)', () => {
  test('a burst of bad calls leaves the process healthy and it exits 0', async (t) => {
    const path = wordFile(tempDir(t), 64);
    const res = await runChild(`
      const r = addon.mapFile(${JSON.stringify(path)});
      const junk = [undefined, null, -1, 1, 3, 64, 68, 2**31, 2**32, 2**53, NaN, Infinity, 1.25, '0', 0n, {}, [], () => 0, Symbol()];
      let thrown = 0;
      for (const a of junk) for (const b of junk) {
        for (const f of [() => r.read32(a), () => r.write32(a, b), () => r.flush(a), () => addon.mapFile(a, b), () => r.read32.call(a, b)]) {
          try { f(); } catch (e) { if (!(e instanceof TypeError || e instanceof RangeError || e.code)) throw e; thrown++; }
        }
      }
      r.close();
      for (const a of junk) { try { r.read32(a); } catch { thrown++; } }
      console.log('ok', thrown);
    `);
    assert.equal(res.timedOut, false);
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^ok \d+/);
  });
});

describe('region accessors (bound fast path)', () => {
  for (const mmap of [true, false]) {
    test(`read32/write32/flush bound to the region, same bounds and values (mmap: ${mmap})`, (t) => {
      const path = wordFile(tempDir(t), 64, (i) => 0xabc00000 + i);
      const r = addon.mapFile(path, undefined, { mmap });
      const { read32, write32, flush } = r.accessors();
      assert.equal(read32(8), 0xabc00002);
      write32(60, 0xdeadbeef);
      assert.equal(r.read32(60), 0xdeadbeef, 'a bound write is seen by the method');
      assert.equal(readFileSync(path).readUInt32LE(60), 0xdeadbeef, 'and by the file');
      flush(0);
      assert.throws(() => read32(64), RangeError, 'size is the bound, as for the method');
      assert.throws(() => read32(2), RangeError);
      assert.throws(() => read32(-4), RangeError);
      assert.throws(() => (read32 as (x?: unknown) => number)(), TypeError);
      assert.throws(() => write32(0, 2 ** 32), RangeError);
      assert.throws(() => write32(0, '1' as unknown as number), TypeError);
      r.close();
      assert.throws(() => read32(0), (e: NodeJS.ErrnoException) => e.code === 'ERR_CLOSED');
      assert.throws(() => write32(0, 1), (e: NodeJS.ErrnoException) => e.code === 'ERR_CLOSED');
    });
  }

  test('the bound functions keep the region alive after every other reference is gone (GC)', async (t) => {
    const path = wordFile(tempDir(t), 64, (i) => i * 3);
    const res = await runChild(`
      let read32;
      { const r = addon.mapFile(${JSON.stringify(path)}); read32 = r.accessors().read32; }
      for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((s) => setImmediate(s)); new Array(1e5).fill({}); }
      console.log('value', read32(12));
    `, 15000, ['--expose-gc']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /value 9/);
  });

  test('bound fast path: edge values behave exactly as the methods (two\'s complement, -0, non-integers, extra args)', (t) => {
    const path = wordFile(tempDir(t), 16, () => 0);
    const r = addon.mapFile(path);
    const { read32, write32 } = r.accessors();
    write32(4, -1);
    assert.equal(read32(4), 0xffffffff, 'a negative int32 is stored as its two\'s complement');
    write32(8, -2147483648);
    assert.equal(r.read32(8), 0x80000000);
    write32(12, 4294967295);
    assert.equal(read32(12), 0xffffffff);
    write32(-0, 5);
    assert.equal(read32(-0), 5, '-0 is offset 0');
    assert.equal((read32 as (o: number, x: unknown) => number)(4, 'ignored'), 0xffffffff, 'extra arguments are ignored, as by the method');
    for (const bad of [NaN, 4.5, Infinity, 60]) {
      assert.throws(() => read32(bad), RangeError, `read32(${bad})`);
      assert.throws(() => r.read32(bad), RangeError, `the method agrees on ${bad}`);
    }
    assert.throws(() => write32(0, 1.5), RangeError);
    assert.throws(() => write32(0, -2147483649), RangeError);
    assert.throws(() => (write32 as (o: number) => void)(0), TypeError, 'a missing value');
    assert.equal(read32(0), 5, 'no refused write changed anything');
    r.close();
  });

  test('a bound function ignores this: called detached or on another object it still reads its own region', (t) => {
    const r = addon.mapFile(wordFile(tempDir(t), 16, () => 7));
    const { read32 } = r.accessors();
    assert.equal(read32.call({}, 0), 7);
    assert.equal(read32.call(undefined, 4), 7);
    r.close();
  });
});
