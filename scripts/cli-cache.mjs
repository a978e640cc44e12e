#!/usr/bin/env node
/**
 * Build time only (scripts/bundle-cli.mjs runs it): makes dist/ixgbevf-cli.cache, V8's code cache of the
 * CLI bundle dist/ixgbevf-cli.cjs, which the bin (scripts/cli-loader.mjs) hands to V8 instead of compiling.
 * The bundle is compiled exactly as the bin compiles it and then runs one representative command,
 * `ixgbevf set-mac sim <mac>` on the simulated VF (no device, no daemon: IXGBEVF_SOCKET names a socket in
 * a fresh empty directory), so the cache also holds the functions that command compiled, not only the
 * top level. The cache is written when the command has succeeded, to a temporary file renamed into place.
 * Usage: node scripts/cli-cache.mjs <dist dir>
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

const dir = resolve(process.argv[2] ?? 'dist');
const file = join(dir, 'ixgbevf-cli.cjs');
const source = readFileSync(file, 'utf8');
const idLine = source.slice(0, source.indexOf('\n'));
const id = /^\/\/ixgbevf-cli ([0-9a-f]+)$/.exec(idLine)?.[1];
if (id === undefined) throw new Error(`${file}: no build id line`);

const script = new Script(source, { filename: file });
const main = script.runInThisContext();
const noDaemon = mkdtempSync(join(tmpdir(), 'ixgbevf-cli-cache-'));
process.env.IXGBEVF_SOCKET = join(noDaemon, 'none.sock');
process.argv = [process.argv[0], join(dir, 'ixgbevf.mjs'), 'set-mac', 'sim', '02:00:00:00:00:01'];
process.on('exit', (code) => {
  rmSync(noDaemon, { recursive: true, force: true });
  if (code !== 0) {
    process.stderr.write(`cli-cache: \`ixgbevf set-mac sim\` failed (exit ${code}): no code cache written\n`);
    return;
  }
  const payload = script.createCachedData();
  const header = `ixgbevf-cli-cache 1 ${id} ${payload.length} ${crc32(payload).toString(16)}\n`;
  const target = join(dir, 'ixgbevf-cli.cache');
  writeFileSync(`${target}.tmp`, Buffer.concat([Buffer.from(header, 'latin1'), payload]), { mode: 0o644 });
  renameSync(`${target}.tmp`, target);
});
const module = { exports: {} };
main.call(module.exports, module.exports, createRequire(file), module, file, dir);
