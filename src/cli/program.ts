/**
 * The `ixgbevf` program. `run(argv, io)` parses, runs one command and returns the exit code; all output
 * goes through `io` (tests run it in-process). Exit codes as in design.md; `--json` prints one JSON
 * document on stdout, errors included (`watch --json` prints one JSON object per event line).
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { addDaemonConfigOptions } from '../daemon/cli-options.js';
import { asIxgbevfError } from '../daemon/errors.js';
import type { LogFormat } from '../daemon/log.js';
import {
  parseMtu,
  parseMulticastMac,
  parseUnicastMac,
  isSimSpec,
  parseVfSpec,
  parseVlanAction,
  parseVlanId,
  parseXcastMode,
  XCAST_MODES,
} from '../daemon/validate.js';
import { ExitCode, InvalidArgumentError, isIxgbevfError, oneLine } from '../errors.js';
import { shellWord } from '../shell-word.js';
import { MTU_MAX, MTU_MIN, VLAN_ID_MAX } from '../hw/messages.js';
import { DEFAULT_SOCKET } from './client.js';
import { checkSimSpec } from '../open/arguments.js';
import { commandOnVf, parseArgument, parseArguments, parseOption, type Positional } from './argument-fix.js';
import { Ctx, resultDocumentPrinted, type CliIo, type CommonOptions } from './context.js';
import { addSimCommand } from './sim-command.js';
import { addCompletionCommands } from './completion-command.js';
import { exitCodeSummary } from './exit-codes.js';
import { withValues } from './program-model.js';
import { addSmokeCommand } from './smoke.js';
import { runVfOp } from './vf-commands.js';
import { infoOp, linkOp, mailboxOp, mtuOp, multicastOp, setMacOp, vlanOp, xcastOp } from './vf-ops.js';

export type { CliIo } from './context.js';

/** The code of the stop after parsing in `parseOnly` mode. */
const PARSED_ONLY = 'ixgbevf.parsedOnly';

const VF_HELP = 'VF: a PCI address (0000:03:10.0) or sim[:key=value,...] (mac=, trust=on|off, api=1.3, pf=up|down|silent, mtu=, family=, vlan=)';

const BIND_SAFETY = `Safety: bind and unbind act only on Intel ixgbe/igb-family VFs (by PCI ID); any other device, and every PF
(--force or not), is refused with exit 2. unbind takes a VF only from vfio-pci (or from the driver named with
--from) and refuses (exit 3) while a process holds the VF's VFIO group open (/proc/*/fd → /dev/vfio/<group>).
A VF whose network interface is up, or whose state cannot be read, is refused (exit 3);
--force overrides exactly that check and no other.`;

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

type CommonName = 'json' | 'timeout' | 'poll' | 'socket';
const VF_OPTS: readonly CommonName[] = ['json', 'timeout', 'poll', 'socket'];

const COMMON_OPTIONS: Record<CommonName | 'verbose', [flags: string, help: string]> = {
  json: ['--json', 'print one JSON document on stdout (errors too, with their exit code)'],
  timeout: ['--timeout <ms>', 'mailbox wait budget in ms (default 1000, as Linux)'],
  poll: ['--poll', 'no interrupts: poll the mailbox'],
  verbose: ['--verbose', 'trace every mailbox word on stderr; stack traces for bugs'],
  socket: ['--socket <path>', `daemon control socket (default ${DEFAULT_SOCKET}, or $IXGBEVF_SOCKET); a socket named here must answer`],
};

/** Adds `--verbose` and the common options that mean something for this command (default: a VF command's). */
function addCommon(cmd: Command, names: readonly CommonName[] = VF_OPTS): Command {
  for (const name of [...names, 'verbose'] as const) cmd.option(...COMMON_OPTIONS[name]);
  return cmd;
}

/**
 * The commander program with every command, writing through `io`. `setExit` receives the exit code of a
 * command that finishes without throwing but did not succeed (doctor, smoke); `wantsJson` silences
 * commander's own error lines (run() prints them as JSON). Also what the man page and the completion
 * scripts are generated from (program-model.ts).
 */
