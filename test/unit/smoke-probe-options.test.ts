/**
 * `ixgbevf smoke` with option values an administrator gets wrong, on the simulated VF: each is refused
 * before anything is opened (exit 2 / 3), with a stable code, one line, and a fix that is the user's own
 * command line made valid as a whole: the fix itself is run and must not fail again on an option.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, type CliResult } from '../helpers/cli-run.js';

interface ErrorDoc {
  error: { code: string; message: string; hint?: string; exitCode: number };
}

/** The `ixgbevf …` command at the start of a hint, as argv (the hints here quote nothing). */
function fixArgv(hint: string | undefined): string[] {
  assert.ok(hint !== undefined, 'the error has a fix');
  const m = /^ixgbevf ((?:\S+ )*\S+)/.exec(hint.split('   ')[0]!);
  assert.ok(m, `the fix is an ixgbevf command: ${hint}`);
  return m[1]!.split(' ');
}

async function jsonError(argv: string[]): Promise<{ r: CliResult; doc: ErrorDoc }> {
  const r = await runCli(argv);
  const doc = JSON.parse(r.stdout) as ErrorDoc;
  assert.equal(r.stderr, '', 'with --json the error is the document on stdout only');
  assert.equal(doc.error.exitCode, r.code);
  assert.doesNotMatch(doc.error.message, /\n/, 'one line');
  return { r, doc };
}

/** Runs the fix: it must not be refused again (no exit 2); on sim it runs the whole test (exit 0). */
async function fixRuns(hint: string | undefined): Promise<CliResult> {
  const r = await runCli(fixArgv(hint));
  assert.equal(r.code, 0, `the fix ${hint} ran into: ${r.stdout}${r.stderr}`);
  return r;
}

test('--bind on the simulated VF is refused (exit 2, ERR_USAGE) before any check: sim has no PCI device to move', async () => {
  for (const argv of [
    ['smoke', 'sim', '--bind', '--json'],
    ['smoke', 'sim:family=82576', '--bind', '--force', '--json'],
    ['--json', 'smoke', 'sim', '--poll', '--bind'],
  ]) {
    const { r, doc } = await jsonError(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(doc.error.code, 'ERR_USAGE');
    assert.match(doc.error.message, /--bind .*simulated VF .*no PCI device/);
    assert.doesNotMatch(r.stdout, /"checks"/, 'no check ran');
    const fix = fixArgv(doc.error.hint);
    assert.ok(!fix.includes('--bind') && !fix.includes('--force'), doc.error.hint);
    assert.ok(fix.includes('--json'), `the fix keeps the user's options: ${doc.error.hint}`);
    const again = await fixRuns(doc.error.hint);
    assert.equal((JSON.parse(again.stdout) as { ok: boolean }).ok, true);
  }
});

test('--force without --bind on sim: the fix drops --force (a fix adding --bind would be refused on sim)', async () => {
  const { r, doc } = await jsonError(['smoke', 'sim', '--force', '--poll', '--json']);
  assert.equal(r.code, 2);
  assert.equal(doc.error.code, 'ERR_USAGE');
  assert.deepEqual(fixArgv(doc.error.hint), ['smoke', 'sim', '--poll', '--json']);
  await fixRuns(doc.error.hint);
});

test('a bad --reset-bound: ERR_INVALID_RESET_BOUND, exit 2, and the fix is the command line with a valid bound', async () => {
  for (const bad of ['', '5', 'soon', '99999999999999999999999', '-1', '1e3', '\u00ff']) {
    const { r, doc } = await jsonError(['smoke', 'sim', '--reset-bound', bad, '--json']);
    assert.equal(r.code, 2, JSON.stringify(bad));
    assert.equal(doc.error.code, 'ERR_INVALID_RESET_BOUND');
    assert.deepEqual(fixArgv(doc.error.hint), ['smoke', 'sim', '--reset-bound', '20000', '--json']);
  }
  const { doc } = await jsonError(['smoke', 'sim', '--reset-bound=5', '--json']);
  assert.deepEqual(fixArgv(doc.error.hint), ['smoke', 'sim', '--reset-bound=20000', '--json']);
  await fixRuns(doc.error.hint);
});

test('a bad --reset-bound and a bad --timeout together: one fix repairs both (either order)', async () => {
  for (const argv of [
    ['smoke', 'sim', '--timeout', '0', '--reset-bound', '5', '--json'],
    ['smoke', 'sim', '--reset-bound', '5', '--timeout=-3', '--json'],
  ]) {
    const { r, doc } = await jsonError(argv);
    assert.equal(r.code, 2);
    await fixRuns(doc.error.hint);
  }
});

test('a named socket where no daemon answers: exit 3, and the fix is the smoke test without --socket (not a daemon owning the VF)', async () => {
  const sock = '/nonexistent/ixgbevf-smoke-probe.sock';
  for (const argv of [
    ['smoke', 'sim', '--socket', sock, '--json'],
    ['smoke', 'sim', `--socket=${sock}`, '--json'],
  ]) {
    const { r, doc } = await jsonError(argv);
    assert.equal(r.code, 3);
    assert.equal(doc.error.code, 'ERR_DAEMON_UNREACHABLE');
    assert.doesNotMatch(doc.error.hint ?? '', /ixgbevf daemon/, 'a daemon owning the VF would make the smoke test refuse it');
    assert.deepEqual(fixArgv(doc.error.hint), ['smoke', 'sim', '--json']);
    await fixRuns(doc.error.hint);
  }
});

test('--pf on the simulated VF is refused (exit 2): the report and its restore commands would name a real host interface the test never touched', async () => {
  for (const argv of [
    ['smoke', 'sim', '--pf', 'eth0', '--json'],
    ['smoke', 'sim:pf=down', '--pf=eth0', '--allow-pf-changes', '--json'],
  ]) {
    const { r, doc } = await jsonError(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(doc.error.code, 'ERR_USAGE');
    assert.match(doc.error.message, /--pf .*simulated PF/);
    assert.doesNotMatch(doc.error.hint ?? '', /eth0/);
  }
  const { doc } = await jsonError(['smoke', 'sim', '--pf', 'eth0', '--allow-pf-changes', '--json']);
  const again = await fixRuns(doc.error.hint);
  assert.doesNotMatch(again.stdout, /eth0/, 'the fix runs on the simulated PF only');
  // A bad interface name is still reported as one (before the sim rule).
  assert.equal((await jsonError(['smoke', 'sim', '--pf', 'has space', '--json'])).doc.error.code, 'ERR_INVALID_IFNAME');
});
