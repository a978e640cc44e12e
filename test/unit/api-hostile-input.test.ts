/**
 * The library API from a JavaScript caller's side (no compiler between it and us): hostile values get a
 * typed InvalidArgumentError whose message and `details` survive being printed and serialised; openVf
 * checks its spec and options; a closed handle fails its queued and waiting requests with ERR_CLOSED and
 * leaves no timer; a throwing trace hook cannot fail a request the PF applied; poll mode's
 * checkPfEvents() is on the public type.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ALL_FAMILIES, apiName, DeviceGoneError, familyByModel, InvalidArgumentError, IxgbevfError, newestApiOfPfKernel, openVf, renderRemedies, resetAndNegotiate, type VfHandle } from '../../src/index.js';

/** A handle on a fresh simulated VF, reset and at API 1.4 (interrupt mode unless `poll`). */
async function openSim(spec = 'sim', poll = false): Promise<VfHandle> {
  const handle = await openVf(spec, { poll });
  await handle.vf.reset();
  await handle.vf.negotiateApi();
  return handle;
}

/** Values a JavaScript caller can pass where a string or number is expected. */
function hostileValues(): { name: string; value: unknown }[] {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  return [
    { name: 'a BigInt', value: 10n },
    { name: 'a Symbol', value: Symbol('x') },
    { name: 'an object without a prototype', value: Object.create(null) as unknown },
    { name: 'a circular object', value: circular },
    { name: 'an object whose toString throws', value: { toString: () => { throw new Error('toString'); } } },
    { name: 'a function', value: () => 1 },
    { name: 'NaN', value: Number.NaN },
    { name: 'Infinity', value: Number.POSITIVE_INFINITY },
    { name: 'null', value: null },
    { name: 'undefined', value: undefined },
    { name: 'an array', value: [1, 2] },
    { name: 'a 100 kB string', value: 'x'.repeat(100_000) },
  ];
}

/** Asserts a typed argument error that prints as one line and serialises. */
async function assertTypedArgumentError(call: () => Promise<unknown>, what: string): Promise<void> {
  let caught: unknown;
  try {
    await call();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InvalidArgumentError, `${what}: expected InvalidArgumentError, got ${String((caught as Error)?.name)}: ${String((caught as Error)?.message)}`);
  assert.match(caught.code, /^ERR_[A-Z_]+$/, what);
  assert.ok(!caught.message.includes('\n'), `${what}: one-line message`);
  assert.ok(caught.message.length < 400, `${what}: a short message (${caught.message.length} chars)`);
  assert.doesNotThrow(() => JSON.stringify(caught), `${what}: the error serialises`);
  assert.doesNotThrow(() => JSON.stringify(caught.toJSON()), `${what}: toJSON serialises`);
}

describe('hostile values to the VF methods: typed errors, never a TypeError while describing them', () => {
  it('setMac, setVlan, setMtu, setMaxFrame, setMacvlan, setXcastMode, negotiateFeatures, setMulticast entries', async () => {
    const handle = await openSim();
    try {
      const vf = handle.vf;
      for (const { name, value } of hostileValues()) {
        const v = value as never;
        await assertTypedArgumentError(() => vf.setMac(v), `setMac(${name})`);
        await assertTypedArgumentError(() => vf.setVlan(v, true), `setVlan(${name})`);
        await assertTypedArgumentError(() => vf.setMtu(v), `setMtu(${name})`);
        await assertTypedArgumentError(() => vf.setMaxFrame(v), `setMaxFrame(${name})`);
        await assertTypedArgumentError(() => vf.setMacvlan(v, '02:00:00:00:00:05'), `setMacvlan(${name}, mac)`);
        await assertTypedArgumentError(() => vf.setMacvlan(1, v), `setMacvlan(1, ${name})`);
        await assertTypedArgumentError(() => vf.setXcastMode(v), `setXcastMode(${name})`);
        await assertTypedArgumentError(() => vf.negotiateFeatures(v), `negotiateFeatures(${name})`);
        await assertTypedArgumentError(() => vf.setMulticast([v]), `setMulticast([${name}])`);
      }
      // Still usable afterwards: nothing was sent for any of them.
      await vf.setMac('02:00:00:00:00:07');
      assert.equal(handle.sim?.vfInfo().mac, '02:00:00:00:00:07');
    } finally {
      await handle.close();
    }
  });

  it("an error's details hold JSON-safe values (a BigInt VLAN id is described, not kept)", async () => {
    const handle = await openSim();
    try {
      const err = await handle.vf.setVlan(10n as never, true).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.code, 'ERR_INVALID_VLAN');
      assert.equal(err.details.vlan, '10n');
      assert.match(err.message, /invalid VLAN id 10n/);
      const ok = await handle.vf.setVlan(5000, true).catch((e: unknown) => e);
      assert.ok(ok instanceof InvalidArgumentError);
      assert.equal(ok.details.vlan, 5000, 'a number stays a number');
    } finally {
      await handle.close();
    }
  });
});

