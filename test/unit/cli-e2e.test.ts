/** The real executable, spawned: exit codes, output streams, and the daemon's SIGTERM shutdown. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/cli-daemon.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const cwd = fileURLToPath(new URL('../../', import.meta.url));

function ixgbevf(args: string[], env: NodeJS.ProcessEnv = {}): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

test('README quick start through the real bin: exit 0, the PF answer on stdout, the note on stderr', async () => {
  const r = await ixgbevf(['set-mac', 'sim', '02:00:00:00:00:01']).done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /PF answered: SET_MAC_ADDR ACK\|CTS/);
  assert.match(r.stderr, /on hardware the VF would be reset/);
});

test('exit codes of the real bin: 2 bad input, 4 PF down, 5 NACK; --json errors on stdout', async () => {
  const [bad, down, nack] = await Promise.all([
    ixgbevf(['mtu', 'sim', '20']).done,
    ixgbevf(['info', 'sim:pf=down', '--timeout', '100']).done,
    ixgbevf(['set-mac', 'sim:mac=02:00:00:00:00:aa,trust=off', '02:00:00:00:00:01', '--json']).done,
  ]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.equal(down.code, 4, down.stderr);
  assert.match(down.stderr, /drop pf=down from the sim spec/);
  assert.equal(nack.code, 5);
  assert.equal((JSON.parse(nack.stdout) as { error: { code: string } }).error.code, 'ERR_PF_NACK');
  assert.doesNotMatch(down.stderr + nack.stderr, /\n\s+at /, 'no stack traces');
});

test('daemon: SIGTERM releases the VFs, removes the socket and exits 0', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const { child, done } = ixgbevf(['daemon', 'sim', '--socket', socket, '--log-format', 'json']);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (/"event":"ready"/.test(log)) resolve();
    });
    child.on('close', () => reject(new Error(`daemon exited early:\n${log}`)));
  });
  assert.equal(existsSync(socket), true);
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(socket), false, 'socket removed');
  const events = r.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event);
  assert.ok(events.includes('closed'), events.join(','));
  assert.equal(events[events.length - 1], 'stopped');
});
