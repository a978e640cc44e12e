/**
 * `--metrics` on the real binary (src/cli/main.ts through tsx, run in an empty working directory): a host
 * name (a typo of localhost, an address with five parts, a real name) and a relative Unix socket path
 * (`..:1`, `./m.sock`) are refused before anything starts with ERR_INVALID_METRICS_ADDRESS, exit 2 (the
 * units do not restart into it), with a fix that names a valid address; nothing is created. Before, a name
 * failed at start as ERR_METRICS_LISTEN (ENOTFOUND, exit 3: restarted every 2 s) and `..:1` became a
 * socket in the working directory. `localhost:port` and IP addresses still serve.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const main = path.join(root, 'src', 'cli', 'main.ts');
/** tsx's loader by its URL: the child runs in a directory of its own, where `--import tsx` would not resolve. */
const tsx = pathToFileURL(path.join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function daemon(args: string[], cwd: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsx, main, 'daemon', ...args], { cwd, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
  return { status: r.status, stderr: r.stderr };
}

for (const [address, why] of [
  ['localhsot:9464', /"localhsot" is not an IPv4 address or localhost/],
  ['1.2.3.4.5:9464', /"1\.2\.3\.4\.5" is not an IPv4 address or localhost/],
  ['monitor.example:9464', /"monitor\.example" is not an IPv4 address or localhost/],
  ['..:1', /a Unix socket path must be absolute/],
  ['./metrics.sock', /a Unix socket path must be absolute/],
  ['run/metrics.sock', /a Unix socket path must be absolute/],
] as const) {
  test(`the real binary: --metrics ${address} is refused at once, exit 2, with a fix; nothing is created`, { timeout: 60_000 }, () => {
    const cwd = tempDir();
    const sockets = tempDir();
    const r = daemon(['sim', '--socket', path.join(sockets, 'd.sock'), '--metrics', address], cwd);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`ixgbevf: error: --metrics ${JSON.stringify(address)}: `), r.stderr);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /\(try: ixgbevf daemon <vf> --metrics (192\.0\.2\.10:9464|\/run\/ixgbevf\/metrics\.sock)[\s)]/);
    assert.doesNotMatch(r.stderr, /ERR_METRICS_LISTEN|ENOTFOUND|metrics-listening|started/);
    assert.deepEqual(readdirSync(cwd), [], 'nothing created in the working directory');
    assert.deepEqual(readdirSync(sockets).filter((f) => !f.endsWith('.lock')), [], 'no control socket left');
  });
}

test('the real binary: a config file whose metrics is a host name is a bad field, exit 2', { timeout: 60_000 }, () => {
  const dir = tempDir();
  const file = path.join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ vfs: { sim: {} }, metrics: 'localhsot:9464' }), { mode: 0o600 });
  const r = daemon(['--config', file, '--socket', path.join(dir, 'd.sock')], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /metrics: .*"localhsot" is not an IPv4 address or localhost/);
});

test('the real binary: --metrics localhost:0 still serves (localhost is the one name taken)', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const child = new DaemonChild(['sim', '--socket', path.join(dir, 'd.sock'), '--metrics', 'localhost:0']);
  try {
    const listening = await child.waitLog((l) => l.event === 'metrics-listening');
    assert.match(String(listening.address), /^localhost:\d+$/);
    assert.notEqual(listening.address, 'localhost:0');
    child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0, child.stderr);
  } finally {
    if (child.alive) child.kill('SIGKILL');
  }
});