export function createProgram(io: CliIo, setExit: (code: number) => void = () => undefined, wantsJson = false, helpOut: (text: string) => void = (t) => io.stdout(t)): Command {
  const program = new Command('ixgbevf');
  program
    .description('Userspace control path for Intel ixgbe/igb SR-IOV VFs over VFIO: talk to the PF through the VF mailbox')
    .version('0.1.0')
    .exitOverride()
    .showSuggestionAfterError(true)
    // Options before the command are the program's (`ixgbevf --json list`, as `ip -j link`); each must
    // also be one the command takes (checked in preAction), so `--timeout` never slips onto `list`.
    .enablePositionalOptions()
    .configureOutput({
      // Help and version text (run() wraps it in a JSON document with --json).
      writeOut: (s) => helpOut(s),
      // With --json the JSON error document says it all: no help text on stderr around it.
      writeErr: (s) => {
        if (!wantsJson) io.stderr(s);
      },
      outputError: usageErrorLine(program, 'ixgbevf --help', wantsJson),
    })
    .addHelpText(
      'after',
      `\n${VF_HELP}\n\nWithout a daemon a VF is opened by the command and released when it exits; vfio-pci then resets it\nand the PF drops its filters. \`ixgbevf daemon <vf>\` holds VFs and re-applies their configuration.\n${exitCodeSummary()}` +
        examples('ixgbevf set-mac sim 02:00:00:00:00:01', 'ixgbevf list', 'ixgbevf doctor 0000:03:10.0', 'sudo ixgbevf daemon 0000:03:10.0 --state-dir /var/lib/ixgbevf'),
    );

  addCommon(program, [...VF_OPTS]);
  program.hook('preAction', (_program, action) => {
    const given = Object.keys(program.opts()).filter((k) => program.getOptionValueSource(k) === 'cli');
    for (const key of given) {
      if (!action.options.some((o) => o.attributeName() === key)) {
        const flag = program.options.find((o) => o.attributeName() === key)?.long ?? key;
        throw new InvalidArgumentError('ERR_USAGE', `option ${flag} does not apply to ${action.name()}`, { hint: `ixgbevf ${action.name()} --help` });
      }
    }
    // An option missing its value takes the next word, even another option (`--socket --json`): that is a
    // missing argument (exit 2), not a socket named "--json" (and --json not taken: the mode run() printed in).
    // (`--socket=--json` names that path on purpose.)
    const raw = (program as Command & { rawArgs?: string[] }).rawArgs ?? [];
    const tookTheNextWord = (flag: string | undefined, value: string): boolean => raw.some((w, i) => w === flag && raw[i + 1] === value);
    for (const owner of [action, program]) {
      for (const o of owner.options) {
        const value: unknown = owner.getOptionValue(o.attributeName());
        if (!(o.required || o.optional) || owner.getOptionValueSource(o.attributeName()) !== 'cli' || typeof value !== 'string' || !tookTheNextWord(o.long, value)) continue;
        if ([...action.options, ...program.options].some((known) => known.long !== undefined && value.split('=')[0] === known.long)) {
          throw new InvalidArgumentError('ERR_USAGE', `option '${o.flags}' argument missing (it took the option ${value} as its value)`, { hint: `ixgbevf ${action.name()} --help` });
        }
      }
    }
    if (io.parseOnly === true) throw new CommanderError(0, PARSED_ONLY, 'parsed');
  });

  // A bad --timeout's fix is the same command line with --timeout 1000 (argument-fix.ts).
  // An empty --socket's fix is the same command line with the default socket named (every other fix also
  // makes an empty --socket valid: argument-fix.ts).
  const ctxOf = (cmd: Command): Ctx =>
    parseOption(cmd, '--socket', 'ERR_INVALID_ARGUMENT', DEFAULT_SOCKET, () =>
      parseOption(cmd, '--timeout', 'ERR_INVALID_TIMEOUT', '1000', () => new Ctx(io, { ...program.opts<CommonOptions>(), ...cmd.opts<CommonOptions>() }, commandOnVf(cmd))),
    );
  /** The VF argument (the first); a bad sim spec's fix is the same command on plain `sim`. */
  const vfArgument = (cmd: Command, vf: string): string => parseArgument(cmd, 0, vf, 'sim', parseVfArgument);
  /** The VF as the first of several positional arguments (parseArguments: a fix valid as a whole). */
  const vfPositional = (vf: string): Positional<string> => ({ value: vf, example: 'sim', parse: parseVfArgument });

  addCommon(program.command('list'), ['json', 'socket'])
    .description('PFs with SR-IOV and their VFs: family, driver, IOMMU group, the PF\'s view (ip -j -d link), daemon ownership')
    .addHelpText('after', examples('ixgbevf list', 'ixgbevf list --json | jq \'.pfs[].vfs[] | {address, driver, pfView}\''))
    .action(async (_opts, cmd: Command) => {
      await (await import('./host-commands.js')).listCommand(ctxOf(cmd));
    });

  addCommon(program.command('doctor').argument('[vf]', 'PCI address of a VF to check as well'), ['json'])
    .description('check IOMMU, vfio modules, group viability, /dev/vfio permissions, PF state; each with its fixing command')
    .addHelpText('after', examples('ixgbevf doctor', 'ixgbevf doctor 0000:03:10.0 --json'))
    .action(async (vf: string | undefined, _opts, cmd: Command) => {
      const ok = await (await import('./host-commands.js')).doctorCommand(ctxOf(cmd), vf);
      if (!ok) setExit(ExitCode.environment);
    });

  addCommon(program.command('bind').argument('<vf>', 'PCI address'), ['json'])
    .description('hand the VF to vfio-pci (driver_override + drivers_probe); not persistent')
    .option('--user <user>', 'chown /dev/vfio/<group> to this user (a name from the name service, or a numeric uid)')
    .option('--force', 'take the VF even when its network interface is up (and nothing else: see below)')
    .addHelpText('after', `\n${BIND_SAFETY}\n` + examples('sudo ixgbevf bind 0000:03:10.0', 'sudo ixgbevf bind 0000:03:10.0 --user alice'))
    .action(async (vf: string, opts: { user?: string; force?: boolean }, cmd: Command) => {
      await (await import('./host-commands.js')).bindCommand(ctxOf(cmd), vf, opts);
    });

  addCommon(program.command('unbind').argument('<vf>', 'PCI address'), ['json'])
    .description('take the VF from vfio-pci and give it back to the kernel (clears driver_override)')
    .option('--driver <name>', 'bind to this driver afterwards (default: let the kernel probe, usually ixgbevf)')
    .option('--from <name>', 'take the VF from this driver instead of vfio-pci (you name it: the VF is on it)')
    .option('--force', 'with --from: take the VF even when its network interface is up (and nothing else: see below)')
    .addHelpText('after', `\n${BIND_SAFETY}\n` + examples('sudo ixgbevf unbind 0000:03:10.0', 'sudo ixgbevf unbind 0000:03:10.0 --driver ixgbevf', 'sudo ixgbevf unbind 0000:03:10.2 --from ixgbevf --driver vfio-pci'))
    .action(async (vf: string, opts: { driver?: string; from?: string; force?: boolean }, cmd: Command) => {
      await (await import('./host-commands.js')).unbindCommand(ctxOf(cmd), vf, opts);
    });

  addCommon(program.command('info').argument('<vf>', VF_HELP))
    .description('reset + negotiate: permanent MAC, API version, queues, link, multicast filter type, mailbox counters')
    .addHelpText('after', examples('ixgbevf info sim', 'ixgbevf info sim:api=1.1 --json', 'ixgbevf info 0000:03:10.0'))
    .action(async (vf: string, _opts, cmd: Command) => {
      const spec = vfArgument(cmd, vf); // before ctxOf: a bad --timeout's fix then keeps no bad VF
      await runVfOp(ctxOf(cmd), spec, infoOp(), false);
    });

  const hold = (cmd: Command): Command => cmd.option('--hold', 'keep the VF (and its configuration, re-applied after a PF reset) until Ctrl-C');

  addCommon(hold(program.command('set-mac').argument('<vf>', VF_HELP).argument('<mac>', 'unicast MAC, e.g. 02:00:00:00:00:01')))
    .description('ask the PF to set the VF\'s MAC address')
    .addHelpText(
      'after',
      examples('ixgbevf set-mac sim 02:00:00:00:00:01', 'ixgbevf set-mac sim:mac=02:00:00:00:00:aa,trust=off 02:00:00:00:00:01   # PF refuses: admin MAC, not trusted', 'ixgbevf set-mac 0000:03:10.0 02:00:00:00:00:01 --hold'),
    )
    .action(async (vf: string, mac: string, opts: { hold?: boolean }, cmd: Command) => {
      const [spec, macValue] = parseArguments(cmd, [vfPositional(vf), { value: mac, example: '02:00:00:00:00:01', parse: parseUnicastMac }]);
      await runVfOp(ctxOf(cmd), spec, setMacOp(macValue), opts.hold === true);
    });

  addCommon(hold(program.command('mtu').argument('<vf>', VF_HELP).argument('<mtu>', `MTU, ${MTU_MIN}–${MTU_MAX}`)))
    .description('set the VF\'s MTU (SET_LPE with MTU + 18)')
    .addHelpText('after', examples('ixgbevf mtu sim 9000', 'ixgbevf mtu 0000:03:10.0 1500'))
    .action(async (vf: string, mtu: string, opts: { hold?: boolean }, cmd: Command) => {
      const [spec, mtuValue] = parseArguments(cmd, [vfPositional(vf), { value: mtu, example: '1500', parse: parseMtu }]);
      await runVfOp(ctxOf(cmd), spec, mtuOp(mtuValue), opts.hold === true);
    });

  addCommon(hold(program.command('vlan').argument('<vf>', VF_HELP).addArgument(withValues(new Argument('<action>', 'add the filter or delete it'), ['add', 'del'])).argument('<id>', `VLAN id, 0–${VLAN_ID_MAX} (${VLAN_ID_MAX + 1} is reserved)`)))
    .description('add or remove a VLAN filter for the VF')
    .addHelpText('after', examples('ixgbevf vlan sim add 100', 'ixgbevf vlan 0000:03:10.0 del 100'))
    .action(async (vf: string, action: string, id: string, opts: { hold?: boolean }, cmd: Command) => {
      const [spec, vlanAction, vlanId] = parseArguments(cmd, [
        vfPositional(vf),
        { value: action, example: vlanActionMeant(action), parse: parseVlanAction },
        { value: id, example: '100', parse: parseVlanId },
      ]);
      await runVfOp(ctxOf(cmd), spec, vlanOp(vlanAction, vlanId), opts.hold === true);
    });

  addCommon(hold(program.command('multicast').argument('<vf>', VF_HELP).argument('[macs...]', 'multicast MACs (none: clear the list)')))
    .description('set the VF\'s multicast filter list (at most 30 reach the PF)')
    .addHelpText('after', examples('ixgbevf multicast sim 01:00:5e:00:00:01 33:33:00:00:00:01', 'ixgbevf multicast sim   # clears the list'))
    .action(async (vf: string, macs: string[], opts: { hold?: boolean }, cmd: Command) => {
      const [spec, ...parsed] = parseArguments(cmd, [vfPositional(vf), ...macs.map((m) => ({ value: m, example: '01:00:5e:00:00:01', parse: parseMulticastMac }))]);
      await runVfOp(ctxOf(cmd), spec, multicastOp(parsed), opts.hold === true);
    });

  addCommon(hold(program.command('xcast').argument('<vf>', VF_HELP).addArgument(withValues(new Argument('<mode>', 'which multicast/promiscuous traffic the VF receives'), XCAST_MODES))))
    .description('set the VF\'s multicast/promiscuous mode (API ≥ 1.2; allmulti and promisc need trust)')
    .addHelpText('after', examples('ixgbevf xcast sim allmulti', 'ixgbevf xcast 0000:03:10.0 multi'))
    .action(async (vf: string, mode: string, opts: { hold?: boolean }, cmd: Command) => {
      const [spec, xcastMode] = parseArguments(cmd, [vfPositional(vf), { value: mode, example: 'multi', parse: parseXcastMode }]);
      await runVfOp(ctxOf(cmd), spec, xcastOp(xcastMode), opts.hold === true);
    });

  addCommon(program.command('link').argument('<vf>', VF_HELP))
    .description('link state as the VF sees it, and whether the PF lets it have link')
    .addHelpText('after', examples('ixgbevf link sim', 'ixgbevf link sim:pf=down'))
    .action(async (vf: string, _opts, cmd: Command) => {
      const spec = vfArgument(cmd, vf); // before ctxOf: a bad --timeout's fix then keeps no bad VF
      await runVfOp(ctxOf(cmd), spec, linkOp(), false);
    });

  addCommon(program.command('watch').argument('<vf>', VF_HELP))
    .description('stream PF events (pings, resets, link changes, recoveries) until Ctrl-C; --json: one JSON object per line')
    .addHelpText('after', examples('ixgbevf watch 0000:03:10.0', 'ixgbevf watch sim --json'))
    .action(async (vf: string, _opts, cmd: Command) => {
      const spec = vfArgument(cmd, vf); // before ctxOf: a bad --timeout's fix then keeps no bad VF
      await (await import('./watch.js')).watchVf(ctxOf(cmd), spec);
    });

  addCommon(program.command('mailbox').argument('<vf>', VF_HELP))
    .description('debugging: the raw mailbox register and its bits, the 16 mailbox words, counters')
    .option('--dump', 'also print the 16 mailbox words')
    .addHelpText('after', examples('ixgbevf mailbox sim --dump', 'ixgbevf mailbox 0000:03:10.0 --json'))
    .action(async (vf: string, opts: { dump?: boolean }, cmd: Command) => {
      const spec = vfArgument(cmd, vf); // before ctxOf: a bad --timeout's fix then keeps no bad VF
      await runVfOp(ctxOf(cmd), spec, mailboxOp(opts.dump === true), false);
    });

  addSmokeCommand(program, { addCommon, ctxOf, setExit, vfHelp: VF_HELP, vfArgument });
  addSimCommand(program, { addCommon, ctxOf });

  addDaemonConfigOptions(addCommon(program.command('daemon').argument('[vfs...]', `${VF_HELP}; or none with --config`), ['timeout', 'poll', 'socket']))
    .description('own VFs: reset, negotiate, apply and re-apply the desired configuration after every PF reset; serve the CLI on a Unix socket')
    .option('--state-dir <dir>', 'keep the desired configuration on disk (restored at start)')
    .option('--group <group>', 'let this group use the socket (mode 0660)')
    .addOption(new Option('--log-format <format>', "log lines on stderr (default text, or the config file's logFormat); under systemd prefixed with journald priorities").choices(['text', 'json']))
    .addHelpText(
      'after',
      examples(
        'sudo ixgbevf daemon 0000:03:10.0 0000:03:10.2 --state-dir /var/lib/ixgbevf',
        'sudo ixgbevf daemon --config /etc/ixgbevf/daemon.json --metrics 9464',
        'ixgbevf daemon sim --socket /tmp/ixgbevf.sock   # then: IXGBEVF_SOCKET=/tmp/ixgbevf.sock ixgbevf set-mac sim 02:00:00:00:00:01',
      ) +
        '\nSIGTERM, SIGINT, SIGHUP and the other fatal signals stop cleanly (no reload): every VF released, the socket removed.\n' +
        'Under systemd: scripts/ixgbevf.service (Type=notify, --config). Guarantees, config file, metrics: docs/daemon.md.\n',
    )
    .action(async (vfs: string[], opts: CommonOptions & { stateDir?: string; group?: string; logFormat?: LogFormat; config?: string; metrics?: string }, cmd: Command) => {
      // Each VF named here is checked before anything starts (a bad sim spec is exit 2 with a runnable fix).
      vfs.forEach((vf, i) => parseArgument(cmd, i, vf, 'sim', parseVfArgument));
      const ctx = ctxOf(cmd);
      io.leaveHangupToDaemon?.();
      // The daemon (and prom-client, the config parser, the socket server) loads only for this command.
      const [{ daemonSettings }, { Daemon }, { createLogger }, { resolveGroupId }] = await Promise.all([
        import('../daemon/cli-options.js'),
        import('../daemon/daemon.js'),
        import('../daemon/log.js'),
        import('../pci/users.js'),
      ]);
      const settings = await daemonSettings(vfs, {
        ...(opts.config === undefined ? {} : { config: opts.config }),
        ...(opts.metrics === undefined ? {} : { metrics: opts.metrics }),
        ...(ctx.socketExplicit ? { socket: ctx.socketPath } : {}),
        ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
        ...(opts.group === undefined ? {} : { group: opts.group }),
        ...(opts.logFormat === undefined ? {} : { logFormat: opts.logFormat }),
        ...(ctx.poll ? { poll: true } : {}),
        ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
      });
      const logger = createLogger(settings.logFormat, (line) => io.stderr(line));
      const daemon = new Daemon({
        specs: settings.specs,
        socketPath: settings.socket ?? ctx.socketPath, // --socket, else the config file's, else $IXGBEVF_SOCKET or the default
        openVf: await ctx.openVf(),
        logger,
        configured: settings.configured,
        ...(settings.metrics === undefined ? {} : { metrics: settings.metrics }),
        ...(settings.stateDir === undefined ? {} : { stateDir: settings.stateDir }),
        // Through the name service (getent), so a directory group works; the daemon gets the gid.
        ...(settings.group === undefined ? {} : { group: String(await resolveGroupId(settings.group, ctx.sysfs)) }),
        ...(settings.poll ? { poll: true } : {}),
        ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
        ...(ctx.verbose ? { onTrace: (ev) => ctx.trace(ev) } : {}),
        ...(ctx.sysfs.sysRoot === undefined ? {} : { sysfsRoot: ctx.sysfs.sysRoot }),
        ...(io.daemon?.peerCredentials === undefined ? {} : { peerCredentials: io.daemon.peerCredentials }),
        ...(io.daemon?.retryMinMs === undefined ? {} : { retryMinMs: io.daemon.retryMinMs }),
        ...(io.daemon?.retryMaxMs === undefined ? {} : { retryMaxMs: io.daemon.retryMaxMs }),
      });
      if (io.signal.aborted) return;
      // SIGTERM/SIGINT stop the daemon at any time, also while it starts: start() then opens nothing more
      // after the step in flight and resolves 'stopped' once the daemon has stopped (exit 0: a stop asked
      // for; its `stopped` line says it stopped before it was ready).
      // Its failure, if any, is reported where it is awaited (start(), or below).
      const onAbort = (): void => void daemon.stop('signal').catch(() => undefined);
      io.signal.addEventListener('abort', onAbort, { once: true });
      let outcome: Awaited<ReturnType<typeof daemon.start>>;
      try {
        outcome = await daemon.start();
      } catch (err) {
        io.signal.removeEventListener('abort', onAbort); // nothing left to stop
        throw err;
      }
      if (outcome === 'stopped') return;
      io.daemon?.onStarted?.(daemon);
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) return resolve();
        io.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await daemon.stop('signal'); // the stop the abort began
    });

  addCompletionCommands(program, { ctxOf, addCommon });
  // A usage error inside a command (a missing or extra argument, an unknown option) is fixed by that
  // command's help, with its usage line and examples: `ixgbevf vlan --help`, not the whole program's.
  for (const sub of program.commands) sub.configureOutput({ outputError: usageErrorLine(program, `ixgbevf ${sub.name()} --help`, wantsJson) });
  return program;
}