describe('setMulticast: every entry is an address', () => {
  it('a list with holes is refused (a hole is not hash 0), and nothing is sent', async () => {
    const handle = await openSim();
    try {
      const before = handle.vf.counters.msgsTx;
      await assertTypedArgumentError(() => handle.vf.setMulticast(new Array(5) as string[]), 'setMulticast(new Array(5))');
      const sparse = ['01:00:5e:00:00:01'];
      sparse[3] = '01:00:5e:00:00:02';
      const err = await handle.vf.setMulticast(sparse).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.code, 'ERR_INVALID_MAC');
      assert.equal(handle.vf.counters.msgsTx, before, 'no SET_MULTICAST went out');
    } finally {
      await handle.close();
    }
  });

  it('a list longer than 256 is refused at once, without looking at its entries', async () => {
    const handle = await openSim();
    try {
      const huge: string[] = [];
      huge.length = 100_000_000; // sparse: walking it would block the loop for seconds
      const err = await handle.vf.setMulticast(huge).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.code, 'ERR_INVALID_ARGUMENT');
      assert.match(err.message, /at most 256/);
      const full = Array.from({ length: 256 }, (_, i) => `01:00:5e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`);
      const r = await handle.vf.setMulticast(full);
      assert.equal(r.programmed, 30, '256 is still taken: 30 hashes, the rest is the overflow');
    } finally {
      await handle.close();
    }
  });
});

describe('openVf checks what it is given', () => {
  for (const [name, spec] of [['a number', 42], ['undefined', undefined], ['null', null], ['an empty string', ''], ['blanks', '   '], ['an object', {}]] as const) {
    it(`a spec that is ${name}: ERR_INVALID_ARGUMENT with a hint`, async () => {
      const err = await openVf(spec as never).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.equal(err.code, 'ERR_INVALID_ARGUMENT');
      assert.match(err.hint ?? '', /openVf\("sim"\)/);
    });
  }

  it('null options are no options', async () => {
    const handle = await openVf('sim', null as never);
    await handle.vf.reset();
    await handle.close();
  });

  for (const [option, value] of [['timeoutMs', -1], ['timeoutMs', 0], ['timeoutMs', Number.NaN], ['timeoutMs', '100'], ['poll', 'yes'], ['onTrace', 42], ['sysfsRoot', 5], ['sysfsRoot', '']] as const) {
    it(`option ${option} = ${JSON.stringify(value) ?? String(value)}: ERR_INVALID_ARGUMENT naming the option, at open`, async () => {
      const err = await openVf('sim', { [option]: value } as never).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.equal(err.code, 'ERR_INVALID_ARGUMENT');
      assert.match(err.message, new RegExp(`option ${option} `));
      assert.equal(err.details.option, option);
    });
  }

  it('options that are not an object are refused', async () => {
    for (const options of [5, 'poll', [1]]) {
      const err = await openVf('sim', options as never).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError, String(err));
    }
  });
});

/** Timers Node has armed in this process. */
function armedTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('close() with requests queued or waiting', () => {
  it('queued requests fail with ERR_CLOSED and never reach the PF', async () => {
    const handle = await openSim();
    const macs = Array.from({ length: 50 }, (_, i) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`);
    const calls = macs.map((m) => handle.vf.setMac(m));
    await handle.close();
    const settled = await Promise.allSettled(calls);
    const fulfilled = settled.filter((s) => s.status === 'fulfilled').length;
    assert.ok(fulfilled <= 1, `at most the request already running when close() ran completes (${fulfilled})`);
    for (const s of settled) {
      if (s.status === 'rejected') {
        assert.ok(s.reason instanceof DeviceGoneError, String(s.reason));
        assert.equal(s.reason.code, 'ERR_CLOSED');
      }
    }
    const pfMac = handle.sim?.vfInfo().mac;
    assert.ok(!macs.slice(1).includes(pfMac as string), `no queued MAC reached the PF after close (PF has ${String(pfMac)})`);
  });

  it('a reset waiting on a PF that is down ends with ERR_CLOSED at its next round, leaving no timer', async () => {
    const before = armedTimeouts();
    const handle = await openVf('sim:pf=down');
    const reset = handle.vf.reset().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20)); // the reset is waiting for the PF
    await handle.close();
    const err = await reset;
    assert.ok(err instanceof DeviceGoneError, String(err));
    assert.equal(err.code, 'ERR_CLOSED');
    assert.equal(armedTimeouts(), before, 'nothing keeps the process alive');
  });
});

describe('a throwing trace hook', () => {
  it('cannot fail a request the PF applied nor crash the process: one process warning says so', () => {
    const script = `
      import { openVf } from './src/index.ts';
      const h = await openVf('sim', { onTrace: () => { throw new Error('hook bug'); } });
      await h.vf.reset();
      await h.vf.setMac('02:00:00:00:00:42');
      console.log('resolved', h.sim.vfInfo().mac);
      await h.close();
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /resolved 02:00:00:00:00:42/, r.stderr);
    assert.equal(r.stderr.match(/IXGBEVF_TRACE_HOOK_FAILED/g)?.length, 1, `one warning: ${r.stderr}`);
    assert.match(r.stderr, /onTrace hook threw \(hook bug\)/);
  });
});

