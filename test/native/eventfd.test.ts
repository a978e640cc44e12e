import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NativeError, NativeWatcher } from '../../src/native.js';
import { addon, runChild } from './helpers.js';

function nextCallback(efd: ReturnType<typeof addon.createEventFd>): Promise<{ err: NativeError | null; count: number; watcher: NativeWatcher }> {
  return new Promise((resolve) => {
    const watcher = efd.watch((err, count) => {
      watcher.close();
      resolve({ err, count, watcher });
    });
  });
}

describe('eventfd watcher', () => {
  test('a signal from the test arrives as a callback with the count', async () => {
    const efd = addon.createEventFd();
    assert.ok(efd.fd >= 0);
    const got = nextCallback(efd);
    efd.signal(3);
    const { err, count } = await got;
    assert.equal(err, null);
    assert.equal(count, 3);
    efd.close();
  });

  test('signals before the loop turns coalesce into one delivery with the sum', async () => {
    const efd = addon.createEventFd();
    const got = nextCallback(efd);
    efd.signal();
    efd.signal(2);
    efd.signal(4);
    assert.equal((await got).count, 7);
    efd.close();
  });

  test('every delivery is seen, and reading resets the counter', async () => {
    const efd = addon.createEventFd();
    const counts: number[] = [];
    await new Promise<void>((resolve) => {
      const w = efd.watch((err, count) => {
        assert.equal(err, null);
        counts.push(count);
        if (counts.length < 3) setImmediate(() => efd.signal(counts.length + 1));
        else {
          w.close();
          resolve();
        }
      });
      efd.signal(1);
    });
    assert.deepEqual(counts, [1, 2, 3]);
    efd.close();
  });

  test('closing the watcher from inside its own callback is safe, and stops delivery', async () => {
    const efd = addon.createEventFd();
    let calls = 0;
    let w!: NativeWatcher;
    await new Promise<void>((resolve) => {
      w = efd.watch(() => {
        calls++;
        w.close();
        w.close();
        efd.signal(1); // would be delivered if the watcher were still running
        setTimeout(resolve, 50);
      });
      efd.signal(1);
    });
    assert.equal(calls, 1);
    assert.equal(w.closed, true);
    efd.close();
  });

  test('closing the eventfd from inside the callback is safe', async () => {
    const efd = addon.createEventFd();
    await new Promise<void>((resolve) => {
      efd.watch(() => {
        efd.close();
        resolve();
      });
      efd.signal(1);
    });
    assert.equal(efd.closed, true);
    assert.throws(() => efd.signal(1), { code: 'ERR_CLOSED' });
  });

  test('one live watcher per eventfd; a new one after close', async () => {
    const efd = addon.createEventFd();
    const w1 = efd.watch(() => undefined);
    assert.throws(() => efd.watch(() => undefined), { code: 'ERR_ALREADY_WATCHED' });
    w1.close();
    const got = nextCallback(efd);
    efd.signal(5);
    assert.equal((await got).count, 5);
    efd.close();
  });

  test('closing the eventfd stops its watcher first; use after close → ERR_CLOSED; double close OK', () => {
    const efd = addon.createEventFd();
    const w = efd.watch(() => assert.fail('no delivery after close'));
    efd.close();
    efd.close();
    assert.equal(w.closed, true);
    assert.equal(w.hasRef(), false);
    w.close();
    assert.throws(() => efd.signal(), { code: 'ERR_CLOSED' });
    assert.throws(() => efd.watch(() => undefined), { code: 'ERR_CLOSED' });
  });

  test('ref/unref/hasRef', () => {
    const efd = addon.createEventFd();
    const w = efd.watch(() => undefined);
    assert.equal(w.hasRef(), true);
    assert.equal(w.unref(), w);
    assert.equal(w.hasRef(), false);
    assert.equal(w.ref(), w);
    assert.equal(w.hasRef(), true);
    efd.close();
    w.ref(); // harmless after close
    assert.equal(w.hasRef(), false);
  });

  test('argument validation', () => {
    const efd = addon.createEventFd();
    const watch = efd.watch as (cb?: unknown) => NativeWatcher;
    const signal = efd.signal as (n?: unknown) => void;
    assert.throws(() => watch.call(efd), TypeError);
    assert.throws(() => watch.call(efd, 'cb'), TypeError);
    assert.throws(() => signal.call(efd, 0), RangeError);
    assert.throws(() => signal.call(efd, -1), RangeError);
    assert.throws(() => signal.call(efd, 1.5), RangeError);
    assert.throws(() => signal.call(efd, '1'), TypeError);
    assert.throws(() => signal.call(efd, 1n), TypeError);
    const w = efd.watch(() => undefined);
    const { ref, close } = w;
    assert.throws(() => ref(), TypeError);
    assert.throws(() => close.call(efd), TypeError);
    efd.close();
  });
});