/** The VLAN action a mistyped one meant: `remove`, `rm`, `delete`, `DEL`, `drop`, `-` → `del`; anything else `add`. */
function vlanActionMeant(typed: string): 'add' | 'del' {
  return /^(-|d|del.*|rem.*|rm|drop|unset|off|no)$/i.test(typed.trim()) ? 'del' : 'add';
}

/** A VF argument: a PCI address, or a sim spec whose keys and values are checked here (before any open), so its fix is a command. */
function parseVfArgument(value: string): string {
  const spec = parseVfSpec(value);
  if (isSimSpec(spec)) checkSimSpec(spec);
  return spec;
}

/** The fix of the last usage error commander reported for a program (run() puts it in the JSON error document). */
const usageHints = new WeakMap<Command, string>();

/**
 * Commander's `outputError` for a command whose help is `hint`: one line, as every other error
 * (commander's suggestion joins it, the fix is the help), nothing on stderr with --json. Records the hint
 * for run()'s JSON document.
 */
function usageErrorLine(program: Command, hint: string, wantsJson: boolean): (s: string, write: (s: string) => void) => void {
  return (s, write) => {
    usageHints.set(program, hint);
    if (wantsJson) return;
    const line = oneLine(s.trim().replace(/^error: /, ''));
    write(`ixgbevf: error: ${line} (try: ${hint})\n`);
  };
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const wantsJson = argv.includes('--json');
  const verbose = argv.includes('--verbose');
  let helpText = '';
  const program = createProgram(io, (code) => void (exitCode = code), wantsJson, (text) => (wantsJson ? (helpText += text) : io.stdout(text)));
  // `ixgbevf help --json`: `--json` is not an option of commander's help command (it would take it for
  // the name of a command); the JSON wrapping below is all it asks for.
  const words = argv.filter((a) => !a.startsWith('-'));
  const parsed = wantsJson && words[0] === 'help' ? argv.filter((a) => a !== '--json') : argv;
  try {
    await program.parseAsync([...parsed], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // `ixgbevf` alone (or `help <unknown>`): commander printed the help on stderr (exitCode 1); that is a
      // usage error, said in one line after the help (and as the JSON error document with --json).
      if (err.code === 'commander.help' && err.exitCode !== 0) {
        const message = 'no command given (or help for a command that does not exist)';
        if (wantsJson) io.stdout(`${JSON.stringify({ error: { code: 'ERR_USAGE', message, hint: 'ixgbevf --help', exitCode: ExitCode.badInput } })}\n`);
        else io.stderr(`ixgbevf: error: ${message} (try: ixgbevf --help)\n`);
        return ExitCode.badInput;
      }
      if (err.code === 'commander.version') {
        if (wantsJson) io.stdout(`${JSON.stringify({ version: helpText.trim() })}\n`);
        return ExitCode.ok;
      }
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        // --help --json: the same text, as one JSON document (the command it is for, and its help).
        if (wantsJson) io.stdout(`${JSON.stringify({ command: helpCommandOf(helpText), help: helpText })}\n`);
        return ExitCode.ok;
      }
      if (err.code === 'commander.executeSubCommandAsync' || err.code === PARSED_ONLY) return ExitCode.ok;
      // One line, as the text mode's (commander's suggestion comes on a line of its own: joined).
      const message = oneLine(err.message.replace(/^error: /, ''));
      const hint = usageHints.get(program) ?? 'ixgbevf --help';
      if (wantsJson) io.stdout(`${JSON.stringify({ error: { code: 'ERR_USAGE', message, hint, exitCode: ExitCode.badInput } })}\n`);
      return ExitCode.badInput;
    }
    // After the result document (a `--hold` the kernel ended: ERR_RELEASED) stdout stays that one document:
    // the error is the stderr line, its exit code the command's.
    return reportError(err, io, wantsJson && !resultDocumentPrinted.has(io), verbose, argv);
  }
  return exitCode;
}

