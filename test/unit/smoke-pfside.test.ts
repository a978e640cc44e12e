/** The real PF side of the smoke test (`ip`), over a fake `ip` exec: view parsing, setters, errors. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EnvironmentError, InvalidArgumentError, NotSupportedError } from '../../src/errors.js';
import { ipPfSide, normalizeViewMac } from '../../src/smoke/index.js';

const FIXTURE = readFileSync(new URL('../fixtures/ip-link-82599-2vfs.json', import.meta.url), 'utf8');

function fakeIp(handler: (args: readonly string[]) => string | Error) {
  const calls: string[][] = [];
  const exec = async (args: readonly string[]): Promise<string> => {
    calls.push([...args]);
    const r = handler(args);
    if (r instanceof Error) throw r;
    return r;
  };
  return { calls, exec };
}

test('view(): the VF entry of `ip -j -d link show`, zero MAC as none, query_rss read from the raw entry', async () => {
  const ip = fakeIp(() => FIXTURE);
  const vf0 = await ipPfSide('enp1s0f0', 0, { exec: ip.exec }).view();
  assert.deepEqual(ip.calls[0], ['-j', '-d', 'link', 'show', 'dev', 'enp1s0f0']);
  assert.equal(vf0.mac, '02:00:00:00:00:01');
  assert.equal(vf0.trust, false);
  assert.equal(vf0.portVlan, 100);
  assert.equal(vf0.rssQuery, false);
  assert.equal(vf0.pfUp, true);
  assert.equal(vf0.carrier, true);
  const vf1 = await ipPfSide('enp1s0f0', 1, { exec: ip.exec }).view();
  assert.equal(vf1.mac, null);
  assert.equal(vf1.trust, true);
  assert.equal(vf1.linkState, 'disable');
});

test('view(): a VF index the PF does not list is an environment error naming --pf', async () => {
  const ip = fakeIp(() => FIXTURE);
  await assert.rejects(ipPfSide('enp1s0f0', 5, { exec: ip.exec }).view(), (e: unknown) => e instanceof EnvironmentError && /lists no vf 5/.test(e.message) && /--pf/.test(e.hint ?? ''));
});

test('setters run the exact ip commands; null MAC clears with 00:00:00:00:00:00', async () => {
  const ip = fakeIp((args) => (args[0] === '-j' ? FIXTURE : ''));
  const pf = ipPfSide('enp1s0f0', 1, { exec: ip.exec, sleep: async () => undefined });
  await pf.setTrust(true);
  await pf.setTrust(false);
  await pf.setAdminMac('02:00:00:00:00:09');
  await pf.setAdminMac(null);
  await pf.interfaceDown();
  await pf.interfaceUp();
  assert.deepEqual(ip.calls.slice(0, 6), [
    ['link', 'set', 'dev', 'enp1s0f0', 'vf', '1', 'trust', 'on'],
    ['link', 'set', 'dev', 'enp1s0f0', 'vf', '1', 'trust', 'off'],
    ['link', 'set', 'dev', 'enp1s0f0', 'vf', '1', 'mac', '02:00:00:00:00:09'],
    ['link', 'set', 'dev', 'enp1s0f0', 'vf', '1', 'mac', '00:00:00:00:00:00'],
    ['link', 'set', 'dev', 'enp1s0f0', 'down'],
    ['link', 'set', 'dev', 'enp1s0f0', 'up'],
  ]);
  assert.deepEqual(ip.calls[6], ['-j', 'link', 'show', 'dev', 'enp1s0f0'], 'interfaceUp waits for carrier');
  assert.equal(ip.calls.length, 7, 'carrier already there: one look');
});

test('interfaceUp() keeps looking until LOWER_UP, bounded', async () => {
  let looks = 0;
  const noCarrier = FIXTURE.replace('"LOWER_UP"', '"NO-CARRIER"');
  const ip = fakeIp((args) => (args[0] === '-j' ? (++looks < 3 ? noCarrier : FIXTURE) : ''));
  await ipPfSide('enp1s0f0', 0, { exec: ip.exec, sleep: async () => undefined }).interfaceUp();
  assert.equal(looks, 3);
});

test('"Operation not supported" becomes NotSupportedError (trust on an old PF); other failures EnvironmentError', async () => {
  const unsupported = fakeIp(() => Object.assign(new Error('ip failed'), { stderr: 'RTNETLINK answers: Operation not supported' }));
  await assert.rejects(ipPfSide('eth0', 0, { exec: unsupported.exec }).setTrust(true), NotSupportedError);
  const denied = fakeIp(() => Object.assign(new Error('ip failed'), { stderr: 'RTNETLINK answers: Operation not permitted' }));
  await assert.rejects(ipPfSide('eth0', 0, { exec: denied.exec }).setTrust(true), (e: unknown) => e instanceof EnvironmentError && /as root/.test(e.hint ?? ''));
});

test('interface names are validated before anything runs', () => {
  assert.throws(() => ipPfSide('-j', 0, { exec: async () => '' }), InvalidArgumentError);
});

test('normalizeViewMac: zero and missing are none, case folded', () => {
  assert.equal(normalizeViewMac('00:00:00:00:00:00'), null);
  assert.equal(normalizeViewMac(undefined), null);
  assert.equal(normalizeViewMac('02:AB:00:00:00:01'), '02:ab:00:00:00:01');
});
