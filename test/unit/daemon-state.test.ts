/**
 * The state layer on its own: coalesced commits (property tests), exclusive temp files, fsync + rename
 * (how a save reaches the disk in detail: daemon-state-save.test.ts),
 * leftover temp cleanup, corrupt and untrusted files kept aside, and the state directory safety rules
 * (sshd StrictModes) over real temp directories (chmod/chown: the tests run as root where they can).
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { CoalescingCommitter } from '../../src/daemon/commit.js';
import { prepareStateDir } from '../../src/daemon/state-dir.js';
import { emptyState, MAX_STATE_REVISION, nativeReplaceFile, StateStore, TEMP_FILE_RE } from '../../src/daemon/state.js';
import { EnvironmentError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;

// ---------------------------------------------------------------------------------------------------
// Coalescing commits

type Step = { kind: 'submit' } | { kind: 'finish'; ok: boolean };

test('commits: one write at a time, newest state wins, persisted=true only once that state or a later one is written', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constant<Step>({ kind: 'submit' }), fc.boolean().map<Step>((ok) => ({ kind: 'finish', ok }))), { minLength: 1, maxLength: 60 }),
      async (steps) => {
        let running = 0;
        let maxRunning = 0;
        const writes: { value: number; finish(ok: boolean): void }[] = [];
        const written: number[] = [];
        const committer = new CoalescingCommitter<number>(
          (value) =>
            new Promise<void>((resolve, reject) => {
              running += 1;
              maxRunning = Math.max(maxRunning, running);
              writes.push({
                value,
                finish: (ok) => {
                  running -= 1;
                  if (ok) {
                    written.push(value);
                    resolve();
                  } else reject(new Error('disk full'));
                },
              });
            }),
        );
        const outcomes = new Map<number, boolean>();
        let submitted = 0;
        const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
        const finishNext = async (ok: boolean): Promise<void> => {
          const w = writes.shift();
          if (w === undefined) return;
          w.finish(ok);
          await tick();
        };
        for (const step of steps) {
          if (step.kind === 'submit') {
            const v = ++submitted;
            void committer.submit(v).then((p) => outcomes.set(v, p));
            await tick();
          } else {
            await finishNext(step.ok);
          }
        }
        // Drain: every remaining write succeeds.
        while (writes.length > 0) await finishNext(true);
        await committer.idle();
        await tick();
        assert.equal(maxRunning <= 1, true, 'never two writes at once');
        assert.equal(outcomes.size, submitted, 'every submitter gets an answer');
        // Written values only increase (never an older state after a newer one).
        for (let i = 1; i < written.length; i++) assert.ok(written[i]! > written[i - 1]!, `order: ${written.join(',')}`);
        // The last accepted state is on disk exactly when its submitter was told so.
        if (submitted > 0) assert.equal(written.at(-1) === submitted, outcomes.get(submitted), `written ${written.join(',')}`);
        for (const [v, persisted] of outcomes) {
          if (persisted) assert.ok(written.some((w) => w >= v), `v${v} said persisted but only ${written.join(',')} were written`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('commits: a failed write answers false to the states it covered, the next write is tried normally', async () => {
  let fail = true;
  const committer = new CoalescingCommitter<number>(async () => {
    await new Promise((r) => setImmediate(r));
    if (fail) throw new Error('EIO');
  });
  const first = committer.submit(1);
  const coalesced = [committer.submit(2), committer.submit(3)];
  assert.equal(await first, false);
  fail = false;
  assert.deepEqual(await Promise.all(coalesced), [true, true]);
  assert.equal(committer.durableVersion, 3);
});

// ---------------------------------------------------------------------------------------------------
// The store

function freshStateDir(): string {
  const dir = path.join(tempDir(), 'state');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

test('save: a complete 0600 file, no temp file left, a symlink at the state file name is replaced and never followed', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  const victim = path.join(path.dirname(dir), 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, store.fileFor('sim'));
  await store.save('sim', { ...emptyState(), mac: '02:00:00:00:00:01' });
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the symlink target is untouched');
  const st = lstatSync(store.fileFor('sim'));
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).desired.mac, '02:00:00:00:00:01');
  assert.deepEqual(readdirSync(dir), ['sim.json']);
});

test('save: each save uses a new temp name matching the cleanup pattern (both the one-job and the node:fs path)', async () => {
  // The one-job path: the names handed to the addon's replaceFileDurably.
  const real = nativeReplaceFile();
  assert.ok(real !== null, 'the built addon has replaceFileDurably');
  const seen: string[] = [];
  const dir = freshStateDir();
  const store = new StateStore(dir, {
    replaceFile: (fd, temp, final, data) => {
      seen.push(temp);
      return real(fd, temp, final, data);
    },
  });
  await Promise.all([store.save('sim', emptyState()), store.save('sim', emptyState())]);
  await store.close();
  // The fallback: the names node:fs opens.
  const { promises: fsp } = await import('node:fs');
  const fallback = new StateStore(freshStateDir(), { replaceFile: null });
  const realOpen = fsp.open;
  (fsp as { open: typeof fsp.open }).open = ((file: string, ...rest: Parameters<typeof fsp.open> extends [unknown, ...infer R] ? R : never) => {
    if (path.basename(String(file)).startsWith('.')) seen.push(path.basename(String(file)));
    return realOpen(file, ...rest);
  }) as typeof fsp.open;
  try {
    await Promise.all([fallback.save('sim', emptyState()), fallback.save('sim', emptyState())]);
  } finally {
    (fsp as { open: typeof fsp.open }).open = realOpen;
  }
  await fallback.close();
  assert.equal(seen.length, 4);
  assert.equal(new Set(seen).size, 4, seen.join(' '));
  for (const name of seen) assert.match(name, TEMP_FILE_RE);
  assert.ok(seen.every((n) => n.startsWith('.sim.json.tmp-')));
});

test('removeLeftovers: removes only the daemon\'s own regular temp files of trusted owners; never a symlink', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  const own = '.sim.json.tmp-123-4-0123456789ab';
  const link = '.sim.json.tmp-123-5-0123456789ab';
  const foreign = '.sim.json.tmp-123-6-0123456789ab';
  const other = 'notes.txt';
  writeFileSync(path.join(dir, own), '{"partial');
  const target = path.join(path.dirname(dir), 'target');
  writeFileSync(target, 'keep');
  symlinkSync(target, path.join(dir, link));
  writeFileSync(path.join(dir, other), 'x');
  if (isRoot) {
    writeFileSync(path.join(dir, foreign), 'x');
    chownSync(path.join(dir, foreign), OTHER_UID, OTHER_UID);
  }
  const { removed, skipped } = await store.removeLeftovers();
  assert.deepEqual(removed, [own]);
  assert.deepEqual(skipped.sort(), (isRoot ? [link, foreign] : [link]).sort());
  assert.equal(existsSync(path.join(dir, own)), false);
  assert.equal(readFileSync(target, 'utf8'), 'keep');
  assert.ok(existsSync(path.join(dir, other)));
});

test('load: missing → null; valid → the state; corrupt → kept aside as .corrupt-<time> (never replaced), null', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  assert.deepEqual(await store.load('sim'), { desired: null, revision: 0, problem: null });
  await store.save('sim', { ...emptyState(), vlans: [5, 1] }, 7);
  assert.deepEqual(await store.load('sim'), { desired: { vlans: [1, 5], multicast: [] }, revision: 7, problem: null });
  const now = (): Date => new Date('2026-12-04T23:00:00.000Z');
  for (const [n, text] of ['', '{"version":1,"vf":"sim","desired":{"vlans":[4095]}}'].entries()) {
    writeFileSync(store.fileFor('sim'), text, { mode: 0o600 });
    const r = await store.load('sim', now);
    assert.equal(r.desired, null);
    assert.equal(r.problem?.kind, 'corrupt');
    const expected = `${store.fileFor('sim')}.corrupt-2026-12-04T23-00-00.000Z${n === 0 ? '' : '-1'}`;
    assert.equal(r.problem?.keptAs, expected, 'a second corrupt file at the same time gets its own name');
    assert.equal(readFileSync(expected, 'utf8'), text);
    assert.equal(existsSync(store.fileFor('sim')), false);
  }
});

test('load: a symlink or a group-writable state file is refused and kept aside (.untrusted-<time>)', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  const elsewhere = path.join(path.dirname(dir), 'elsewhere.json');
  writeFileSync(elsewhere, JSON.stringify({ version: 1, vf: 'sim', desired: { mac: '02:00:00:00:00:09' } }));
  symlinkSync(elsewhere, store.fileFor('sim'));
  let r = await store.load('sim');
  assert.equal(r.desired, null);
  assert.equal(r.problem?.kind, 'untrusted');
  assert.match(r.problem!.reason, /symlink/);
  assert.ok(lstatSync(r.problem!.keptAs!).isSymbolicLink());
  writeFileSync(store.fileFor('sim'), JSON.stringify({ version: 1, vf: 'sim', desired: { mac: '02:00:00:00:00:09' } }));
  chmodSync(store.fileFor('sim'), 0o666);
  r = await store.load('sim');
  assert.equal(r.desired, null);
  assert.match(r.problem!.reason, /writable by group or others/);
  assert.equal(existsSync(store.fileFor('sim')), false);
});

test('load: a state file owned by another user is refused and kept aside', { skip: isRoot ? false : 'needs root to chown' }, async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  writeFileSync(store.fileFor('sim'), JSON.stringify({ version: 1, vf: 'sim', desired: { mac: '02:00:00:00:00:09' } }), { mode: 0o600 });
  chownSync(store.fileFor('sim'), OTHER_UID, OTHER_UID);
  const r = await store.load('sim');
  assert.equal(r.desired, null);
  assert.equal(r.problem?.kind, 'untrusted');
  assert.match(r.problem!.reason, /owned by uid 65534/);
  assert.equal(statSync(r.problem!.keptAs!).uid, OTHER_UID);
});

// ---------------------------------------------------------------------------------------------------
// The state directory

async function refusal(dir: string): Promise<EnvironmentError> {
  try {
    await prepareStateDir(dir);
  } catch (err) {
    assert.ok(err instanceof EnvironmentError, String(err));
    assert.equal(err.exitCode, 3);
    return err;
  }
  assert.fail(`${dir} was accepted`);
}

test('state dir: created 0700 when missing; a private dir under a root-owned sticky /tmp is accepted', async () => {
  const base = tempDir();
  const dir = path.join(base, 'a', 'b');
  assert.equal(await prepareStateDir(dir), dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('state dir: group/world-writable (itself, or a non-sticky dir above) is refused with the chmod fix', async () => {
  const base = tempDir();
  const dir = path.join(base, 'state');
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o777);
  let e = await refusal(dir);
  assert.equal(e.code, 'ERR_STATE_DIR_UNSAFE');
  assert.match(e.message, /writable by every user \(mode 0777\)/);
  assert.equal(e.hint, `chmod go-w ${dir}`);
  chmodSync(dir, 0o770);
  e = await refusal(dir);
  assert.match(e.message, /writable by its group/);
  // The state dir itself may not be sticky-and-writable either (others could create files in it).
  chmodSync(dir, 0o1777);
  await refusal(dir);
  chmodSync(dir, 0o700);
  chmodSync(base, 0o777);
  e = await refusal(dir);
  assert.equal(e.hint, `chmod go-w ${base}`);
  // A root-owned sticky directory above is fine (as /tmp), when root owns it.
  chmodSync(base, 0o1777);
  if (isRoot) assert.equal(await prepareStateDir(dir), dir);
  // A missing state dir below an unsafe one is never created.
  chmodSync(base, 0o777);
  const fresh = path.join(base, 'new');
  await refusal(fresh);
  assert.equal(existsSync(fresh), false);
});

test('state dir: reached through a symlink, the real directory and everything above it are checked', async () => {
  const base = tempDir();
  const open = path.join(base, 'open');
  mkdirSync(open, { mode: 0o700 });
  const real = path.join(open, 'real');
  mkdirSync(real, { mode: 0o700 });
  chmodSync(open, 0o777);
  const link = path.join(base, 'link');
  symlinkSync(real, link);
  const e = await refusal(link);
  assert.match(e.message, new RegExp(`${open.replace(/[/.]/g, '\\$&')} is writable by every user`));
  chmodSync(open, 0o755);
  assert.equal(await prepareStateDir(link), real);
});

test('state dir: owned by another (non-root) user is refused with the chown fix', { skip: isRoot ? false : 'needs root to chown' }, async () => {
  const base = tempDir();
  const dir = path.join(base, 'state');
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, OTHER_UID, OTHER_UID);
  const e = await refusal(dir);
  assert.match(e.message, /owned by uid 65534/);
  assert.equal(e.hint, `chown root ${dir}`);
  chownSync(dir, 0, 0);
  chownSync(base, OTHER_UID, OTHER_UID);
  assert.match((await refusal(dir)).message, new RegExp(`${base.replace(/[/.]/g, '\\$&')} is owned by uid 65534`));
});

test('daemon: an unsafe --state-dir stops it before it opens a VF (exit 3, cause and fix)', async () => {
  const base = tempDir();
  const dir = path.join(base, 'state');
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o777);
  const r = await runCli(['daemon', 'sim', '--state-dir', dir, '--socket', path.join(base, 's.sock')]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /refusing state directory .* is writable by every user/);
  assert.match(r.stderr, new RegExp(`fix: chmod go-w ${dir.replace(/[/.]/g, '\\$&')}`));
});

test('load: a directory in place of the state file is kept aside too (rename where link is impossible)', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  mkdirSync(store.fileFor('sim'));
  const r = await store.load('sim');
  assert.equal(r.problem?.kind, 'untrusted');
  assert.ok(r.problem!.keptAs !== null && statSync(r.problem!.keptAs).isDirectory());
  assert.equal(existsSync(store.fileFor('sim')), false);
});

test("state dir: another user's symlink on the way (planted in a sticky dir) is refused, also behind a trusted link; root's own link is followed", { skip: isRoot ? false : 'needs root to lchown' }, async () => {
  const base = tempDir();
  const sticky = path.join(base, 'tmp');
  mkdirSync(sticky, { mode: 0o700 });
  chmodSync(sticky, 0o1777); // as /tmp: root-owned, sticky, world-writable
  const victim = path.join(base, 'rootdir');
  mkdirSync(victim, { mode: 0o700 });
  writeFileSync(path.join(victim, 'sim.json'), '{"a root file": true}');
  const planted = path.join(sticky, 'ixgbevf-state');
  symlinkSync(victim, planted);
  lchownSync(planted, OTHER_UID, OTHER_UID);
  const e = await refusal(planted);
  assert.equal(e.code, 'ERR_STATE_DIR_UNSAFE');
  assert.match(e.message, /is a symlink owned by uid 65534/);
  assert.deepEqual(readdirSync(victim), ['sim.json'], 'nothing in the target was touched');
  // Reached through root's own link that points at the planted one: still refused.
  const rootLink = path.join(base, 'via-root');
  symlinkSync(planted, rootLink);
  assert.match((await refusal(rootLink)).message, /symlink owned by uid 65534/);
  // The same link owned by root is followed (an admin's own symlink).
  lchownSync(planted, 0, 0);
  assert.equal(await prepareStateDir(planted), victim);
});

test('load: values of the wrong JSON type are a corrupt file, not read leniently; null is unset', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  const wrong: Record<string, unknown>[] = [
    { mac: ['02:00:00:00:00:33'] },
    { mac: 2 },
    { mtu: ' 1500 ' },
    { mtu: '1500' },
    { vlans: ['7', ' 8'] },
    { multicast: [['01:00:5e:00:00:01']] },
    { xcast: ['multi'] },
  ];
  for (const desired of wrong) {
    writeFileSync(store.fileFor('sim'), JSON.stringify({ version: 1, vf: 'sim', revision: 1, desired }), { mode: 0o600 });
    const r = await store.load('sim');
    assert.equal(r.desired, null, JSON.stringify(desired));
    assert.equal(r.problem?.kind, 'corrupt', JSON.stringify(desired));
  }
  writeFileSync(store.fileFor('sim'), JSON.stringify({ version: 1, vf: 'sim', revision: 1, desired: { mac: null, mtu: 1400, xcast: null, vlans: null, multicast: [] } }), { mode: 0o600 });
  const ok = await store.load('sim');
  assert.equal(ok.problem, null);
  assert.equal(ok.desired?.mtu, 1400);
  assert.equal(ok.desired?.mac, undefined);
});

test('load: a revision the daemon could not go on counting from is corrupt; the largest it accepts still saves and loads', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  writeFileSync(store.fileFor('sim'), JSON.stringify({ version: 1, vf: 'sim', revision: Number.MAX_SAFE_INTEGER, desired: { mtu: 1400 } }), { mode: 0o600 });
  const r = await store.load('sim');
  assert.equal(r.problem?.kind, 'corrupt');
  await store.save('sim', { ...emptyState(), mtu: 1400 }, MAX_STATE_REVISION);
  const max = await store.load('sim');
  assert.equal(max.problem, null);
  assert.equal(max.revision, MAX_STATE_REVISION);
  assert.ok(Number.isSafeInteger(max.revision + 1000), 'room to count on');
});
