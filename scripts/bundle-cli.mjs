#!/usr/bin/env node
/**
 * Builds the `ixgbevf` bin as three files in dist/ (run by `npm run build` and `prepare`, after tsc):
 *   - dist/ixgbevf-cli.cjs   the whole CLI as one esbuild bundle in CommonJS form, wrapped in a function
 *                           expression (`(function (exports, require, module, __filename, __dirname) {…})`)
 *                           and headed by a build id line. What a command loads on demand (the daemon, the
 *                           smoke engine, host commands) is in it as esbuild's lazy `__esm` wrappers: its
 *                           code runs only when the command imports it. prom-client (daemon only) and
 *                           node-gyp-build stay in node_modules.
 *   - dist/ixgbevf.mjs       the bin: a small loader (scripts/cli-loader.mjs) that compiles the bundle with
 *                           V8's code cache when the cache matches, and without it otherwise.
 *   - dist/ixgbevf-cli.cache V8's code cache of the bundle, made here by scripts/cli-cache.mjs from a run of
 *                           `set-mac` on the simulated VF (no device is touched); absent or rejected, the bin
 *                           compiles from source (a failure to make it is a warning, not a failed build).
 *                           Nothing is written when the bin runs.
 * Why: a cold `ixgbevf set-mac` spent most of its time over `node -e 0` resolving, reading and compiling
 * modules; one script compiled from a code cache skips both (BENCHMARKS.md, target 4).
 * The files sit in dist/, so the addon loader's package root (dist/..) is the same as for the tsc build.
 * Usage: node scripts/bundle-cli.mjs [--outdir <dir>]   (default: dist/; bench part 5 builds a bin of its own
 * elsewhere, with the package's node_modules/ and build/ linked beside <dir>). Each file is written to a
 * temporary name and renamed into place, so a bin started during a build runs one build or the other (a
 * cache from the other build is ignored).
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdirArg = process.argv.indexOf('--outdir');
const dist = outdirArg > 0 && process.argv[outdirArg + 1] !== undefined ? resolve(process.argv[outdirArg + 1]) : join(root, 'dist');
const ENTRY = join(root, 'src', 'cli', 'main.ts');
const BUNDLE = 'ixgbevf-cli.cjs';
/** The first line of the bundle: `//ixgbevf-cli <id>`, the id being a hash of everything after it. */
const ID_PREFIX = '//ixgbevf-cli ';

/**
 * CommonJS has no top-level await, which src/cli/main.ts uses: wrap its body (everything after its
 * single-line imports) in an async function that is called at once. The process behaves the same: a
 * rejection is an unhandled rejection, which ends the process with exit code 1 as a failed top-level
 * await does. Anything this simple rewrite cannot handle fails the build.
 */
