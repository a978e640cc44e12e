/**
 * The `--json` contract on the real executable (src/cli/main.ts through tsx) in child processes, with a
 * real `ixgbevf daemon sim --socket <tmp>` child (ended by its pid): stdout holds exactly one JSON document
 * for a result, an error and a usage error, directly and through the daemon, with the same shape on both
 * paths; `watch --json` is one JSON object per line and ends as docs/cli.md says; a reader that closes
 * stdout early (`| head -c 1`) gets no stack trace and the command keeps its exit code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonChild } from '../helpers/daemon-child.js';
import { mainTs, repoRoot, runCliProcess, spawnCli } from '../helpers/cli-proc.js';
import { oneDocument } from '../helpers/json-probe-contract.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ixgbevf-json-process-'));
const sock = path.join(dir, 'd.sock');
let daemon: DaemonChild;

before(async () => {
  daemon = new DaemonChild(['sim', '--socket', sock]);
  await daemon.waitLog((l) => l.event === 'started');
});

after(async () => {
  if (daemon.alive) process.kill(daemon.pid, 'SIGTERM');
  await daemon.exited;
  rmSync(dir, { recursive: true, force: true });
});

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

test('one JSON document on stdout for a result, an error and a usage error, directly and through the daemon, the same shape on both paths', async () => {
  for (const [args, exit] of [
    [['set-mac', 'sim', '02:00:00:00:00:01'], 0],
    [['set-mac', 'sim', 'zz'], 2],
    [['vlan', 'sim', 'add', '1', '--jsn'], 2],
  ] as const) {
    const direct = await runCliProcess([...args, '--json']);
    const viaDaemon = await runCliProcess(['--json', ...args, '--socket', sock]);
    for (const [r, where] of [[direct, 'direct'], [viaDaemon, 'daemon']] as const) {
      assert.equal(r.code, exit, `${args.join(' ')} (${where}): ${r.stdout}${r.stderr}`);
      await oneDocument({ code: r.code!, stdout: r.stdout, stderr: r.stderr }, `${args.join(' ')} (${where})`);
      assert.doesNotMatch(r.stderr, STACK);
    }
    const [a, b] = [JSON.parse(direct.stdout) as Record<string, unknown>, JSON.parse(viaDaemon.stdout) as Record<string, unknown>];
    assert.deepEqual(Object.keys(b), Object.keys(a), `${args.join(' ')}: one shape on both paths`);
    if (exit === 0) assert.deepEqual([a['via'], b['via']], ['direct', 'daemon']);
  }
});

test('watch --json through the daemon: one JSON object per line, ended by SIGTERM (exit 0), or by the daemon going away (exit 3, ERR_DAEMON_CLOSED as the last line)', async () => {
  const lines = (out: string): Record<string, unknown>[] => out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  const w = spawnCli(['watch', 'sim', '--json', '--socket', sock]);
  await w.waitFor(/"type":"watching"/);
  assert.equal((await runCliProcess(['sim', 'pf-reset', '--socket', sock, '--json'])).code, 0);
  await w.waitFor(/"type":"recovered"/);
  process.kill(w.child.pid!, 'SIGTERM');
  const r = await w.done;
  assert.equal(r.code, 0, r.stderr);
  const events = lines(r.stdout);
  assert.equal(events[0]!['type'], 'watching');
  assert.ok(events.some((e) => e['type'] === 'pf-reset'));

  // A second daemon on its own socket, stopped under a watch: the watch's last line is the error.
  const other = path.join(dir, 'e.sock');
  const d2 = new DaemonChild(['sim', '--socket', other]);
  await d2.waitLog((l) => l.event === 'started');
  const w2 = spawnCli(['--json', 'watch', 'sim', '--socket', other]);
  await w2.waitFor(/"type":"watching"/);
  process.kill(d2.pid, 'SIGTERM');
  await d2.exited;
  const r2 = await w2.done;
  assert.equal(r2.code, 3, r2.stdout);
  const last = lines(r2.stdout).at(-1)!;
  assert.equal((last['error'] as { code: string; exitCode: number }).code, 'ERR_DAEMON_CLOSED');
  assert.doesNotMatch(r2.stderr, STACK);
});

test('stdout closed early (| head -c 1): no stack trace, the command keeps its own exit code', async () => {
  for (const [args, exit] of [
    [['info', 'sim', '--json'], 0],
    [['info', 'sim:pf=down', '--json'], 4],
    [['--help'], 0],
    [['completion', 'bash'], 0],
    [['info', 'sim', '--socket', sock, '--json'], 0],
  ] as const) {
    const sh = spawn('bash', ['-c', `"$0" --import tsx "$1" "\${@:2}" | head -c 1 > /dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`, process.execPath, mainTs, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    sh.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => sh.on('close', resolve));
    assert.match(stderr, new RegExp(`exit=${exit}\\n$`), `${args.join(' ')}: ${stderr}`);
    assert.doesNotMatch(stderr, STACK, args.join(' '));
    assert.doesNotMatch(stderr, /EPIPE|Error:/, args.join(' '));
  }
});