/** The command a help text is for, from its usage line (`Usage: ixgbevf set-mac [options] <vf> <mac>` → 'ixgbevf set-mac'). */
function helpCommandOf(helpText: string): string {
  const usage = /^Usage: (.*)$/m.exec(helpText)?.[1] ?? 'ixgbevf';
  const words = usage.split(' ');
  const end = words.findIndex((w) => /^[[<]/.test(w));
  return words.slice(0, end === -1 ? words.length : end).join(' ');
}

/**
 * Prints an error (cause, fix; a stack only for bugs with --verbose) and returns its exit code. The cause
 * is one line in both modes. A bug (an untyped error, exit 1) is this process's own, not the daemon's: its
 * fix is the same command with --verbose (the stack trace to report), or with it already, the version.
 */
export function reportError(err: unknown, io: CliIo, json: boolean, verbose: boolean, argv: readonly string[] = []): number {
  const typed = isIxgbevfError(err);
  const e = asIxgbevfError(err);
  const message = oneLine(e.message);
  const hint = typed
    ? e.hint
    : verbose
      ? 'ixgbevf --version   (this is a bug: report it with that version and the stack trace printed on stderr)'
      : `${['ixgbevf', ...argv.filter((a) => a !== '--verbose'), '--verbose'].map(shellWord).join(' ')}   (prints the stack trace: this is a bug, report it with that)`;
  if (json) {
    io.stdout(`${JSON.stringify({ error: { code: e.code, message, ...(hint === undefined ? {} : { hint }), exitCode: e.exitCode } })}\n`);
  } else if (e instanceof InvalidArgumentError) {
    io.stderr(`ixgbevf: error: ${message}${hint === undefined ? '' : ` (try: ${hint})`}\n`);
  } else {
    io.stderr(`ixgbevf: error: ${message}\n`);
    if (hint !== undefined) io.stderr(`  fix: ${hint}\n`);
  }
  if (!typed) {
    if (verbose && err instanceof Error && err.stack !== undefined) io.stderr(`${err.stack}\n`);
  } else if (verbose && e.cause instanceof Error && e.cause.stack !== undefined) {
    io.stderr(`  cause: ${e.cause.stack}\n`);
  }
  return e.exitCode;
}
