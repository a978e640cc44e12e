#!/usr/bin/env node
/**
 * The `ixgbevf` bin (copied to dist/ixgbevf.mjs by scripts/bundle-cli.mjs): compiles the CLI bundle
 * dist/ixgbevf-cli.cjs as one script and runs it, with V8's code cache dist/ixgbevf-cli.cache when that
 * cache was made from this very bundle. The cache is only an optimisation: missing, unreadable, made from
 * another build, truncated, corrupt, or rejected by V8 (another Node/V8 version or other V8 flags), the
 * bundle compiles from source and the command behaves the same. This file never writes anything: a CLI
 * run as root must not create or rewrite files in its package or anywhere else (the cache is made at
 * build time, scripts/cli-cache.mjs). The cache is trusted as the bundle is: same directory, same owner.
 * Cache file: one header line `ixgbevf-cli-cache 1 <bundle id> <payload bytes> <payload crc32 hex>`, then
 * V8's bytes; the bundle's first line is `//ixgbevf-cli <bundle id>`.
 * Set IXGBEVF_DEBUG_CODE_CACHE=1 to see on stderr whether the cache was used, rejected by V8, or none.
 * Node >= 22.1's module.enableCompileCache() is not called: it writes its cache at run time (a root-run CLI
 * must not), and the bundle is compiled here, not by the module loader; this cache works on any Node.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Script } from 'node:vm';

const dir = import.meta.dirname;
const file = `${dir}/ixgbevf-cli.cjs`;
const require = createRequire(file);
const source = readFileSync(file, 'utf8');
const cachedData = matchingCache(source);
const script = new Script(source, { filename: file, cachedData });
if (process.env.IXGBEVF_DEBUG_CODE_CACHE === '1') {
  const state = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  process.stderr.write(`ixgbevf: code cache ${state}\n`);
}
const main = script.runInThisContext();
const module = { exports: {} };
main.call(module.exports, module.exports, require, module, file, dir);

/** V8's code cache for `source`, or undefined when there is none made from exactly this bundle. */
function matchingCache(source) {
  let bytes;
  try {
    bytes = readFileSync(`${dir}/ixgbevf-cli.cache`);
  } catch {
    return undefined; // none (or unreadable): compile from source
  }
  const eol = bytes.indexOf(10);
  if (eol < 0 || eol > 200) return undefined;
  const [magic, format, id, size, sum] = bytes.toString('latin1', 0, eol).trimEnd().split(' ');
  const idLine = source.slice(0, source.indexOf('\n'));
  if (magic !== 'ixgbevf-cli-cache' || format !== '1' || idLine !== `//ixgbevf-cli ${id}`) return undefined;
  const payload = bytes.subarray(eol + 1);
  if (payload.length !== Number(size) || checksum(payload) !== sum) return undefined;
  return payload;
}

/**
 * CRC-32 of V8's bytes, as Node's own compile cache checks its files: V8 checks a code cache's version,
 * flags and source length but, in release builds, no checksum, and corrupt bytes must never reach its
 * deserializer. undefined (so: no cache) where zlib has no crc32 (Node < 20.15).
 */
function checksum(bytes) {
  const { crc32 } = require('node:zlib');
  return typeof crc32 === 'function' ? crc32(bytes).toString(16) : undefined;
}
