/**
 * Issue 12 point 12: `--user` / `--group` resolve through the name service (`getent` in a child process),
 * not only /etc/passwd; numeric ids are accepted; unknown names exit 2. The fake getent (fake-sysfs.ts)
 * knows "directory" entries that the passwd/group files do not, as LDAP or SSSD would.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { InvalidArgumentError } from '../../src/errors.js';
import { resolveGroupId, resolveUser } from '../../src/pci/users.js';
import { runCli } from '../helpers/cli-run.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const fakes: FakeSys[] = [];
after(() => fakes.forEach((f) => f.cleanup()));

function sys(): FakeSys {
  const { spec } = sriov82599({ vfDrivers: [null, 'ixgbevf'] });
  spec.directoryUsers = 'ldapuser:*:5000:5001:Directory User:/home/ldapuser:/bin/sh\n';
  spec.directoryGroups = 'ldapgroup:*:5001:ldapuser\n';
  const f = new FakeSys(spec);
  fakes.push(f);
  return f;
}

test('a user only the name service knows resolves through getent', async () => {
  const f = sys();
  assert.deepEqual(await resolveUser('ldapuser', f.opts), { uid: 5000, gid: 5001, name: 'ldapuser' });
  assert.deepEqual(await resolveUser('5000', f.opts), { uid: 5000, gid: 5001, name: 'ldapuser' });
  assert.deepEqual(await resolveUser('alice', f.opts), { uid: 1000, gid: 1000, name: 'alice' });
  assert.deepEqual(await resolveUser('4242', f.opts), { uid: 4242, gid: null, name: null }, 'numeric ids are accepted');
  await assert.rejects(resolveUser('mallory', f.opts), (err: unknown) => err instanceof InvalidArgumentError && err.code === 'ERR_UNKNOWN_USER' && err.exitCode === 2 && /getent passwd mallory/.test(err.hint ?? ''));
  await assert.rejects(resolveUser('-rf', f.opts), { code: 'ERR_INVALID_USER' });
});

test('without getent the passwd file answers (and a directory user is then unknown)', async () => {
  const f = sys();
  const opts = { ...f.opts, getentCommand: path.join(f.root, 'no-such-getent') };
  assert.deepEqual(await resolveUser('alice', opts), { uid: 1000, gid: 1000, name: 'alice' });
  await assert.rejects(resolveUser('ldapuser', opts), { code: 'ERR_UNKNOWN_USER' });
});

test('groups: names through getent, numeric gids as they are, unknown → exit 2', async () => {
  const f = sys();
  assert.equal(await resolveGroupId('ldapgroup', f.opts), 5001);
  assert.equal(await resolveGroupId('nogroup', f.opts), 65534);
  assert.equal(await resolveGroupId('4321', f.opts), 4321);
  await assert.rejects(resolveGroupId('nosuchgroup', f.opts), (err: unknown) => err instanceof InvalidArgumentError && err.code === 'ERR_UNKNOWN_GROUP');
  assert.equal(await resolveGroupId('ldapgroup', { ...f.opts, getentCommand: '/nonexistent/getent', groupPath: f.groupPath }).catch((e: Error) => e.message), 'no group "ldapgroup" (' + f.groupPath + ' knows none)');
});

test('CLI: bind --user with a directory user chowns to its uid; an unknown user exits 2 before any write', async () => {
  const f = sys();
  const env = { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' };
  const bad = await runCli(['bind', '0000:01:10.0', '--user', 'mallory'], { env, sysfs: f.opts });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /ixgbevf: error: no user "mallory"/);
  assert.deepEqual(f.kernel.writes, []);
  const r = await runCli(['bind', '0000:01:10.0', '--user', 'ldapuser', '--json'], { env, sysfs: { ...f.opts, } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as { chowned: { uid: number } }).chowned.uid, 5000);
});

test('CLI: daemon --group with an unknown group exits 2', async () => {
  const f = sys();
  const r = await runCli(['daemon', 'sim', '--group', 'nosuchgroup', '--socket', path.join(f.root, 'd.sock')], { sysfs: f.opts });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /no group "nosuchgroup"/);
});
