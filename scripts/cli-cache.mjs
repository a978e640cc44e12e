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
    process.exitCode = code === 0 ? 1 : code;
    return;
  }
  const payload = script.createCachedData();
  let header = `ixgbevf-cli-cache 1 ${id} ${payload.length} ${checksum(payload)}`;
  header += ' '.repeat(3 - (header.length % 4)) + '\n'; // V8's bytes start 4-byte aligned
  const target = join(dir, 'ixgbevf-cli.cache');
  writeFileSync(`${target}.tmp`, Buffer.concat([Buffer.from(header, 'latin1'), payload]), { mode: 0o644 });
  renameSync(`${target}.tmp`, target);
});
const module = { exports: {} };
main.call(module.exports, module.exports, createRequire(file), module, file, dir);

/** The checksum of scripts/cli-loader.mjs (the same function: the bin compares the two). */
function checksum(bytes) {
  const aligned = bytes.byteOffset % 4 === 0;
  const words = aligned ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2) : undefined;
  let h = 0x811c9dc5 ^ bytes.length;
  let i = 0;
  if (words !== undefined) for (; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  for (i <<= 2; i + 3 < bytes.length; i += 4) h = Math.imul(h ^ bytes.readInt32LE(i), 0x01000193);
  for (; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16);
}
