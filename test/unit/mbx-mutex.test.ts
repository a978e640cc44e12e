import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AsyncMutex } from '../../src/mbx/mutex.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AsyncMutex', () => {
  it('one holder at a time, callers served in the order they came', async () => {
    const m = new AsyncMutex();
    const order: string[] = [];
    let inside = 0;
    const job = (name: string) => async (): Promise<string> => {
      inside += 1;
      assert.equal(inside, 1, `${name} ran while another held the lock`);
      order.push(`${name}+`);
      await tick();
      order.push(`${name}-`);
      inside -= 1;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((n) => m.run(job(n))));
    assert.deepEqual(results, ['a', 'b', 'c', 'd']);
    assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-', 'd+', 'd-']);
    assert.equal(m.locked, false);
    assert.equal(m.waiting, 0);
  });

  it('locked and waiting describe the queue; a rejection releases the lock to the next caller', async () => {
    const m = new AsyncMutex();
    let release!: () => void;
    const first = m.run(() => new Promise<void>((_, reject) => { release = () => reject(new Error('boom')); }));
    const second = m.run(async () => 'second');
    const third = m.run(async () => 'third');
    await tick();
    assert.equal(m.locked, true);
    assert.equal(m.waiting, 2);
    release();
    await assert.rejects(first, /boom/);
    assert.equal(await second, 'second');
    assert.equal(await third, 'third');
    assert.equal(m.locked, false);
    assert.equal(m.waiting, 0);
  });

  it('the function never starts inside run(): an interrupt handler that takes the lock is not re-entered', async () => {
    const m = new AsyncMutex();
    let started = false;
    const p = m.run(async () => { started = true; });
    assert.equal(started, false);
    await p;
    assert.equal(started, true);
  });

  it('a function that throws synchronously rejects its call and frees the lock', async () => {
    const m = new AsyncMutex();
    await assert.rejects(m.run(() => { throw new Error('sync'); }), /sync/);
    assert.equal(m.locked, false);
    assert.equal(await m.run(async () => 1), 1);
  });

  it('a caller arriving while the lock is handed over does not overtake the queue', async () => {
    const m = new AsyncMutex();
    const order: number[] = [];
    const p1 = m.run(async () => { order.push(1); });
    const p2 = m.run(async () => {
      order.push(2);
      void m.run(async () => { order.push(4); });
    });
    const p3 = m.run(async () => { order.push(3); });
    await Promise.all([p1, p2, p3]);
    await tick();
    assert.deepEqual(order, [1, 2, 3, 4]);
  });
});
