/**
 * `ixgbevf smoke --json` as a process, on the real binary (src/cli/main.ts through tsx; with
 * test/helpers/smoke-hold.mjs where the run must wait in pf.reset until the test signals it): stdout is one
 * JSON document or nothing, the exit code is the documented one, for a hangup (SIGHUP: the SSH session
 * closed), stdout on a full disk, stdout closed by its reader, kill -9 followed by a rerun, and two runs at
 * once. Every wait is on the child's output, never on a timer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { test } from 'node:test';
import { collectOutput, mainTs, repoRoot, runCliProcess } from '../helpers/cli-proc.js';
import { SMOKE_HOLD_ENV } from '../helpers/smoke-hold-vf.js';

const preload = new URL('../helpers/smoke-hold.mjs', import.meta.url).href;
const LONG_RUN = ['smoke', 'sim', '--allow-pf-changes', '--allow-pf-reset', '--reset-bound', '600000', '--json'];
const HELD_PF_UP = /"event":"test-smoke-hold","op":"interfaceUp"/;
const NOTICE = /^ixgbevf: smoke interrupted: stopping the checks/m;

interface Doc {
  ok: boolean;
  interrupted?: boolean;
  exitCode: number;
  checks: { id: string; status: string; reason: string }[];
}

/** The binary with the hold preload, the PF held down in pf.reset; stdout as given (a pipe by default). */
function heldChild(stdout: 'pipe' | number = 'pipe') {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, mainTs, ...LONG_RUN], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', [SMOKE_HOLD_ENV]: JSON.stringify({ holdPfUp: true }) },
    stdio: ['ignore', stdout, 'pipe'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.on('close', () => clearTimeout(guard));
  return child;
}

/** stderr so far, and a wait for a pattern in it (for a child whose stdout the test does not collect). */
function stderrOf(child: ReturnType<typeof heldChild>) {
  let text = '';
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (c: Buffer) => {
    text += c.toString();
    waiters.forEach((w) => w());
  });
  const done = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => (re.test(text) ? resolve() : undefined);
      waiters.push(check);
      check();
      void done.then(() => (re.test(text) ? resolve() : reject(new Error(`ended before ${re}: ${text}`))));
    });
  return { text: () => text, waitFor, done };
}

test('SIGHUP (the SSH session closed) while pf.reset waits: one JSON document, interrupted, the release ran, exit 3', { timeout: 70_000 }, async () => {
  const child = heldChild();
  const out = collectOutput(child);
  await out.waitFor(HELD_PF_UP);
  child.kill('SIGHUP');
  const r = await out.done;
  assert.equal(r.signal, null, 'not killed by the hangup');
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, NOTICE);
  const doc = JSON.parse(r.stdout) as Doc;
  assert.equal(doc.interrupted, true);
  assert.equal(doc.ok, false);
  assert.equal(doc.exitCode, 3);
  assert.equal(doc.checks.find((c) => c.id === 'release.restore')?.status, 'pass');
});

test('stdout on a full disk (/dev/full) and a Ctrl-C in pf.reset: the run ends, one line names ENOSPC with its fix, exit 3', { timeout: 70_000 }, async () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const child = heldChild(fd);
    const err = stderrOf(child);
    await err.waitFor(HELD_PF_UP);
    child.kill('SIGINT');
    const r = await err.done;
    assert.equal(r.signal, null);
    assert.equal(r.code, 3, err.text());
    const lines = err.text().split('\n').filter((l) => l.startsWith('ixgbevf: error:'));
    assert.equal(lines.length, 1, err.text());
    assert.match(lines[0]!, /could not write the output to stdout \(ENOSPC/);
    assert.match(err.text(), /^ {2}fix: df -h$/m);
  } finally {
    closeSync(fd);
  }
});

test('stdout closed by its reader before the report (| head -c 0): the run ends quietly with its own exit code, no stack', { timeout: 70_000 }, async () => {
  const child = heldChild();
  const err = stderrOf(child);
  await err.waitFor(HELD_PF_UP);
  child.stdout!.destroy(); // the reader went away
  child.kill('SIGTERM');
  const r = await err.done;
  assert.equal(r.signal, null);
  assert.equal(r.code, 3, err.text());
  assert.doesNotMatch(err.text(), /EPIPE|Error:|    at /, 'no crash, no error for a reader that left');
});

test('kill -9 in the middle of pf.reset, then the same smoke again: it runs to its end (no leftover state or lock)', { timeout: 70_000 }, async () => {
  const child = heldChild();
  const out = collectOutput(child);
  await out.waitFor(HELD_PF_UP);
  child.kill('SIGKILL');
  const killed = await out.done;
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(killed.stdout, '', 'killed before the report: no partial document');
  const again = await runCliProcess(['smoke', 'sim', '--allow-pf-changes', '--allow-pf-reset', '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((JSON.parse(again.stdout) as Doc).ok, true);
});

test('two smoke runs of the same sim spec at once: each has its own simulated VF, both pass with one document each', { timeout: 70_000 }, async () => {
  const args = ['smoke', 'sim:family=82576', '--allow-pf-changes', '--allow-pf-reset', '--json'];
  const [a, b] = await Promise.all([runCliProcess(args), runCliProcess(args)]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Doc).ok, true);
  }
});
