/**
 * The bin as built by scripts/bundle-cli.mjs: dist/ixgbevf.mjs (the loader), dist/ixgbevf-cli.cjs (the
 * CLI as one script) and dist/ixgbevf-cli.cache (V8's code cache of it). Rules: the cache is used when it
 * was made from this bundle; missing, from another build, truncated, corrupt or rejected by V8, it is
 * ignored and the command prints exactly the same; the bin writes nothing (run from a read-only copy,
 * as another user when the tests run as root); node:child_process is loaded only when a child is
 * started, and a command that starts one (`list` runs `ip -j`) still works.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(repoRoot, 'dist');
const FILES = ['ixgbevf.mjs', 'ixgbevf-cli.cjs', 'ixgbevf-cli.cache'];
const notBuilt = !FILES.every((f) => existsSync(path.join(dist, f))) && 'dist/ not built (npm run build)';
const work = mkdtempSync(path.join(tmpdir(), 'ixgbevf-cli-bundle-'));
const SET_MAC = ['set-mac', 'sim', '02:00:00:00:00:01'];
const NOBODY = 65534;

/** A package-shaped copy of the bin (dist/ plus the repo's node_modules and build/ beside it). */
function copyOfBin(name: string): string {
  const pkg = path.join(work, name);
  mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  for (const f of FILES) copyFileSync(path.join(dist, f), path.join(pkg, 'dist', f));
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(pkg, 'node_modules'));
  if (existsSync(path.join(repoRoot, 'build'))) symlinkSync(path.join(repoRoot, 'build'), path.join(pkg, 'build'));
  return path.join(pkg, 'dist');
}

function runBin(distDir: string, args: string[], extra: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(distDir, 'ixgbevf.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: work,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: path.join(work, 'no-daemon.sock'), IXGBEVF_DEBUG_CODE_CACHE: '1', ...extra.env },
    ...(extra.uid !== undefined ? { uid: extra.uid, gid: extra.gid ?? extra.uid } : {}),
  });
}

/** The cache state the bin reported on its first stderr line, and the output without that line. */
function split(r: SpawnSyncReturns<string>): { state: string; status: number | null; stdout: string; stderr: string } {
  const [first, ...rest] = r.stderr.split('\n');
  const state = /^ixgbevf: code cache (used|rejected|none)$/.exec(first ?? '')?.[1];
  assert.ok(state !== undefined, `the bin reports its cache state first: ${r.stderr}`);
  return { state, status: r.status, stdout: r.stdout, stderr: rest.join('\n') };
}

/** The cache file's header fields and V8's bytes. */
function readCache(file: string): { fields: string[]; payload: Buffer } {
  const bytes = readFileSync(file);
  const eol = bytes.indexOf(10);
  return { fields: bytes.toString('latin1', 0, eol).split(' '), payload: bytes.subarray(eol + 1) };
}

function writeCache(file: string, fields: string[], payload: Buffer): void {
  writeFileSync(file, Buffer.concat([Buffer.from(`${fields.join(' ')}\n`, 'latin1'), payload]));
}

async function crc32Hex(bytes: Buffer): Promise<string> {
  const { crc32 } = (await import('node:zlib')) as unknown as { crc32: (b: Buffer) => number };
  return crc32(bytes).toString(16);
}