describe('poll mode and the exported helpers', () => {
  it('checkPfEvents() is on VfHandle.vf (typed) and reports a PF reset in poll mode', async () => {
    const handle = await openSim('sim', true);
    try {
      const resets: string[] = [];
      handle.vf.once('pf-reset', (reason) => resets.push(reason));
      await handle.sim?.interfaceDown();
      const check = await handle.vf.checkPfEvents();
      assert.equal(check.pfReset, true);
      await new Promise((r) => setImmediate(r));
      assert.equal(resets.length, 1);
    } finally {
      await handle.close();
    }
  });

  it('apiName of something that is not a wire value is "unknown"', () => {
    assert.equal(apiName(42 as never), 'unknown');
    assert.equal(apiName('toString' as never), 'unknown');
  });

  it('the exported table lookups: an unknown PF kernel generation or VF model is a typed error, a known one answers', () => {
    for (const bad of ['5.4', 'toString', '', 42, null, undefined, Symbol('x'), { toString: () => { throw new Error('x'); } }]) {
      assert.throws(() => newestApiOfPfKernel(bad as never), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'ERR_UNKNOWN_PF_KERNEL' && /unknown PF kernel generation .*expected one of 6\.1, 6\.12, newest/.test(e.message) && JSON.stringify(e.details) !== undefined);
      assert.throws(() => familyByModel(bad as never), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'ERR_UNKNOWN_MODEL' && /unknown VF model .*expected one of .*82599/.test(e.message) && JSON.stringify(e.details) !== undefined);
    }
    assert.throws(() => familyByModel('X999' as never), (e: unknown) => e instanceof InvalidArgumentError && /X999/.test(e.message) && /^ixgbevf info sim:family=/.test(e.hint ?? ''));
    assert.equal(apiName(newestApiOfPfKernel('6.1')), '1.4');
    assert.equal(apiName(newestApiOfPfKernel('6.12')), '1.4');
    for (const f of ALL_FAMILIES) assert.equal(familyByModel(f.model), f);
    assert.equal(apiName(newestApiOfPfKernel('newest')), '1.7');
  });

  it('resetAndNegotiate and renderRemedies given something else: typed errors, not TypeErrors', async () => {
    for (const v of [{}, null, undefined, 42]) {
      const err = await resetAndNegotiate(v as never).catch((e: unknown) => e);
      assert.ok(err instanceof InvalidArgumentError, String(err));
      assert.match(err.hint ?? '', /handle\.vf/);
    }
    assert.throws(() => renderRemedies(undefined as never, { kind: 'sim' }), InvalidArgumentError);
    assert.equal(renderRemedies([{ kind: 'pf', setting: 'up' }], { kind: 'sim' }), 'open the simulated VF with the PF setting `pf=up` (e.g. `sim:pf=up`)');
  });

  it('the sim control checks its arguments: setTrust needs a boolean, setAdminMac a MAC or null', async () => {
    const handle = await openSim();
    try {
      const trust = await Promise.resolve()
        .then(() => handle.sim!.setTrust({} as never))
        .catch((e: unknown) => e);
      assert.ok(trust instanceof IxgbevfError && trust.code === 'ERR_INVALID_ARGUMENT', String(trust));
      assert.equal(typeof handle.sim!.vfInfo().trust, 'boolean');
      const admin = await Promise.resolve()
        .then(() => handle.sim!.setAdminMac(42 as never))
        .catch((e: unknown) => e);
      assert.ok(admin instanceof IxgbevfError && admin.code === 'ERR_INVALID_MAC', String(admin));
    } finally {
      await handle.close();
    }
  });
});
