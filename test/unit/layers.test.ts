/**
 * The layer rules of design.md, enforced on the import graph: mbx/ and vf/ see only hw/, the io seam and
 * the errors; mbx/ never imports vf/ (no upward arrow); sim/ never reaches the device layers; native/
 * knows no ixgbe register; and src/ has no import cycle at all.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function filesIn(dir: string): string[] {
  return readdirSync(dir === '' ? src : join(src, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(src, dir, f));
}

/** Every relative import of a file, as a path relative to src/ (e.g. `hw/mailbox.js`, `io.js`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specs.map((s) => relative(src, resolve(dirname(file), s)));
}

function violations(dir: string, allowed: (target: string) => boolean): string[] {
  return filesIn(dir).flatMap((file) =>
    importsOf(file)
      .filter((target) => !allowed(target))
      .map((target) => `${relative(src, file)} imports ${target}`),
  );
}

const under = (target: string, ...dirs: string[]): boolean => dirs.some((d) => target.startsWith(`${d}/`));

test('mbx/ and vf/ import only hw/, the io seam, errors and each other', () => {
  const ok = (t: string): boolean => under(t, 'hw', 'mbx', 'vf') || t === 'io.js' || t === 'errors.js';
  assert.deepEqual([...violations('mbx', ok), ...violations('vf', ok)], []);
});

test('mbx/ never imports vf/: the mailbox owns its types (no upward arrow)', () => {
  assert.deepEqual(violations('mbx', (t) => !under(t, 'vf')), []);
});

/**
 * Every import cycle in `files`' graph (type-only imports count: they still tie the two files together),
 * each as the list of files on it starting at its smallest name, found by a depth-first search.
 */
function importCycles(files: readonly string[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const from = relative(src, f).replace(/\.ts$/, '.js');
    graph.set(from, importsOf(f).filter((t) => t.endsWith('.js')));
  }
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const loop = path.slice(path.indexOf(next));
        const start = loop.indexOf([...loop].sort()[0]!);
        const canonical = [...loop.slice(start), ...loop.slice(0, start)];
        cycles.set(canonical.join(' -> '), canonical);
      } else if (state.get(next) === undefined) {
        visit(next);
      }
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (state.get(node) === undefined) visit(node);
  return [...cycles.values()];
}

test('no import cycle in src/ (type-only imports count too)', () => {
  assert.deepEqual(importCycles(filesIn('')).map((c) => c.join(' -> ')), []);
});

test('the cycle finder finds cycles (so the rule above can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  try {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
    writeFileSync(join(dir, 'b.ts'), "import type { C } from './c.js';\nexport const b = 1;\n");
    writeFileSync(join(dir, 'c.ts'), "import { a } from './a.js';\nexport type C = typeof a;\n");
    writeFileSync(join(dir, 'd.ts'), "import { a } from './a.js';\nexport const d = a;\n");
    const found = importCycles(['a', 'b', 'c', 'd'].map((n) => join(dir, `${n}.ts`)));
    assert.equal(found.length, 1);
    assert.deepEqual(found[0]!.map((f) => f.slice(f.lastIndexOf('/') + 1)), ['a.js', 'b.js', 'c.js']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sim/ never imports vfio/, the native addon, mbx/ or vf/', () => {
  const ok = (t: string): boolean => !under(t, 'vfio', 'mbx', 'vf', 'cli', 'daemon') && t !== 'native.js';
  assert.deepEqual(violations('sim', ok), []);
});

test('hw/ is constants only: it imports nothing outside hw/', () => {
  assert.deepEqual(violations('hw', (t) => under(t, 'hw')), []);
});

test('the import scanner sees real imports (so the rules above can fail)', () => {
  const vf = importsOf(join(src, 'vf', 'vf.ts'));
  assert.ok(vf.includes('hw/mailbox.js') && vf.includes('io.js'), JSON.stringify(vf));
});

test('native/ knows no ixgbe register or message (the module name ixgbevf_vfio aside)', () => {
  const dir = join(root, 'native');
  const offenders = readdirSync(dir)
    .filter((f) => /\.(cc|h)$/.test(f))
    .filter((f) => /\bixgbe|\bigb|VFMAILBOX|VFMBMEM|0x2fc|0xc40|mailbox/i.test(readFileSync(join(dir, f), 'utf8').replaceAll('ixgbevf_vfio', '')));
  assert.deepEqual(offenders, []);
});

test('the composition root: only src/open/ (and the library entry index.ts) imports sim/; open/ is where sim, VFIO and the protocol meet', () => {
  const all = filesIn('.').filter((f) => !relative(src, f).startsWith('sim/') && !relative(src, f).startsWith('open/') && relative(src, f) !== 'index.ts');
  const offenders = all.flatMap((file) => importsOf(file).filter((t) => under(t, 'sim')).map((t) => `${relative(src, file)} imports ${t}`));
  assert.deepEqual(offenders, []);
  const open = importsOf(join(src, 'open', 'open-vf.ts'));
  assert.ok(open.some((t) => under(t, 'sim')) && open.some((t) => under(t, 'vfio')) && open.some((t) => under(t, 'vf')), JSON.stringify(open));
});
