#!/usr/bin/env node
// `npm test`: Node's own test runner over test/unit and test/native (Node 20's --test does not expand
// globs, so the files are listed here). Extra arguments pick suites: `npm test -- unit`, `npm test -- native`,
// or explicit files. Fails loudly when nothing matched.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SUITES = ['unit', 'native'];

function testFiles(suite) {
  const dir = join(root, 'test', suite);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => /\.test\.(ts|mts|mjs|js)$/.test(name))
    .sort()
    .map((name) => relative(root, join(dir, name)));
}

const args = process.argv.slice(2);
const files = [];
for (const arg of args.length > 0 ? args : DEFAULT_SUITES) {
  if (existsSync(join(root, arg)) && arg.includes('.test.')) files.push(arg);
  else files.push(...testFiles(arg));
}
if (files.length === 0) {
  console.error(`run-tests: no test files found for ${(args.length > 0 ? args : DEFAULT_SUITES).join(', ')}`);
  process.exit(1);
}
// The tests and sources type-check first (tsx only strips types): a type error fails `npm test`.
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const typecheck = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.test.json'], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.error('run-tests: type errors (tsc -p tsconfig.test.json)');
  process.exit(typecheck.status ?? 1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
