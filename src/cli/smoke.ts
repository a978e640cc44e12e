/**
 * `ixgbevf smoke <vf> [--pf IFNAME]`: the hardware smoke test (issue 6). The checks live in src/smoke;
 * this file wires options, the daemon-ownership guard, the `--bind` in-use guard and output. Exit 0 only
 * when no check failed; otherwise the exit code of the first failed check (3 environment, 4 PF not
 * answering, 5 PF refused, 7 device gone; 1 when a value was wrong).
 *
 * `--bind` takes the VF from its kernel driver for the test. A VF whose interface is up is in use: as
 * `ixgbevf bind`, smoke refuses it (exit 3, before any check runs) unless `--force`, which then passes
 * the override to the bind and reminds that the interface comes back down. A PF or any other device than an
 * ixgbe/igb VF is refused first (exit 2, as `ixgbevf bind`), whatever --force says.
 *
 * Bad options are refused before anything is opened or started (exit 2), each with the user's own command
 * line made valid as the fix (smokeFixLine): a bad --reset-bound, --force without --bind, --bind on the
 * simulated VF (no PCI device: nothing on the host is touched), --pf on the simulated VF (its PF is
 * simulated: a host interface's name in its report and restore commands would point at a real PF). A named
 * --socket where no daemon answers is exit 3 with the same test without --socket as the fix. The report's
 * fixes are phrased for the command line (phrasedReport).
 *
 * Ctrl-C / SIGTERM (ctx.io.signal) stops the checks and still runs the release steps (engine: opts.signal);
 * a one-line notice says so at once. The report is printed whole, `interrupted`, exit 3 (ERR_INTERRUPTED)
 * unless a check failed first. A second signal exits at once (src/cli/main.ts); right before, ctx.io.abandon
 * has this command name, one line each, what is still changed and the command that puts it back.
 */
import type { Command } from 'commander';
import { isSimSpec, parseTimeoutMs } from '../daemon/validate.js';
import { EnvironmentError, InvalidArgumentError, isIxgbevfError } from '../errors.js';
import { bindToVfio, unbindDevice } from '../pci/bind.js';
import type { PciAddress } from '../pci/address.js';
import { readDriver, readNetdevState, requirePciDevice } from '../pci/discovery.js';
import { diagnose } from '../pci/doctor.js';
import { requireFamilyVf } from '../pci/guard.js';
import { validateIfname } from '../pci/iplink.js';
import type { SysfsOptions } from '../pci/sysfs.js';
import { shellWord } from '../shell-word.js';
import type { SmokeHost, SmokeReport } from '../smoke/index.js';
import type { Ctx } from './context.js';
import { phraseHint } from './hints.js';
import { rawArgsOf } from './argument-fix.js';
import { unreadableReplyError } from './client.js';

export interface SmokeCliOptions {
  pf?: string;
  bind?: boolean;
  allowPfChanges?: boolean;
  allowPfReset?: boolean;
  resetBound?: string;
  force?: boolean;
}

function parseBound(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 100 || Number(text) > 600_000) {
    throw new InvalidArgumentError('ERR_INVALID_RESET_BOUND', `invalid --reset-bound ${JSON.stringify(text)}: expected milliseconds, 100..600000`);
  }
  return Number(text);
}

/** A change to the user's smoke command line, for a fix: another VF, options left out (a flag, or an option with its value). */
export interface SmokeLineChange {
  vf?: string;
  drop?: readonly string[];
}

/** `smoke`'s options (and the common ones) that take a value: their next word is that value. */
const VALUE_OPTIONS: ReadonlySet<string> = new Set(['--pf', '--reset-bound', '--timeout', '--socket']);
/** Values every fix leaves valid, whichever error it is for: a bad one is replaced by the example. */
const CHECKED_VALUES: Readonly<Record<string, { example: string; parse: (value: string) => unknown }>> = {
  '--timeout': { example: '1000', parse: parseTimeoutMs },
  '--reset-bound': { example: '20000', parse: parseBound },
};

