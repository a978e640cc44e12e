/**
 * A change the daemon applied but could not save: the client is told why, with the fix (`persistError`
 * in the reply and the --json document, a warning on stderr), and the log line carries the code and the
 * fix. Before, the client saw only `persisted: false` (the human output nothing at all) while a daemon
 * restart would lose the change; the cause was only in the journal, without a fix.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { EnvironmentError } from '../../src/errors.js';
import { explainSaveError } from '../../src/daemon/save-error.js';
import { startDaemon, tempDir } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: something, write`), { code });

test('explainSaveError: each file-system cause gets its own fix naming the directory; state-dir errors pass through', () => {
  const dir = '/var/lib/ixgbevf';
  const cases: [string, RegExp, RegExp][] = [
    ['ENOSPC', /no space left/, /^df -h \/var\/lib\/ixgbevf /],
    ['EDQUOT', /quota/, /^df -h /],
    ['EROFS', /read-only/, /^findmnt -T \/var\/lib\/ixgbevf /],
    ['EPERM', /refuses new files/, /^lsattr -d \/var\/lib\/ixgbevf .*chattr -i/],
    ['EACCES', /permission denied/, /^ls -ld /],
    ['EIO', /I\/O error/, /^dmesg /],
    ['EWHATEVER', /EWHATEVER: something/, /^ls -ld \/var\/lib\/ixgbevf /],
  ];
  for (const [code, message, hint] of cases) {
    const e = explainSaveError(errno(code), dir);
    assert.equal(e.code, 'ERR_STATE_SAVE_FAILED', code);
    assert.match(e.message, message, code);
    assert.match(e.message, new RegExp(`in ${dir}: .*\\(${code}\\)$`), code);
    assert.match(e.hint ?? '', hint, code);
    assert.equal(e.exitCode, 3);
  }
  const odd = explainSaveError(errno('ENOSPC'), "/srv/my state's");
  assert.match(odd.hint ?? '', /^df -h '\/srv\/my state'\\''s' /, 'the directory is quoted for the shell');
  const own = new EnvironmentError('ERR_STATE_DIR_GONE', 'gone', { hint: 'mkdir -m 0700 /x' });
  assert.equal(explainSaveError(own, dir), own);
  assert.equal(explainSaveError('a string', dir).code, 'ERR_STATE_SAVE_FAILED');
});

test('through the daemon: a change whose save fails (state dir removed) is applied, and the client is told why with the fix; once fixed, saved again and no warning', async () => {
  const dir = tempDir();
  const stateDir = path.join(dir, 'state');
  const d = await startDaemon(['sim', '--state-dir', stateDir], { dir });
  const cli = (...args: string[]) => runCli([...args, '--socket', d.socket]);
  try {
    const first = await cli('set-mac', 'sim', '02:00:00:00:00:41', '--json');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(((j) => [j.persisted, j.persistError])(JSON.parse(first.stdout) as { persisted: boolean; persistError: unknown }), [true, null]);

    rmSync(stateDir, { recursive: true, force: true });
    const human = await cli('set-mac', 'sim', '02:00:00:00:00:42');
    assert.equal(human.code, 0, 'the change itself is applied');
    assert.match(human.stdout, /MAC set to 02:00:00:00:00:42/);
    assert.match(human.stderr, /^ixgbevf: warning: the daemon applied this change but could not save it to its state directory, so a restart of the daemon would not restore it: .*\(fix: mkdir -m 0700 /m);
    const json = await cli('mtu', 'sim', '1500', '--json');
    assert.equal(json.code, 0);
    const doc = JSON.parse(json.stdout) as { persisted: boolean; persistError: { code: string; message: string; hint: string } };
    assert.equal(doc.persisted, false);
    assert.equal(doc.persistError.code, 'ERR_STATE_DIR_GONE');
    assert.match(doc.persistError.hint, /^mkdir -m 0700 /);
    assert.match(json.stderr, /could not save it/, 'the warning is on stderr in --json mode too');
    assert.match(d.log(), /error state-save-failed vf=sim code=ERR_STATE_DIR_GONE .*fix="mkdir -m 0700 /);

    mkdirSync(stateDir, { mode: 0o700 });
    const again = await cli('set-mac', 'sim', '02:00:00:00:00:43', '--json');
    assert.equal(again.code, 0);
    assert.deepEqual(((j) => [j.persisted, j.persistError])(JSON.parse(again.stdout) as { persisted: boolean; persistError: unknown }), [true, null]);
    assert.doesNotMatch(again.stderr, /could not save/);
  } finally {
    await d.stop();
  }
});

test('without a state dir nothing is saved by design: persisted false, persistError null, no warning', async () => {
  const d = await startDaemon(['sim']);
  try {
    const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:44', '--socket', d.socket, '--json']);
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.stdout) as { persisted: boolean; persistError: unknown };
    assert.deepEqual([doc.persisted, doc.persistError], [false, null]);
    assert.equal(r.stderr, '');
  } finally {
    await d.stop();
  }
});
