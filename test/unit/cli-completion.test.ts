/**
 * Issue 14 point 5: `ixgbevf completion bash|zsh`. The scripts come from the commander program: the bash
 * one is driven in a real bash child the way readline calls it (COMP_LINE/COMP_POINT/COMP_WORDS/COMP_CWORD,
 * then the function, then COMPREPLY), for every command and every command's options walked from the
 * program; VF arguments complete to `sim` and the ixgbe/igb VFs of a fake sysfs through the real
 * `ixgbevf __complete vfs` (an `ixgbevf` on PATH running src/cli/main.ts). zsh: syntax and registration.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { completableVfs } from '../../src/cli/completion-command.js';
import { createProgram } from '../../src/cli/program.js';
import { FakeSys, sriov82599 } from '../helpers/fake-sysfs.js';
import { mainTs } from '../helpers/cli-proc.js';
import { runCli, type CliResult } from '../helpers/cli-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ixgbevf-completion-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const silent = { stdout: () => undefined, stderr: () => undefined, env: {}, signal: new AbortController().signal };
const program = createProgram(silent);

/** The CLI in-process (no daemon), over the sysfs at `sysRoot` when given. */
function cli(argv: string[], sysRoot?: string): Promise<CliResult> {
  return runCli(argv, sysRoot === undefined ? {} : { sysfs: { sysRoot } });
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** A sysfs with two 82599 VFs (0000:01:10.0, 0000:01:10.2), their PF, a bridge, an I350 VF, a Hyper-V VF and a non-Intel VF. */
function fakeSys(): FakeSys {
  const spec = sriov82599().spec;
  spec.devices.push(
    { address: '0000:02:00.0', device: 0x1521, driver: 'igb', sriov: { totalVfs: 7 } },
    { address: '0000:02:10.0', device: 0x1520, pf: '0000:02:00.0', driver: 'igbvf' },
    { address: '0000:02:10.4', device: 0x152e, pf: '0000:02:00.0', driver: null },
    { address: '0000:03:00.0', vendor: 0x15b3, device: 0x1017, driver: 'mlx5_core', sriov: { totalVfs: 4 } },
    { address: '0000:03:00.2', vendor: 0x15b3, device: 0x1018, pf: '0000:03:00.0', driver: 'mlx5_core' },
  );
  return new FakeSys(spec);
}

let sys: FakeSys;
let bashScript = '';
let binDir = '';

before(async () => {
  sys = fakeSys();
  const r = await cli(['completion', 'bash']);
  assert.equal(r.code, 0, r.stderr);
  bashScript = path.join(dir, 'ixgbevf.bash');
  writeFileSync(bashScript, r.stdout);
  // The `ixgbevf` the script calls for VF addresses: this checkout's CLI.
  binDir = path.join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(path.join(binDir, 'ixgbevf'), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${mainTs}" "$@"\n`);
  chmodSync(path.join(binDir, 'ixgbevf'), 0o755);
});
after(() => sys.cleanup());

/** What bash's completion offers for `line` (the cursor at its end), as readline would call it. */
function complete(line: string): string[] {
  const driver = `
    source "$SCRIPT" || exit 9
    COMP_LINE=$LINE
    COMP_POINT=\${#LINE}
    # As readline splits: blanks and COMP_WORDBREAKS (a PCI address is several words).
    COMP_WORDS=()
    rest=$LINE
    while [[ $rest =~ ^[[:space:]]*([^[:space:]:=]+|[:=]+)(.*)$ ]]; do COMP_WORDS+=("\${BASH_REMATCH[1]}"); rest=\${BASH_REMATCH[2]}; done
    [[ $LINE =~ [[:space:]:=]$ ]] && COMP_WORDS+=('')
    COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _ixgbevf ixgbevf "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
    printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', driver], {
    encoding: 'utf8',
    env: { PATH: `${binDir}:${process.env.PATH}`, SCRIPT: bashScript, LINE: line, IXGBEVF_SYSFS_ROOT: sys.plainOpts.sysRoot, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' },
  });
  assert.equal(r.status, 0, `${line}: ${r.stderr}`);
  assert.equal(r.stderr, '', line);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const visibleCommandObjects = (): typeof program.commands => program.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
const visibleCommands = (): string[] => visibleCommandObjects().map((c) => c.name());

describe('bash', () => {
  test('the script is valid bash and registers _ixgbevf for ixgbevf', () => {
    const r = spawnSync('bash', ['-n', bashScript], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const reg = spawnSync('bash', ['--norc', '-c', `source "${bashScript}" && complete -p ixgbevf`], { encoding: 'utf8' });
    assert.equal(reg.stdout.trim(), 'complete -F _ixgbevf ixgbevf');
  });

  test('commands: ixgbevf se → set-mac, and every command of the program for an empty word', () => {
    assert.deepEqual(complete('ixgbevf se'), ['set-mac']);
    assert.deepEqual(complete('ixgbevf m'), ['mtu', 'multicast', 'mailbox']);
    assert.deepEqual(complete('ixgbevf ').sort(), [...visibleCommands(), 'help'].sort());
    assert.deepEqual(complete('ixgbevf --json --timeout 5 se'), ['set-mac'], 'options and their values before the command are skipped');
    assert.deepEqual(complete('ixgbevf help set'), ['set-mac']);
  });

  test('fixed argument values: vlan sim → add del, xcast → its modes, sim → its actions, completion → bash zsh', () => {
    assert.deepEqual(complete('ixgbevf vlan sim '), ['add', 'del']);
    assert.deepEqual(complete('ixgbevf vlan --hold sim a'), ['add']);
    assert.deepEqual(complete('ixgbevf vlan sim add '), [], 'a VLAN id is free text');
    assert.deepEqual(complete('ixgbevf xcast sim '), ['none', 'multi', 'allmulti', 'promisc']);
    assert.deepEqual(complete('ixgbevf sim pf-'), ['pf-down', 'pf-up', 'pf-reset']);
    assert.deepEqual(complete('ixgbevf completion '), ['bash', 'zsh']);
  });

  test('options: each command completes exactly its own options (from the program), and an option prefix', () => {
    for (const cmd of visibleCommandObjects()) {
      const expected = [...cmd.options.map((o) => o.long!), '--help'].sort();
      assert.deepEqual(complete(`ixgbevf ${cmd.name()} --`).sort(), expected, cmd.name());
    }
    assert.deepEqual(complete('ixgbevf set-mac sim --ti'), ['--timeout']);
    assert.deepEqual(complete('ixgbevf smoke --allow-pf-'), ['--allow-pf-changes', '--allow-pf-reset']);
    assert.deepEqual(complete('ixgbevf --j'), ['--json'], 'the program\'s own options before a command');
  });

  test('option values: --log-format words, --state-dir directories, a free-text value offers nothing', () => {
    assert.deepEqual(complete('ixgbevf daemon sim --log-format '), ['text', 'json']);
    mkdirSync(path.join(dir, 'state-a'));
    writeFileSync(path.join(dir, 'state-file'), '');
    assert.deepEqual(complete(`ixgbevf daemon sim --state-dir ${dir}/state-`), [`${dir}/state-a`]);
    assert.deepEqual(complete('ixgbevf set-mac --timeout '), []);
    assert.deepEqual(complete('ixgbevf set-mac --timeout 500 ').sort(), ['0000:01:10.0', '0000:01:10.2', '0000:02:10.0', 'sim'], 'after the value: the VF argument');
  });

  test('VF arguments: sim and the ixgbe/igb VFs in sysfs (not the PFs, the Hyper-V VF or another vendor\'s VF)', () => {
    assert.deepEqual(complete('ixgbevf info ').sort(), ['0000:01:10.0', '0000:01:10.2', '0000:02:10.0', 'sim']);
    assert.deepEqual(complete('ixgbevf bind ').sort(), ['0000:01:10.0', '0000:01:10.2', '0000:02:10.0'], 'bind takes a PCI address only');
    assert.deepEqual(complete('ixgbevf daemon sim 0000:01:10.0 s'), ['sim'], 'daemon takes several');
    assert.deepEqual(complete('ixgbevf set-mac s'), ['sim']);
  });

  test('a PCI address after its colons: bash replaces only the part after the last colon', () => {
    assert.deepEqual(complete('ixgbevf info 0000:01:'), ['10.0', '10.2']);
    assert.deepEqual(complete('ixgbevf info 0000:02'), ['02:10.0']);
    assert.deepEqual(complete('ixgbevf set-mac 0000:01:10.2 '), [], 'the MAC after a VF is free text');
  });
});

describe('ixgbevf __complete vfs (the scripts\' only lookup)', () => {
  test('lists the ixgbe/igb VFs of sysfs, sorted, one per line', async () => {
    const r = await cli(['__complete', 'vfs'], sys.plainOpts.sysRoot);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '0000:01:10.0\n0000:01:10.2\n0000:02:10.0\n');
    assert.deepEqual(await completableVfs(sys.plainOpts), ['0000:01:10.0', '0000:01:10.2', '0000:02:10.0']);
  });

  test('no sysfs, or an unknown request: nothing on stdout or stderr, exit 0 (a prompt must never show errors)', async () => {
    for (const argv of [['__complete', 'vfs'], ['__complete', 'bogus']]) {
      const r = await cli(argv, path.join(dir, 'no-such-sys'));
      assert.deepEqual(r, { code: 0, stdout: '', stderr: '' }, argv.join(' '));
    }
  });

  test('hidden: not in --help, not completed', async () => {
    assert.doesNotMatch((await cli(['--help'])).stdout, /__complete/);
    assert.equal(complete('ixgbevf _').length, 0);
  });
});

describe('ixgbevf completion', () => {
  test('an unknown shell is exit 2 with a hint that parses', async () => {
    const r = await cli(['completion', 'fish']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ixgbevf: error: no completion for shell "fish": expected bash or zsh \(try: ixgbevf completion bash\)$/m);
  });

  test('--help says how to install it, for bash and zsh', async () => {
    const help = (await cli(['completion', '--help'])).stdout;
    assert.match(help, /ixgbevf completion bash > \/etc\/bash_completion\.d\/ixgbevf/);
    assert.match(help, /source <\(ixgbevf completion bash\)/);
    assert.match(help, /fpath=\(~\/\.zfunc \$fpath\)/);
    assert.match(help, /Arguments:\n\s+shell\s+the shell to complete for \(choices: "bash", "zsh"\)/);
  });
});

const zshMissing = onPath('zsh') ? false : 'zsh is not installed (apt-get install -y zsh)';

describe('zsh', { skip: zshMissing }, () => {
  test('the script is valid zsh (zsh -n) and compinit registers it for ixgbevf', async () => {
    const r = await cli(['completion', 'zsh']);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(dir, '_ixgbevf');
    writeFileSync(file, r.stdout);
    const syntax = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
    const reg = spawnSync('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source "${file}" && print -r -- $_comps[ixgbevf]`], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    assert.equal(reg.stdout.trim(), '_ixgbevf', reg.stderr);
    for (const cmd of visibleCommands()) assert.match(r.stdout, new RegExp(`^ {8}\\(${cmd}\\)$`, 'm'), cmd);
    assert.match(r.stdout, /'2:action:\(add del\)'/);
    assert.match(r.stdout, /'1:vf:_ixgbevf_vfs_or_sim'/);
    assert.match(r.stdout, /'1:vf:_ixgbevf_vfs'/, 'bind: real VFs only');
  });

  /**
   * What an interactive zsh (in a pty, compinit, the script sourced) shows after typing `keys` and Tab:
   * the keys go in once its prompt is up (typeahead before ZLE starts is not completed), and `echo
   * __DO''NE__` after the Tab marks the end of what the completion printed.
   */
  async function zshComplete(keys: string): Promise<string> {
    const file = path.join(dir, '_ixgbevf-interactive');
    if (!existsSync(file)) writeFileSync(file, (await cli(['completion', 'zsh'])).stdout);
    const driver = `
      zmodload zsh/zpty
      zpty z 'TERM=dumb zsh -f -i'
      zpty -w z "PS1='ZP> '; autoload -Uz compinit; compinit -u -D; source \${(q)SCRIPT}; setopt nobeep; LISTMAX=1000; echo RE''ADY"
      zpty -r z _ '*READY*ZP> *'
      zpty -w -n z "$KEYS"$'\\t'
      zpty -w -n z $'\\C-e\\C-u'
      zpty -w z "echo __DO''NE__"
      zpty -r z out '*__DONE__*'
      print -r -- "$out"
      zpty -d z`;
    const r = spawnSync('zsh', ['-f', '-c', driver], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: `${binDir}:${process.env.PATH}`, HOME: dir, SCRIPT: file, KEYS: keys, IXGBEVF_SYSFS_ROOT: sys.plainOpts.sysRoot, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' },
    });
    assert.equal(r.status, 0, `${keys}: ${r.stderr}\n${JSON.stringify(r.stdout)}`);
    return r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  test('an interactive zsh completes from the script: se → set-mac, vlan sim → add del, an option prefix, VF addresses', async () => {
    assert.match(await zshComplete('ixgbevf se'), /ixgbevf set-mac /);
    assert.match(await zshComplete('ixgbevf vlan sim '), /^add +del$/m);
    assert.match(await zshComplete('ixgbevf set-mac sim --ti'), /^--timeout +-- mailbox wait budget in ms/m);
    assert.match(await zshComplete('ixgbevf daemon sim --log-format '), /^json +text$/m);
    const vfs = await zshComplete('ixgbevf info ');
    for (const vf of ['sim', '0000:01:10.0', '0000:01:10.2', '0000:02:10.0']) assert.match(vfs, new RegExp(`(^|\\s)${vf.replace(/\./g, '\\.')}(\\s|$)`, 'm'), `${vf} in:\n${vfs}`);
    assert.doesNotMatch(vfs, /0000:02:10\.4|0000:03:00\.2|0000:01:00\.0/);
    // bind takes a PCI address only: without sim the VFs share a prefix, which zsh inserts at once.
    assert.match(await zshComplete('ixgbevf bind '), /ixgbevf bind 0000:0/);
  });
});