function validValue(option: string, value: string): string {
  const checked = CHECKED_VALUES[option];
  if (checked === undefined) return value;
  try {
    checked.parse(value);
    return value;
  } catch {
    return checked.example;
  }
}

/**
 * The user's command line (commander's rawArgs, global options included) as a fix that parses as a whole:
 * `ixgbevf`, the words typed with `change` applied (the VF replaced, options dropped), and a bad
 * --timeout / --reset-bound replaced by a valid example.
 */
export function smokeFixLine(raw: readonly string[], change: SmokeLineChange = {}): string {
  const drop = new Set(change.drop ?? []);
  const out: string[] = [];
  let positionals = 0; // the first is the command (smoke), the second the VF
  const positional = (word: string): void => {
    out.push(positionals === 1 && change.vf !== undefined ? change.vf : word);
    positionals += 1;
  };
  for (let i = 0; i < raw.length; i++) {
    const word = raw[i]!;
    if (word === '--') {
      out.push(word);
      for (const rest of raw.slice(i + 1)) positional(rest);
      break;
    }
    if (!word.startsWith('--')) {
      positional(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq === -1 ? word : word.slice(0, eq);
    const takesValue = VALUE_OPTIONS.has(name);
    const value = eq !== -1 ? word.slice(eq + 1) : takesValue ? raw[i + 1] : undefined;
    if (eq === -1 && takesValue) i++;
    if (drop.has(name)) continue;
    if (!takesValue) out.push(word);
    else if (value !== undefined) out.push(...(eq === -1 ? [name, validValue(name, value)] : [`${name}=${validValue(name, value)}`]));
  }
  return ['ixgbevf', ...out].map(shellWord).join(' ');
}

/**
 * The option combinations smoke refuses (exit 2), checked before anything is opened or started and before
 * the common options are read, so each fix (the user's line, smokeFixLine) also carries a valid --timeout:
 * a bad --reset-bound or --pf; --force without --bind; --pf on the simulated VF (its PF is simulated); --bind
 * on the simulated VF, which has no PCI device to move (nothing on the host is touched).
 */
export function checkSmokeOptions(vf: string, opts: SmokeCliOptions, fixLine: (change?: SmokeLineChange) => string): number | undefined {
  let resetBoundMs: number | undefined;
  try {
    resetBoundMs = parseBound(opts.resetBound);
  } catch (err) {
    throw new InvalidArgumentError('ERR_INVALID_RESET_BOUND', (err as Error).message, { hint: fixLine() });
  }
  const isSim = isSimSpec(vf);
  if (opts.pf !== undefined) validateIfname(opts.pf);
  if (isSim && opts.pf !== undefined) {
    // The simulated PF would carry that name: the report, and every restore command the test prints, would
    // then name a real interface of this host that the test never touched (ip link set eth0 vf 0 mac …).
    throw new InvalidArgumentError('ERR_USAGE', `--pf names the PF interface of a PCI VF: the simulated VF ${vf} has a simulated PF (sim-pf0), not ${opts.pf}`, {
      hint: fixLine({ drop: ['--pf'] }),
    });
  }
  if (isSim && opts.bind === true) {
    throw new InvalidArgumentError('ERR_USAGE', `--bind moves a PCI VF to vfio-pci for the test: the simulated VF ${vf} has no PCI device to move (nothing was touched)`, {
      hint: fixLine({ drop: ['--bind', '--force'] }),
    });
  }
  if (opts.force === true && opts.bind !== true) {
    throw new InvalidArgumentError('ERR_USAGE', '--force only applies with --bind (it lets --bind take a VF whose interface is up)', {
      hint: isSim ? fixLine({ drop: ['--force'] }) : `ixgbevf smoke ${vf} --bind --force`,
    });
  }
  return resetBoundMs;
}

/**
 * A named socket where no daemon answers: exit 3 as for every command, but not with the VF commands' fix
 * (start a daemon there: one that owns this VF would make the smoke test refuse it). The smoke test opens
 * the VF itself, so the fix is the same test without --socket.
 */
function unreachableForSmoke(err: unknown, fixLine: (change?: SmokeLineChange) => string): unknown {
  if (!isIxgbevfError(err) || err.code !== 'ERR_DAEMON_UNREACHABLE' || err.details['lockHolder'] !== undefined) return err;
  return new EnvironmentError(err.code, err.message, {
    hint: `${fixLine({ drop: ['--socket'] })}   (the smoke test opens the VF itself; --socket only names a daemon that must not own it)`,
    details: err.details,
    cause: err,
  });
}

/**
 * The report with each check's fix phrased for the command line, as the VF commands phrase theirs
 * (src/cli/hints.ts: the PF's name for `<pf>`, a CLI command in place of a library call); on the simulated VF
 * a fix that is a sim spec change ends with the smoke command that runs the test on that spec.
 */
function phrasedReport(report: SmokeReport, vf: string, fixLine: (change?: SmokeLineChange) => string): SmokeReport {
  const target = { vf, kind: report.kind, pfName: report.pf, vfIndex: report.vfIndex, viaDaemon: false, commandOn: (spec: string) => fixLine({ vf: spec }) };
  const checks = report.checks.map((c) => {
    if (c.hint === undefined) return c;
    const hint = phraseHint(c.hint, target);
    return hint === c.hint ? c : { ...c, hint };
  });
  return { ...report, checks };
}

/** Refuses a VF a running daemon owns: VFIO allows one owner, and the smoke test resets the VF. */
async function guardDaemon(ctx: Ctx, vf: string, fixLine: (change?: SmokeLineChange) => string): Promise<void> {
  let client;
  try {
    client = await ctx.connectDaemon();
  } catch (err) {
    // A socket the user named must answer (as for every other command); the default one may be absent.
    if (ctx.socketExplicit) throw err;
    return;
  }
  if (client === null) return;
  try {
    const status = await client.request<{ vfs: { id: string; state: string }[] }>('status');
    if (!Array.isArray(status.vfs)) throw unreadableReplyError(ctx.socketPath, 'status without a list of VFs');
    if (status.vfs.some((v) => v.id === vf && v.state !== 'released')) {
      throw new EnvironmentError('ERR_OWNED_BY_DAEMON', `${vf} is owned by the daemon at ${ctx.socketPath}: the smoke test needs the VF for itself`, {
        // Once the daemon is stopped its socket no longer answers: the test to run then names none (a named one must answer).
        hint: `stop the daemon (systemctl stop ixgbevf, or SIGTERM it), then: ${fixLine({ drop: ['--socket'] })}; then start the daemon again`,
      });
    }
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
  } finally {
    client.close();
  }
}

/** The VF's interfaces that are administratively up (in use); [] when sysfs does not know the VF. */
async function upInterfaces(vf: string, sysfs: SysfsOptions): Promise<{ driver: string | null; up: string[]; unknown: string[] }> {
  let dev;
  try {
    dev = await requireFamilyVf(vf as PciAddress, 'bind', sysfs);
  } catch (err) {
    // A PF or any other device is never taken, --force or not (exit 2, as `ixgbevf bind`): its in-use fix
    // would otherwise say to take the PF's own interface down, and every VF's traffic with it.
    if (err instanceof InvalidArgumentError) throw err;
    return { driver: null, up: [], unknown: [] }; // not found: env.driver reports it in the table
  }
  const up: string[] = [];
  const unknown: string[] = [];
  for (const ifname of dev.netdevs) {
    const { adminUp } = await readNetdevState(ifname, sysfs);
    if (adminUp === true) up.push(ifname);
    else if (adminUp === null) unknown.push(ifname); // may be up: refused the same way (as ixgbevf bind does)
  }
  return { driver: dev.driver, up, unknown };
}

/** The real host with the bind's in-use check overridden: only for `--bind --force`, after the user said so. */
function forcedBindHost(sysfs: SysfsOptions): SmokeHost {
  return {
    requireDevice: async (vf) => void (await requirePciDevice(vf, sysfs)),
    diagnose: (vf) => diagnose(vf, sysfs),
    readDriver: (vf) => readDriver(vf as never, sysfs),
    bind: async (vf) => {
      const r = await bindToVfio(vf, { ...sysfs, force: true });
      return { previousDriver: r.previousDriver, changed: r.changed };
    },
    restore: async (vf, driver) => ({ driver: (await unbindDevice(vf, { ...sysfs, restore: driver ?? false })).driver }),
  };
}

/** Runs the test on `vf` (parsed by the action, its options checked there: checkSmokeOptions, which gave `resetBoundMs`). */
export async function smokeCommand(ctx: Ctx, vf: string, opts: SmokeCliOptions, resetBoundMs: number | undefined, fixLine: (change?: SmokeLineChange) => string): Promise<number> {
  const isSim = isSimSpec(vf);
  const force = opts.force === true;
  try {
    if (!isSim) await guardDaemon(ctx, vf, fixLine);
    else if (ctx.socketExplicit) (await ctx.connectDaemon())?.close(); // the sim smoke runs its own VF; a named socket must still answer
  } catch (err) {
    throw unreachableForSmoke(err, fixLine);
  }
  const inUse = !isSim && opts.bind === true ? await upInterfaces(vf, ctx.sysfs) : { driver: null, up: [], unknown: [] };
  if (inUse.unknown.length > 0 && inUse.up.length === 0 && !force) {
    const ifname = inUse.unknown[0]!;
    throw new EnvironmentError('ERR_NETDEV_STATE_UNKNOWN', `${vf} may be in use: the state of its interface ${ifname} (driver ${inUse.driver ?? '?'}) cannot be read, and --bind would take the VF from it for the test`, {
      hint: `ip link show ${ifname}; if it is down or unused: ixgbevf smoke ${vf} --bind --force`,
      details: { address: vf, ifname },
    });
  }
  if (inUse.up.length > 0 && !force) {
    const ifname = inUse.up[0]!;
    throw new EnvironmentError('ERR_NETDEV_UP', `${vf} is in use: its interface ${ifname} (driver ${inUse.driver ?? '?'}) is up, and --bind would take the VF from it for the test`, {
      hint: `ip link set ${ifname} down, then retry (or: ixgbevf smoke ${vf} --bind --force)`,
      details: { address: vf, ifname },
    });
  }
  const { runSmoke, formatCheckLine, formatSmokeReport, PendingRestores } = await import('../smoke/index.js'); // loaded for this command only
  const pending = new PendingRestores();
  const { signal, abandon } = ctx.io;
  const onInterrupt = (): void => ctx.io.stderr('ixgbevf: smoke interrupted: stopping the checks, then restoring the VF and the PF (Ctrl-C again abandons the restore)\n');
  const onAbandon = (): void => {
    // Synchronous, right before the process exits: only what is known now. The simulated VF and its PF
    // end with this process: nothing of theirs is left to restore (no `ip link set sim-pf0 …`).
    if (isSimSpec(vf)) {
      ctx.io.stderr('ixgbevf: smoke restore abandoned: nothing is left changed: the simulated VF and its PF end with this process\n');
      return;
    }
    const left = pending.list();
    if (left.length === 0) ctx.io.stderr('ixgbevf: smoke restore abandoned: nothing the test changed is known to be left changed\n');
    for (const c of left) ctx.io.stderr(`ixgbevf: smoke restore abandoned: left changed: ${c.what}; restore: ${c.restore}\n`);
  };
  if (signal.aborted) onInterrupt();
  else signal.addEventListener('abort', onInterrupt, { once: true });
  abandon?.addEventListener('abort', onAbandon, { once: true });
  let report;
  try {
    report = await runSmoke({
      spec: vf,
      openVf: await ctx.openVf(),
      ...(opts.pf === undefined ? {} : { pf: opts.pf }),
      ...(ctx.poll ? { poll: true } : {}),
      ...(opts.bind === true ? { bind: true } : {}),
      ...(force ? { host: forcedBindHost(ctx.sysfs) } : {}),
      ...(opts.allowPfChanges === true ? { allowPfChanges: true } : {}),
      ...(opts.allowPfReset === true ? { allowPfReset: true } : {}),
      ...(ctx.timeoutMs === undefined ? {} : { timeoutMs: ctx.timeoutMs }),
      ...(resetBoundMs === undefined ? {} : { resetBoundMs }),
      sysfs: ctx.sysfs,
      env: ctx.io.env,
      onTrace: (ev) => ctx.trace(ev),
      ...(ctx.verbose && !ctx.json ? { onCheck: (c) => ctx.io.stderr(`${formatCheckLine(c)}\n`) } : {}),
      signal,
      pending,
    });
  } finally {
    signal.removeEventListener('abort', onInterrupt);
    abandon?.removeEventListener('abort', onAbandon);
  }
  report = phrasedReport(report, vf, fixLine);
  ctx.print(report, formatSmokeReport(report));
  if (inUse.up.length > 0) {
    ctx.note(`note: ${inUse.up.join(', ')} was up before the test; --bind --force took the VF from ${inUse.driver ?? 'its driver'}. Once it is back there, bring the interface up again: ip link set ${inUse.up[0]!} up`);
  }
  return report.exitCode;
}

/** Registers `smoke` on the program (program.ts passes its common-option helper and exit-code setter). */
export function addSmokeCommand(
  program: Command,
  deps: { addCommon: (cmd: Command) => Command; ctxOf: (cmd: Command) => Ctx; setExit: (code: number) => void; vfHelp: string; vfArgument: (cmd: Command, vf: string) => string },
): void {
  deps
    .addCommon(program.command('smoke').argument('<vf>', deps.vfHelp))
    .description('hardware smoke test: check by check (pass/fail/skip with the reason) whether this driver works against the VF\'s PF')
    .option('--pf <ifname>', 'the PF netdev (default: from sysfs); its `ip -j -d link show` is the PF view the checks compare with (a PCI VF only: sim has its own PF)')
    .option('--bind', 'move the VF to vfio-pci for the test and put it back afterwards (refused while its interface is up; a PCI VF only)')
    .option('--force', 'with --bind: take the VF even when its network interface is up (and nothing else)')
    .option('--allow-pf-changes', 'opt-in: set an admin MAC and toggle trust on the PF (restored afterwards)')
    .option('--allow-pf-reset', 'opt-in: take the PF interface down and up (traffic on the PF stops for seconds)')
    .option('--reset-bound <ms>', 'bound for re-applying the configuration after the PF comes back (default 20000)')
    .addHelpText(
      'after',
      `\nSafe by default: only what a VF may ask for itself (MAC, MTU, VLAN, multicast, xcast), each put back;\nthe VF is reset when the test releases it. Exit 0 only when no check failed.\n--bind refuses a VF whose interface is up (exit 3): bring it down (ip link set <if> down) or add --force;\nthe interface comes back down after the test.\nCtrl-C stops the checks and still restores the VF and the PF (the report says interrupted, exit 3);\na second Ctrl-C exits at once and prints what is left changed, each with the command that restores it.\nSee docs/hardware.md.\n\nExamples:\n  $ ixgbevf smoke sim\n  $ sudo ixgbevf smoke 0000:03:10.0 --pf enp3s0f0\n  $ sudo ixgbevf smoke 0000:03:10.0 --pf enp3s0f0 --bind --json > smoke.json\n  $ sudo ixgbevf smoke 0000:03:10.0 --allow-pf-changes --allow-pf-reset   # maintenance window only\n`,
    )
    .action(async (vf: string, opts: SmokeCliOptions, cmd: Command) => {
      const spec = deps.vfArgument(cmd, vf); // the VF before the options, as the VF commands check it
      const fixLine = (change?: SmokeLineChange): string => smokeFixLine(rawArgsOf(cmd), change);
      const resetBoundMs = checkSmokeOptions(spec, opts, fixLine); // before ctxOf: its --timeout fix then keeps no bad smoke option
      deps.setExit(await smokeCommand(deps.ctxOf(cmd), spec, opts, resetBoundMs, fixLine));
    });
}
