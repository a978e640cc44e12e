/**
 * `ixgbevf sim <action>`: drive the simulated PF of a `sim` VF that a daemon owns — the PF-side events a
 * real host makes with `ip link` (PF down/up/reset, trust, admin MAC) — through the daemon's `sim` op, so
 * the daemon's main job (re-applying the desired configuration after a PF reset) can be watched on sim.
 */
import { existsSync } from 'node:fs';
import { Argument, type Command } from 'commander';
import { SIM_ACTIONS, type SimAction } from '../daemon/protocol.js';
import { parseUnicastMac, parseVfSpec, isSimSpec } from '../daemon/validate.js';
import { shellWord } from '../shell-word.js';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import type { Ctx } from './context.js';
import { withValues } from './program-model.js';
import { lockHolder, unreachableError, unreadableReplyError } from './client.js';
import { drivenSimVfs } from './vf-session.js';
import { checkSimSpec } from '../open/arguments.js';

const WHAT: Record<SimAction, string> = {
  'pf-down': 'the PF interface went down (ip link set <pf> down)',
  'pf-up': 'the PF interface came up (ip link set <pf> up)',
  'pf-reset': 'the PF reset (down and up, as a PF driver reload or link reset does)',
  'trust-on': 'the VF is trusted (ip link set <pf> vf <n> trust on)',
  'trust-off': 'the VF is no longer trusted',
  'admin-mac': 'the PF administrator set the VF\'s MAC (ip link set <pf> vf <n> mac …)',
  show: 'the simulated PF\'s view of the VF',
};

interface StatusVf {
  id: string;
  kind?: string;
  state: string;
}

