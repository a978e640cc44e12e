/**
 * `ixgbevf completion <bash|zsh>` prints the completion script (completion.ts) for this very program,
 * and the hidden `ixgbevf __complete vfs` the scripts call for VF arguments: the PCI addresses of the
 * ixgbe/igb-family VFs under /sys/bus/pci/devices. It only reads sysfs (vendor, device, physfn), opens
 * no device, and prints nothing rather than fail: a completion must never spill errors into a prompt.
 */
import { Argument, type Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { listPciDevices, readPciIds } from '../pci/discovery.js';
import { classifyVf } from '../pci/classify.js';
import { exists, resolveSysfs, sysPaths, type SysfsOptions } from '../pci/sysfs.js';
import { bashCompletionScript, zshCompletionScript } from './completion.js';
import type { Ctx } from './context.js';
import { describeProgram, withValues } from './program-model.js';
import path from 'node:path';

const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

/** ixgbe/igb-family VFs (by PCI ID, Hyper-V VFs left out) in sysfs, sorted; [] when sysfs is unreadable. */
export async function completableVfs(sysfs: SysfsOptions): Promise<string[]> {
  const resolved = resolveSysfs(sysfs);
  let devices: string[];
  try {
    devices = await listPciDevices(sysfs);
  } catch {
    return [];
  }
  const vfs = await Promise.all(
    devices.map(async (address) => {
      try {
        if (!(await exists(path.join(sysPaths.pciDevice(resolved, address), 'physfn')))) return null;
        const kind = classifyVf(await readPciIds(address, sysfs)).kind;
        return kind === 'ixgbevf' || kind === 'igbvf' ? address : null;
      } catch {
        return null;
      }
    }),
  );
  return vfs.filter((a): a is string => a !== null).sort();
}

const INSTALL_HELP = `
The script is generated from the command definitions, so it always matches this ixgbevf. VF arguments
complete to sim and to the ixgbe/igb VFs under /sys/bus/pci/devices.

Install for bash (bash-completion loads it in new shells):
  $ ixgbevf completion bash | sudo tee /etc/bash_completion.d/ixgbevf > /dev/null
or for one user, in ~/.bashrc:
  source <(ixgbevf completion bash)

Install for zsh, into a directory on $fpath (compinit in new shells picks up _ixgbevf):
  $ mkdir -p ~/.zfunc && ixgbevf completion zsh > ~/.zfunc/_ixgbevf
and, in ~/.zshrc before compinit:
  fpath=(~/.zfunc $fpath)

Examples:
  $ ixgbevf completion bash > /etc/bash_completion.d/ixgbevf
  $ ixgbevf completion zsh > /usr/local/share/zsh/site-functions/_ixgbevf
  $ source <(ixgbevf completion bash)
`;

export function addCompletionCommands(program: Command, deps: { addCommon: (cmd: Command, names: readonly never[]) => Command; ctxOf: (cmd: Command) => Ctx }): void {
  deps
    .addCommon(program.command('completion').addArgument(withValues(new Argument('<shell>', 'the shell to complete for'), SHELLS)), [])
    .description('print the bash or zsh completion script (commands, options, VF addresses) on stdout')
    .addHelpText('after', INSTALL_HELP)
    .action((shell: string, _opts, cmd: Command) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `no completion for shell ${JSON.stringify(shell)}: expected ${SHELLS.join(' or ')}`, { hint: 'ixgbevf completion bash' });
      }
      const model = describeProgram(program);
      deps.ctxOf(cmd).io.stdout((shell as Shell) === 'bash' ? bashCompletionScript(model) : zshCompletionScript(model));
    });

  program
    .command('__complete', { hidden: true })
    .description('internal: values for the completion scripts')
    .argument('<what>', 'vfs')
    .action(async (what: string, _opts, cmd: Command) => {
      const ctx = deps.ctxOf(cmd);
      if (what !== 'vfs') return;
      const vfs = await completableVfs(ctx.sysfs);
      if (vfs.length > 0) ctx.io.stdout(`${vfs.join('\n')}\n`);
    });
}
