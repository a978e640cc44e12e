/**
 * The layer rules of design.md, enforced on the import graph: mbx/ and vf/ see only hw/, the io seam and
 * the errors; sim/ never reaches the device layers; native/ knows no ixgbe register.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function filesIn(dir: string): string[] {
  return readdirSync(join(src, dir), { recursive: true })
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
