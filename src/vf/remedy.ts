/**
 * The fix for a refusal, as data (`Remedy`) and as text for the place the VF lives (`renderRemedy`): on a
 * host it names the PF-side command (`ip link set <pf> vf <n> …`, `<pf>`/`<n>` filled in when known); on the
 * simulated VF it names the `sim:` spec key that models the same PF setting (the simulated PF has no netdev
 * to run `ip` on). The NACK explanations (src/vf/messages/) and the API gate (requirements.ts) speak it; a
 * front end that phrases fixes its own way (the CLI, the daemon) renders `details.remedies` itself.
 */
import { InvalidArgumentError, showValue } from '../errors.js';

/**
 * One way to fix a refusal, independent of the interface that prints it:
 * - `pf-vf`: a per-VF setting on the PF (`ip link set <pf> vf <n> <setting> <value>`);
 * - `pf`: a setting of the PF itself (`ip link set <pf> <setting> <value>`; `up` has no value);
 * - `vf-step`: something the VF side does first (negotiate the API after a reset: at least `atLeast`,
 *   default 1.1, the first API past the one a reset leaves);
 * - `vf-value`: ask for another value (an MTU in range, another xcast mode);
 * - `pf-kernel`: the PF's kernel is too old for the message.
 */
export type Remedy =
  | { readonly kind: 'pf-vf'; readonly setting: 'trust' | 'mac' | 'vlan' | 'query_rss' | 'state'; readonly value: string }
  | { readonly kind: 'pf'; readonly setting: 'mtu' | 'promisc' | 'up'; readonly value?: string }
  | { readonly kind: 'vf-step'; readonly step: 'negotiate-api' | 'reset'; readonly atLeast?: string }
  | { readonly kind: 'vf-value'; readonly what: 'mtu' | 'xcast'; readonly value: string }
  | { readonly kind: 'pf-kernel'; readonly needs: string };

/** Where the fix is applied: a host PF (names known or not) or the simulated PF of `sim:`. */
export type RemedyTarget = { readonly kind: 'host'; readonly pf: string; readonly vf: string } | { readonly kind: 'sim' };

/** sim spec keys modelling the PF settings (src/sim/spec.ts); settings without a key have none. */
const SIM_KEY: Partial<Record<string, (value: string | undefined) => string>> = {
  'pf-vf:trust': (v) => `trust=${v ?? 'on'}`,
  'pf-vf:mac': (v) => `mac=${v ?? ''}`,
  'pf-vf:vlan': (v) => `vlan=${v ?? '0'}`,
  'pf:mtu': (v) => `mtu=${v ?? '9000'}`,
  'pf:up': () => 'pf=up',
  'pf-vf:query_rss': (v) => `rss=${v ?? 'on'}`,
  'pf:promisc': (v) => `promisc=${v ?? 'on'}`,
};

/** One remedy as a short instruction for `target`. */
export function renderRemedy(r: Remedy, target: RemedyTarget): string {
  switch (r.kind) {
    case 'pf-vf':
    case 'pf': {
      if (target.kind === 'sim') {
        const key = SIM_KEY[`${r.kind}:${r.setting}`];
        return key === undefined
          ? `the simulated PF has no setting for ${r.setting}`
          : `open the simulated VF with the PF setting \`${key(r.value)}\` (e.g. \`sim:${key(r.value)}\`)`;
      }
      const cmd =
        r.kind === 'pf-vf'
          ? `ip link set ${target.pf} vf ${target.vf} ${r.setting} ${r.value}`
          : `ip link set ${target.pf} ${r.setting}${r.value === undefined ? '' : ` ${r.value}`}`;
      return `on the host: \`${cmd}\``;
    }
    case 'vf-step':
      return r.step === 'negotiate-api' ? `negotiate the mailbox API after the VF reset (API ≥ ${r.atLeast ?? '1.1'})` : 'reset the VF';
    case 'vf-value':
      return r.what === 'mtu' ? `use an MTU in ${r.value}` : `use xcast mode ${r.value}`;
    case 'pf-kernel':
      return `the PF's kernel (ixgbe) must be newer: ${r.needs}`;
  }
}

/** The hint text: the remedies joined, for `target`. */
export function renderRemedies(remedies: readonly Remedy[], target: RemedyTarget): string {
  if (!Array.isArray(remedies)) throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `renderRemedies needs a list of remedies (an error's details.remedies), got ${showValue(remedies)}`);
  return remedies.map((r) => renderRemedy(r, target)).join('; or ');
}