let reference: ReturnType<typeof split>;
before(() => {
  if (notBuilt) return;
  reference = split(runBin(dist, SET_MAC));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('the bin and its code cache', { skip: notBuilt }, () => {
  test('the cache made at build time is used, and set-mac sim succeeds', () => {
    assert.equal(reference.state, 'used');
    assert.equal(reference.status, 0, reference.stderr);
    assert.match(reference.stdout, /MAC set to 02:00:00:00:00:01/);
  });

  test('the bundle is all ASCII and headed by its build id, which the cache header names', () => {
    const bundle = readFileSync(path.join(dist, 'ixgbevf-cli.cjs'));
    assert.equal(bundle.findIndex((b) => b > 0x7f), -1, 'no byte above 0x7f');
    const id = /^\/\/ixgbevf-cli ([0-9a-f]{32})\n/.exec(bundle.toString('latin1', 0, 100))?.[1];
    assert.ok(id !== undefined);
    const { fields, payload } = readCache(path.join(dist, 'ixgbevf-cli.cache'));
    assert.deepEqual(fields.slice(0, 4), ['ixgbevf-cli-cache', '1', id, String(payload.length)]);
  });

  const ignored: [string, (cache: string) => Promise<void> | void, string][] = [
    ['missing', (cache) => rmSync(cache), 'none'],
    ['empty', (cache) => writeFileSync(cache, ''), 'none'],
    ['truncated', (cache) => { const b = readFileSync(cache); writeFileSync(cache, b.subarray(0, b.length - 1000)); }, 'none'],
    ['one byte of V8\'s data flipped (same length: the CRC catches it)', (cache) => {
      const { fields, payload } = readCache(cache);
      payload[payload.length >> 1]! ^= 0x40;
      writeCache(cache, fields, payload);
    }, 'none'],
    ['made from another build (the id differs)', (cache) => {
      const { fields, payload } = readCache(cache);
      fields[2] = '0'.repeat(32);
      writeCache(cache, fields, payload);
    }, 'none'],
    ['a header of another format', (cache) => {
      const { fields, payload } = readCache(cache);
      fields[1] = '2';
      writeCache(cache, fields, payload);
    }, 'none'],
    ['garbage with a valid header and CRC: V8 rejects it', async (cache) => {
      const { fields, payload } = readCache(cache);
      const junk = Buffer.alloc(payload.length, 0x5a);
      fields[4] = await crc32Hex(junk);
      writeCache(cache, fields, junk);
    }, 'rejected'],
    ['not a cache at all (a directory)', (cache) => { rmSync(cache); mkdirSync(cache); }, 'none'],
  ];
  for (const [what, spoil, state] of ignored) {
    test(`a cache ${what}: compiled from source, same output and exit code`, async () => {
      const copy = copyOfBin(`spoiled-${ignored.findIndex((c) => c[0] === what)}`);
      await spoil(path.join(copy, 'ixgbevf-cli.cache'));
      const r = split(runBin(copy, SET_MAC));
      assert.equal(r.state, state);
      assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: reference.status, stdout: reference.stdout, stderr: reference.stderr });
    });
  }

  test('V8 rejects the cache under other V8 flags: compiled from source, same output', () => {
    const r = spawnSync(process.execPath, ['--no-lazy', path.join(dist, 'ixgbevf.mjs'), ...SET_MAC], {
      encoding: 'utf8', timeout: 30_000, cwd: work,
      env: { PATH: process.env.PATH, IXGBEVF_SOCKET: path.join(work, 'no-daemon.sock'), IXGBEVF_DEBUG_CODE_CACHE: '1' },
    });
    const s = split(r);
    assert.equal(s.state, 'rejected');
    assert.deepEqual({ status: s.status, stdout: s.stdout, stderr: s.stderr }, { status: reference.status, stdout: reference.stdout, stderr: reference.stderr });
  });

  test('an error keeps its message and exit code through the bundle (bad MAC: 2)', () => {
    const r = split(runBin(dist, ['set-mac', 'sim', 'zz']));
    assert.equal(r.state, 'used');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /invalid MAC address "zz"/);
  });
});