const mainAsFunction = {
  name: 'ixgbevf-main-as-function',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]cli[\\/]main\.ts$/ }, (args) => {
      const lines = readFileSync(args.path, 'utf8').replace(/^#!.*\n/, '').split('\n');
      const imports = [];
      const body = [];
      for (const line of lines) {
        if (/^import\s/.test(line)) {
          if (body.some((l) => l.trim() !== '' && !/^\s*(\/\/|\/?\*)/.test(l))) throw new Error(`${args.path}: an import after code: ${line}`);
          if (!/;\s*$/.test(line)) throw new Error(`${args.path}: only single-line imports can be bundled: ${line}`);
          imports.push(line);
        } else {
          if (/^export\s/.test(line)) throw new Error(`${args.path}: the entry must not export (${line})`);
          body.push(line);
        }
      }
      return { contents: `${imports.join('\n')}\nvoid (async () => {\n${body.join('\n')}\n})();\n`, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * node:child_process, loaded when a child is first started rather than when the CLI starts: loading it
 * (with dgram and the socket list it pulls in) costs every command about 1 ms, and only host commands
 * and commander's external subcommands (which this CLI does not use) start a child. The bundle gets the
 * functions it imports (src: execFile; commander: spawn) as forwarding functions; importing any other
 * name from node:child_process fails the build ("No matching export"): add it here.
 */
const lazyChildProcess = {
  name: 'ixgbevf-lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.namespace === 'ixgbevf-lazy' ? { path: 'node:child_process', external: true } : { path: 'child_process', namespace: 'ixgbevf-lazy' });
    b.onLoad({ filter: /.*/, namespace: 'ixgbevf-lazy' }, () => ({
      loader: 'js',
      contents: [
        'export function execFile(...args) { return require("node:child_process").execFile(...args); }',
        'export function spawn(...args) { return require("node:child_process").spawn(...args); }',
      ].join('\n'),
    }));
  },
};

/**
 * The bundle as ASCII: V8 keeps an all-ASCII source as a one-byte string, quicker to read and to hand to
 * the compiler than the two-byte string that one non-ASCII character makes of the whole file. esbuild
 * escapes strings but not regular-expression literals: those (and anything else) get \\u escapes, which
 * mean the same in strings, templates, regexes and identifiers. A non-ASCII character already escaped
 * with a backslash would change meaning: that fails the build.
 */
function asciiOnly(code) {
  return code.replace(/(\\*)([^\x00-\x7f])/gu, (_m, slashes, ch) => {
    if (slashes.length % 2 === 1) throw new Error(`a backslash-escaped non-ASCII character in the bundle: ${slashes}${ch}`);
    let esc = '';
    for (let i = 0; i < ch.length; i++) esc += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return slashes + esc;
  });
}

try {
  mkdirSync(dist, { recursive: true });
  // Drop what earlier builds left: the chunks of the former ES-module bundle, temporary files.
  for (const f of readdirSync(dist, { withFileTypes: true })) {
    if (f.isFile() && (/^ixgbevf-[A-Z0-9]+\.mjs$/.test(f.name) || /^ixgbevf(-cli)?\.(mjs|cjs|cache)\.tmp$/.test(f.name))) rmSync(join(dist, f.name));
  }
  const out = await build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['prom-client', 'node-gyp-build'],
    plugins: [mainAsFunction, lazyChildProcess],
    // src/native.ts finds the package root and its require() from import.meta.url: the bundle's own URL.
    define: { 'import.meta.url': '__ixgbevfBundleUrl' },
    banner: { js: "var __ixgbevfBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
    legalComments: 'none',
    minifyWhitespace: true, // comments out: a smaller file to read (names stay, for stack traces)
  });
  const code = asciiOnly(out.outputFiles[0].text);
  if (/\bimport\(/.test(code)) throw new Error('the bundle still has an import(): vm.Script would need importModuleDynamically');
  const wrapped = `(function (exports, require, module, __filename, __dirname) {\n${code}\n})`;
  const id = createHash('sha256').update(wrapped).digest('hex').slice(0, 32);
  writeFileSync(join(dist, `${BUNDLE}.tmp`), `${ID_PREFIX}${id}\n${wrapped}`);
  renameSync(join(dist, `${BUNDLE}.tmp`), join(dist, BUNDLE));
  copyFileSync(join(root, 'scripts', 'cli-loader.mjs'), join(dist, 'ixgbevf.mjs.tmp'));
  renameSync(join(dist, 'ixgbevf.mjs.tmp'), join(dist, 'ixgbevf.mjs'));
  // The cache: a separate process, so that it is made with V8's flags as the bin will run (no flags).
  const cache = spawnSync(process.execPath, [join(root, 'scripts', 'cli-cache.mjs'), dist], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  // Without a cache the bin still works (compiled from source): say so, do not fail an install over it.
  if (cache.status !== 0) console.error(`bundle-cli: warning: no code cache, the bin compiles from source (scripts/cli-cache.mjs: exit ${cache.status ?? cache.signal}): ${cache.stderr.trim()}`);
  const check = spawnSync(process.execPath, [join(dist, 'ixgbevf.mjs'), '--version'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '', IXGBEVF_DEBUG_CODE_CACHE: '1' } });
  if (check.status !== 0) throw new Error(`dist/ixgbevf.mjs --version failed (${check.status ?? check.signal}): ${check.stderr}`);
  if (!check.stderr.includes('code cache used')) console.error(`bundle-cli: warning: the bin does not use its code cache (${check.stderr.trim()})`);
} catch (err) {
  console.error(`bundle-cli: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
