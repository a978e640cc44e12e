/**
 * The `--json` contract of every command but smoke, probed in-process (run() with captured output): stdout
 * is exactly one JSON document for every success, error and usage error (wherever `--json` stands), an
 * error carries its stable code, a one-line message, the exit code the process returns, and a hint whose
 * `ixgbevf …` commands parse (docs/cli.md, "Errors and exit codes"). The process-level half (a daemon in a
 * child process, closed pipes) is json-probe-process.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../../src/cli/program.js';
import { runCli, type CliResult } from '../helpers/cli-run.js';

/** `ixgbevf …` commands in a hint (cut where hints separate a command from prose, as cli-hints.test.ts does). */
export function commandsIn(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s(:`])ixgbevf ([a-z-][^;`\n]*?)(?=\s{3}|;|`|\s\(|\)|: |, or |, then |\s[#|>]|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(m[1]!.trim().replace(/[.,]$/, ''));
  return out;
}

/** The exit code of `ixgbevf <cmd>` parsed only (0: commander takes it). */
export async function parseOnly(cmd: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const argv = cmd.split(/\s+/).filter((a) => a !== '');
  const code = await run(argv, { stdout: () => undefined, stderr: (s) => void (stderr += s), env: {}, signal: new AbortController().signal, parseOnly: true });
  return { code, stderr };
}

/** Asserts the `--json` contract on one result and returns the document. */
export async function oneDocument(r: CliResult, what: string): Promise<Record<string, unknown>> {
  assert.ok(r.stdout.endsWith('\n'), `${what}: stdout ends with a newline: ${JSON.stringify(r.stdout)}`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    assert.fail(`${what}: stdout is not one JSON document: ${JSON.stringify(r.stdout.slice(0, 400))}`);
  }
  const error = doc['error'] as { code?: unknown; message?: unknown; hint?: unknown; exitCode?: unknown } | undefined;
  if (error === undefined) {
    assert.equal(r.code, 0, `${what}: a result document with exit ${r.code}`);
    return doc;
  }
  assert.match(String(error.code), /^ERR_[A-Z0-9_]+$/, `${what}: code`);
  assert.equal(typeof error.message, 'string', `${what}: message`);
  assert.doesNotMatch(String(error.message), /\n/, `${what}: the message is one line: ${JSON.stringify(error.message)}`);
  assert.equal(error.exitCode, r.code, `${what}: exitCode in the document is the process's`);
  assert.notEqual(r.code, 0, `${what}: an error exits non-zero`);
  assert.equal(typeof error.hint, 'string', `${what}: a hint`);
  const commands = commandsIn(String(error.hint));
  assert.ok(commands.length > 0, `${what}: the hint names an ixgbevf command: ${JSON.stringify(error.hint)}`);
  for (const c of commands) {
    const p = await parseOnly(c);
    assert.equal(p.code, 0, `${what}: the hint's command parses: ixgbevf ${c}\n${p.stderr}`);
  }
  return doc;
}

/** `args` with `--json` after and before the command: both give the same document and exit code. */
async function bothPlaces(args: string[], exit: number): Promise<Record<string, unknown>> {
  const after = await runCli([...args, '--json']);
  const before = await runCli(['--json', ...args]);
  const a = await oneDocument(after, `${args.join(' ')} --json`);
  const b = await oneDocument(before, `--json ${args.join(' ')}`);
  assert.equal(after.code, exit, `${args.join(' ')} --json: exit ${after.code}, stdout ${after.stdout}`);
  assert.equal(before.code, exit, `--json ${args.join(' ')}: exit ${before.code}`);
  assert.deepEqual(Object.keys(b), Object.keys(a), `${args.join(' ')}: the same shape with --json before the command`);
  assert.equal(after.stderr, '', `${args.join(' ')} --json: nothing on stderr here (${after.stderr})`);
  return a;
}

test('usage errors from commander (unknown option with a suggestion) are one-line messages in the JSON document', async () => {
  for (const args of [
    ['info', 'sim', '--jsn'],
    ['info', 'sim', '--hold'],
    ['vlan', 'sim', 'add', '1', '--tmeout', '5'],
  ]) {
    const doc = await bothPlaces(args, 2);
    const error = doc['error'] as { code: string; message: string };
    assert.equal(error.code, 'ERR_USAGE');
    assert.match(error.message, /unknown option .*\(Did you mean/, 'the suggestion is kept, on the same line');
  }
});
