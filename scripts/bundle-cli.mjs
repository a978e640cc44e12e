#!/usr/bin/env node
/**
 * Bundles the `ixgbevf` command into dist/ixgbevf.mjs (plus dist/ixgbevf-<hash>.mjs chunks for what a
 * command loads on demand: the daemon, the smoke engine, host commands). One file instead of about a
 * hundred modules is what makes a cold `ixgbevf set-mac` start fast (BENCHMARKS.md, CLI cold start).
 * The chunks sit beside the entry in dist/, so the addon loader's package root (dist/..) is the same as
 * for the tsc build. prom-client (daemon only) and node-gyp-build stay in node_modules.
 * Usage: node scripts/bundle-cli.mjs   (run by `npm run build` and `prepare`, after tsc)
 */
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

try {
  // Chunks are content-hashed: drop the previous build's so dist/ holds one consistent set.
  for (const f of readdirSync(join(root, 'dist'), { withFileTypes: true })) {
    if (f.isFile() && /^ixgbevf(-[A-Z0-9]+)?\.mjs$/.test(f.name)) rmSync(join(root, 'dist', f.name));
  }
  await build({
    absWorkingDir: root,
    entryPoints: { ixgbevf: 'src/cli/main.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'ixgbevf-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['prom-client', 'node-gyp-build'],
    // commander is CommonJS: its require() of Node's built-ins needs a real require in an ES module.
    banner: { js: "import { createRequire as __ixgbevfCreateRequire } from 'node:module'; const require = __ixgbevfCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    legalComments: 'none',
  });
} catch (err) {
  console.error(`bundle-cli: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