export async function simCommand(ctx: Ctx, actionArg: string, macArg: string | undefined, opts: { vf?: string }): Promise<void> {
  if (!(SIM_ACTIONS as readonly string[]).includes(actionArg)) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `unknown sim action ${JSON.stringify(actionArg)}: expected one of ${SIM_ACTIONS.join(', ')}`, { hint: 'ixgbevf sim --help' });
  }
  const action = actionArg as SimAction;
  // Every fix below is an `ixgbevf sim …` command for the same daemon: --socket kept when named, --vf when given.
  const socketKept = ctx.socketExplicit ? ` --socket ${shellWord(ctx.socketPath)}` : '';
  const kept = `${opts.vf === undefined ? '' : ` --vf ${shellWord(opts.vf)}`}${socketKept}`;
  let mac: string | null | undefined;
  if (action === 'admin-mac') {
    if (macArg === undefined) throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', 'sim admin-mac needs a MAC (or none to clear it)', { hint: `ixgbevf sim admin-mac 02:00:00:00:00:aa${kept}` });
    try {
      mac = macArg === 'none' ? null : parseUnicastMac(macArg);
    } catch (err) {
      // The fix is this command with a valid MAC, its --vf and --socket kept.
      if (!(err instanceof InvalidArgumentError)) throw err;
      throw new InvalidArgumentError(err.code, err.message, { hint: `ixgbevf sim admin-mac 02:00:00:00:00:aa${kept}`, details: err.details });
    }
  } else if (macArg !== undefined) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `sim ${action} takes no argument (got ${JSON.stringify(macArg)})`, { hint: 'ixgbevf sim --help' });
  }
  const wanted = opts.vf === undefined ? undefined : parseVfSpec(opts.vf);
  if (wanted !== undefined) {
    // Bad input before any daemon is asked (exit 2): --vf names a sim VF, and its spec must be valid.
    if (!isSimSpec(wanted)) {
      throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `--vf names a simulated VF (sim or sim:key=value,...), got ${wanted}`, {
        hint: `ixgbevf sim ${action}${mac === undefined ? '' : ` ${mac ?? 'none'}`} --vf sim${ctx.socketExplicit ? ` --socket ${shellWord(ctx.socketPath)}` : ''}`,
      });
    }
    checkSimSpec(wanted);
  }
  // No daemon: start one that owns the sim VF asked for. A daemon that answers but owns no such VF keeps
  // its socket (a second daemon there is refused by its lock): the fix shows what it owns.
  const noDaemon = (why: string, answered = false): EnvironmentError =>
    new EnvironmentError('ERR_NO_SIM_DAEMON', `${why}: sim actions act on the simulated PF of a sim VF a daemon owns`, {
      hint: answered
        ? `ixgbevf list${ctx.socketExplicit ? ` --socket ${shellWord(ctx.socketPath)}` : ''}   (shows the VFs that daemon owns; a sim VF it does not own needs a daemon of its own on another socket)`
        : `start one: ixgbevf daemon ${shellWord(wanted ?? 'sim')} --socket ${shellWord(ctx.socketPath)}   (then run this again${ctx.socketExplicit ? '' : ` with --socket ${shellWord(ctx.socketPath)}`})`,
      details: { socket: ctx.socketPath },
    });
  const client = await ctx.connectDaemon(wanted ?? 'sim');
  if (client === null) {
    // A daemon that holds the socket's lock while its socket is gone (removed under it): starting one is
    // refused by that lock, so say which daemon it is and what to do about the path (client.ts).
    if (lockHolder(`${ctx.socketPath}.lock`) !== null) throw unreachableError(ctx.socketPath, existsSync(ctx.socketPath) ? 'ECONNREFUSED' : 'ENOENT');
    throw noDaemon(`no daemon answers at ${ctx.socketPath}`);
  }
  try {
    const status = await client.request<{ vfs: StatusVf[] }>('status');
    if (!Array.isArray(status.vfs)) throw unreadableReplyError(ctx.socketPath, 'status without a list of VFs');
    const sims = drivenSimVfs(status.vfs);
    let vf: string;
    if (wanted !== undefined) {
      if (!sims.some((v) => v.id === wanted)) throw noDaemon(`the daemon at ${ctx.socketPath} owns no sim VF ${wanted} (it owns ${status.vfs.map((v) => v.id).join(', ') || 'nothing'})`, true);
      vf = wanted;
    } else if (sims.length === 1) {
      vf = sims[0]!.id;
    } else if (sims.length === 0) {
      throw noDaemon(`the daemon at ${ctx.socketPath} owns no sim VF (it owns ${status.vfs.map((v) => v.id).join(', ') || 'nothing'})`, true);
    } else {
      throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `the daemon owns several sim VFs (${sims.map((v) => v.id).join(', ')}): name one with --vf`, {
        // The user's command with --vf added: its MAC and --socket kept (the daemon is not the default one).
        hint: `ixgbevf sim ${action}${mac === undefined ? '' : ` ${mac ?? 'none'}`} --vf ${shellWord(sims[0]!.id)}${ctx.socketExplicit ? ` --socket ${shellWord(ctx.socketPath)}` : ''}`,
      });
    }
    const result = await client.request<{ vf: string; action: string; pf: Record<string, unknown> }>('sim', { vf, action, ...(mac === undefined ? {} : { mac }) });
    const view = Object.entries(result.pf)
      .filter(([, v]) => v !== undefined && typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const lines = [`${vf}: ${action === 'show' ? WHAT.show : `simulated: ${WHAT[action]}`}`, `PF view: ${view}`];
    const sock = ctx.socketExplicit ? ` --socket ${ctx.socketPath}` : '';
    if (action === 'pf-reset' || action === 'pf-up') lines.push(`the daemon re-applies ${vf}'s desired configuration now (to see it: ixgbevf watch ${vf}${sock}; the result: ixgbevf info ${vf}${sock})`);
    ctx.print({ ...result, via: 'daemon' }, lines);
  } finally {
    client.close();
  }
}

export function addSimCommand(program: Command, deps: { addCommon: (cmd: Command, names: readonly ('json' | 'socket')[]) => Command; ctxOf: (cmd: Command) => Ctx }): void {
  deps
    .addCommon(program.command('sim').addArgument(withValues(new Argument('<action>', 'what happens on the simulated PF'), SIM_ACTIONS)).argument('[mac]', 'admin-mac only: the MAC, or none'), ['json', 'socket'])
    .description('drive the simulated PF of a sim VF a daemon owns: PF down/up/reset, trust, admin MAC (what `ip link` does on a real host)')
    .option('--vf <spec>', 'which sim VF, when the daemon owns several')
    .addHelpText(
      'after',
      `\nNeeds a daemon that owns a sim VF (start one: ixgbevf daemon sim --socket /tmp/ixgbevf.sock &).\n\nExamples:\n  $ ixgbevf sim pf-reset --socket /tmp/ixgbevf.sock\n  $ ixgbevf sim trust-on --socket /tmp/ixgbevf.sock\n  $ ixgbevf sim admin-mac 02:00:00:00:00:aa --socket /tmp/ixgbevf.sock\n  $ ixgbevf sim show --socket /tmp/ixgbevf.sock --json\n`,
    )
    .action(async (action: string, mac: string | undefined, opts: { vf?: string }, cmd: Command) => {
      await simCommand(deps.ctxOf(cmd), action, mac, opts);
    });
}