describe('watchers and process lifetime (child processes; the time limit only stops a hang)', () => {
  test('an unref’d watcher lets the process exit', async () => {
    const res = await runChild(`
      const efd = addon.createEventFd();
      efd.watch(() => console.log('unexpected')).unref();
      console.log('armed');
    `);
    assert.equal(res.timedOut, false, 'the child hung: the unref’d watcher kept the loop alive');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'armed');
  });

  test('a ref’d watcher keeps the process alive until closed', async () => {
    // The timer is unref’d: only the watcher can keep the process alive long enough for it to fire.
    const res = await runChild(`
      const efd = addon.createEventFd();
      const w = efd.watch(() => {});
      setTimeout(() => { console.log('still alive'); w.close(); }, 300).unref();
    `);
    assert.equal(res.timedOut, false, 'the child hung after the watcher was closed');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'still alive');
  });

  test('dropping the eventfd object while watched never crashes (either still delivering, or closed by its finalizer)', async () => {
    const res = await runChild(`
      import { readlinkSync, writeSync } from 'node:fs';
      let efd = addon.createEventFd();
      const fd = efd.fd;
      efd.watch((err, n) => { console.log('got', n); process.exit(0); });
      efd = null;
      for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setImmediate(r)); }
      let open = true;
      try { open = readlinkSync('/proc/self/fd/' + fd).includes('eventfd'); } catch { open = false; }
      // No process.exit here: a watcher left polling a closed fd would keep the loop alive (a hang).
      if (!open) { console.log('closed by finalizer'); } else {
      const one = Buffer.alloc(8); one.writeBigUInt64LE(1n);
      writeSync(fd, one); }
    `, 15000, ['--expose-gc']);
    assert.equal(res.timedOut, false, 'the child hung: a watcher outlived its eventfd');
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout.trim(), /^(got 1|closed by finalizer)$/);
  });

  test('a throwing callback is an uncaught exception, not a crash', async () => {
    const res = await runChild(`
      process.on('uncaughtException', (e) => { console.log('caught', e.message); process.exit(0); });
      const efd = addon.createEventFd();
      efd.watch(() => { throw new Error('boom'); });
      efd.signal(1);
    `);
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'caught boom');
  });

  test('exiting with live watchers, eventfds and mappings is clean (cleanup hook)', async () => {
    const res = await runChild(`
      import { writeFileSync } from 'node:fs';
      const path = '/tmp/ixgbevf-native-exit-' + process.pid;
      writeFileSync(path, Buffer.alloc(64));
      const r = addon.mapFile(path);
      const efd = addon.createEventFd();
      efd.watch(() => {});
      r.write32(0, 1);
      (await import('node:fs')).unlinkSync(path);
      console.log('bye');
      process.exit(0);
    `);
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'bye');
  });

  test('works in a Worker thread (per-environment state), and the worker can end with a live watcher', async () => {
    const res = await runChild(`
      import { Worker } from 'node:worker_threads';
      const src = \`
        const { parentPort, workerData } = require('node:worker_threads');
        const addon = require(workerData);
        const efd = addon.createEventFd();
        const w = efd.watch((err, n) => {
          parentPort.postMessage('worker got ' + n);
          addon.createEventFd().watch(() => {}).unref(); // left open on purpose: the cleanup hook handles it
          w.unref();
        });
        efd.signal(4);
      \`;
      const { writeFileSync, unlinkSync } = await import('node:fs');
      const file = '/tmp/ixgbevf-worker-a-' + process.pid + '.cjs';
      writeFileSync(file, src);
      const worker = new Worker(file, { workerData: ${JSON.stringify(addonPathForChild())} });
      worker.on('exit', () => unlinkSync(file));
      worker.on('message', (m) => console.log(m));
      worker.on('error', (e) => { console.log('error', e.message); process.exit(1); });
      worker.on('exit', (code) => {
        console.log('worker exit', code);
        // The main thread's addon instance is independent and still works.
        const efd = addon.createEventFd();
        efd.watch((err, n) => { console.log('main got', n); efd.close(); });
        efd.signal(2);
      });
    `);
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.deepEqual(res.stdout.trim().split('\n'), ['worker got 4', 'worker exit 0', 'main got 2']);
  });

  test('terminating a Worker with a ref’d watcher, an eventfd and a mapping open is clean', async () => {
    const res = await runChild(`
      import { Worker } from 'node:worker_threads';
      import { writeFileSync, unlinkSync } from 'node:fs';
      const path = '/tmp/ixgbevf-native-worker-' + process.pid;
      writeFileSync(path, Buffer.alloc(64));
      const src = \`
        const { parentPort, workerData } = require('node:worker_threads');
        const addon = require(workerData.addon);
        const r = addon.mapFile(workerData.path);
        r.write32(0, 0x1234);
        const efd = addon.createEventFd();
        efd.watch(() => {});
        parentPort.postMessage('ready');
      \`;
      const file = path + '.cjs';
      writeFileSync(file, src);
      const worker = new Worker(file, { workerData: { addon: ${JSON.stringify(addonPathForChild())}, path } });
      worker.on('exit', () => unlinkSync(file));
      worker.on('message', async () => { console.log('exit', await worker.terminate()); unlinkSync(path); });
    `);
    assert.equal(res.signal, null, res.stderr);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.equal(res.stdout.trim(), 'exit 1');
  });
});

function addonPathForChild(): string {
  return new URL('../../build/Release/ixgbevf_vfio.node', import.meta.url).pathname;
}