describe('the bin writes nothing', { skip: notBuilt }, () => {
  test('from a read-only copy of dist/ (as another user when run as root), several commands leave it unchanged', () => {
    const copy = copyOfBin('read-only');
    const asRoot = process.getuid?.() === 0;
    const snapshot = (): string[] => readdirSync(copy).sort().map((f) => {
      const st = statSync(path.join(copy, f));
      return `${f} ${st.size} ${st.mtimeMs} ${st.mode.toString(8)}`;
    });
    for (const f of FILES) chmodSync(path.join(copy, f), 0o444);
    chmodSync(copy, 0o555);
    if (asRoot) for (const d of [work, path.dirname(copy)]) chmodSync(d, 0o755); // nobody must reach the copy
    const home = path.join(work, 'home-ro');
    mkdirSync(home, { mode: 0o555 });
    const before = snapshot();
    try {
      const env = { HOME: home, TMPDIR: home, XDG_CACHE_HOME: home };
      const user = asRoot ? { uid: NOBODY } : {};
      const r = split(runBin(copy, SET_MAC, { env, ...user }));
      assert.equal(r.state, 'used');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, reference.stdout);
      for (const args of [['--version'], ['--help'], ['info', 'sim', '--json'], ['--version', '--json'], ['set-mac', '--help', '--json']]) {
        const o = runBin(copy, args, { env, ...user });
        assert.equal(o.status, 0, `${args.join(' ')}: ${o.stderr}`);
        if (args.includes('--json')) assert.doesNotThrow(() => JSON.parse(o.stdout), args.join(' '));
      }
      assert.deepEqual(snapshot(), before);
      assert.deepEqual(readdirSync(home), []);
    } finally {
      chmodSync(copy, 0o755);
    }
  });
});

describe('node:child_process on demand', { skip: notBuilt }, () => {
  test('set-mac sim does not load node:child_process', () => {
    const probe = path.join(work, 'probe.cjs');
    writeFileSync(probe, "process.on('exit', () => process._rawDebug('child_process loaded: ' + process.moduleLoadList.includes('NativeModule child_process')));\n");
    const r = spawnSync(process.execPath, ['--require', probe, path.join(dist, 'ixgbevf.mjs'), ...SET_MAC], {
      encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, IXGBEVF_SOCKET: path.join(work, 'no-daemon.sock') },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /child_process loaded: false/);
  });

  test('list (which runs `ip -j link` through execFile) prints the same from the bin as from the tsc build, with ip\'s data', { skip: !existsSync(path.join(dist, 'cli', 'main.js')) && 'dist/cli not built' }, () => {
    const f = new FakeSys(sriov82599().spec);
    try {
      const fixtures = path.join(repoRoot, 'test', 'fixtures');
      const env = {
        PATH: `${path.join(fixtures, 'bin')}:${process.env.PATH}`,
        IXGBEVF_SOCKET: path.join(work, 'no-daemon.sock'),
        IXGBEVF_FAKE_IP_JSON: path.join(fixtures, 'ip-link-82599-2vfs.json'),
        IXGBEVF_FAKE_IP_IFNAME: 'enp1s0f0',
        IXGBEVF_SYSFS_ROOT: f.sysRoot,
        IXGBEVF_DEV_ROOT: f.devRoot,
        IXGBEVF_PROC_ROOT: f.procRoot,
      };
      const bin = spawnSync(process.execPath, [path.join(dist, 'ixgbevf.mjs'), 'list'], { encoding: 'utf8', timeout: 30_000, env });
      const tsc = spawnSync(process.execPath, [path.join(dist, 'cli', 'main.js'), 'list'], { encoding: 'utf8', timeout: 30_000, env });
      assert.equal(bin.status, 0, bin.stderr);
      assert.deepEqual({ status: bin.status, stdout: bin.stdout, stderr: bin.stderr }, { status: tsc.status, stdout: tsc.stdout, stderr: tsc.stderr });
      assert.match(bin.stdout, /PF 0000:01:00\.0 {2}driver ixgbe {2}enp1s0f0 up/);
      assert.match(bin.stdout, /0 +0000:01:10\.0 +82599 +\S+ +\S+ +02:00:00:00:00:01/, 'the VF MAC from ip -j');
    } finally {
      f.cleanup();
    }
  });
});
