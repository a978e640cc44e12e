#!/usr/bin/env node
// Writes the man page dist/man/ixgbevf.1 from the compiled CLI's own command definitions
// (dist/cli/man-page.js renders what dist/cli/program.js defines), so `man ixgbevf` cannot drift from
// `ixgbevf --help`. Run by `npm run build` and `prepare`, after tsc; package.json's `man` field makes
// `npm install -g` install the page. SOURCE_DATE_EPOCH, when set, dates the page (else it has no date).
//   node scripts/gen-man.mjs [output]      (default: dist/man/ixgbevf.1)
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'dist', 'man', 'ixgbevf.1'));
const load = (file) => import(pathToFileURL(join(root, 'dist', 'cli', file)).href);
const { createProgram } = await load('program.js');
const { describeProgram } = await load('program-model.js');
const { renderManPage } = await load('man-page.js');

const silent = { stdout: () => undefined, stderr: () => undefined, env: {}, signal: new AbortController().signal };
const epoch = process.env['SOURCE_DATE_EPOCH'];
const date = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000).toISOString().slice(0, 10) : '';
const page = renderManPage(describeProgram(createProgram(silent)), date);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, page);
renameSync(`${out}.tmp`, out);
console.log(`gen-man: wrote ${out}`);
