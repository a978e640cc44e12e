import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, InvalidArgumentError } from '../../src/errors.js';
import { ipLinkShow, parseIpLinkJson } from '../../src/pci/iplink.js';

const fixture = readFileSync(fileURLToPath(new URL('../fixtures/ip-link-82599-2vfs.json', import.meta.url)), 'utf8');

test('parses the PF state and every VF of a real-looking ip -j -d link show', () => {
  const info = parseIpLinkJson(fixture, 'enp1s0f0');
  assert.equal(info.ifname, 'enp1s0f0');
  assert.equal(info.operstate, 'UP');
  assert.equal(info.adminUp, true);
  assert.equal(info.lowerUp, true);
  assert.equal(info.mtu, 1500);
  assert.equal(info.numVf, 2);
  assert.deepEqual(info.vfs, [
    { vf: 0, mac: '02:00:00:00:00:01', trust: false, spoofchk: true, linkState: 'auto', vlan: 100, qos: 3, vlans: [{ vlan: 100, qos: 3, protocol: '802.1Q' }] },
    { vf: 1, mac: '00:00:00:00:00:00', trust: true, spoofchk: false, linkState: 'disable', vlan: null, qos: null, vlans: [] },
  ]);
});

test('accepts the older "mac" key, flat vlan/qos and on/off booleans', () => {
  const text = JSON.stringify([
    { ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN', vfinfo_list: [{ vf: 3, mac: 'aa:bb:cc:dd:ee:ff', vlan: 7, qos: 1, spoofchk: 'on', trust: 'off' }] },
  ]);
  const info = parseIpLinkJson(text);
  assert.equal(info.adminUp, false);
  assert.equal(info.operstate, 'DOWN');
  assert.deepEqual(info.vfs[0], { vf: 3, mac: 'aa:bb:cc:dd:ee:ff', trust: false, spoofchk: true, linkState: null, vlan: 7, qos: 1, vlans: [{ vlan: 7, qos: 1, protocol: null }] });
});

test('a PF without VFs has an empty list', () => {
  assert.deepEqual(parseIpLinkJson('[{"ifname":"lo","flags":["LOOPBACK","UP"],"operstate":"UNKNOWN"}]', 'lo').vfs, []);
});

test('empty output, garbage and wrong shapes are ERR_IP_OUTPUT, never a crash', () => {
  for (const text of ['', '   ', 'garbage', '4: enp1s0f0: <BROADCAST> mtu 1500', '{"ifname":"x"}', '[{"ifname":"x","vfinfo_list":{}}]', '[{"ifname":"x","vfinfo_list":[{"address":"x"}]}]']) {
    assert.throws(
      () => parseIpLinkJson(text, 'x'),
      (err: unknown) => err instanceof EnvironmentError && err.code === 'ERR_IP_OUTPUT' && !err.message.includes('\n'),
      JSON.stringify(text),
    );
  }
});

test('an empty list, or no entry with that name, is ERR_NETDEV_NOT_FOUND', () => {
  assert.throws(() => parseIpLinkJson('[]', 'enp1s0f0'), { code: 'ERR_NETDEV_NOT_FOUND' });
  assert.throws(() => parseIpLinkJson(fixture, 'eth9'), { code: 'ERR_NETDEV_NOT_FOUND' });
});

// A fake `ip` on PATH.
const bin = mkdtempSync(path.join(os.tmpdir(), 'ixgbevf-ip-'));
after(() => rmSync(bin, { recursive: true, force: true }));
function fakeIp(script: string): NodeJS.ProcessEnv {
  writeFileSync(path.join(bin, 'ip'), `#!/bin/sh\n${script}\n`);
  chmodSync(path.join(bin, 'ip'), 0o755);
  return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
}

test('ipLinkShow runs `ip -j -d link show dev <if>` from PATH and parses it', async () => {
  writeFileSync(path.join(bin, 'out.json'), fixture);
  const env = fakeIp(`echo "$@" > "${bin}/args"; cat "${bin}/out.json"`);
  const info = await ipLinkShow('enp1s0f0', { env });
  assert.equal(readFileSync(path.join(bin, 'args'), 'utf8').trim(), '-j -d link show dev enp1s0f0');
  assert.equal(info.vfs.length, 2);
  assert.equal(info.vfs[0]!.mac, '02:00:00:00:00:01');
});

test('ipLinkShow: no ip binary → ERR_IP_NOT_FOUND with an install hint', async () => {
  await assert.rejects(ipLinkShow('enp1s0f0', { env: { PATH: path.join(bin, 'nowhere') } }), (err: unknown) => {
    assert.ok(err instanceof EnvironmentError);
    assert.equal(err.code, 'ERR_IP_NOT_FOUND');
    assert.match(err.hint ?? '', /iproute2/);
    return true;
  });
});

test('ipLinkShow: unknown device and other failures are typed errors', async () => {
  await assert.rejects(ipLinkShow('eth9', { env: fakeIp('echo \'Device "eth9" does not exist.\' >&2; exit 1') }), { code: 'ERR_NETDEV_NOT_FOUND' });
  await assert.rejects(ipLinkShow('eth9', { env: fakeIp('echo \'Something odd\' >&2; exit 2') }), (err: unknown) => {
    assert.ok(err instanceof EnvironmentError);
    assert.equal(err.code, 'ERR_IP_FAILED');
    assert.match(err.message, /Something odd/);
    return true;
  });
  await assert.rejects(ipLinkShow('eth9', { env: fakeIp('echo "not json"') }), { code: 'ERR_IP_OUTPUT' });
});

test('ipLinkShow refuses interface names that could be options or paths', async () => {
  for (const bad of ['-j', '', 'a b', 'x'.repeat(16), '../x']) {
    await assert.rejects(ipLinkShow(bad, { env: fakeIp('exit 0') }), (err: unknown) => err instanceof InvalidArgumentError && err.code === 'ERR_INVALID_IFNAME', bad);
  }
});
