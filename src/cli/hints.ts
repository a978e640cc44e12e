/**
 * Hints phrased for the interface in use. The library and the daemon word a fix for whoever reads them
 * (`reset() then negotiateApi()`, `ip link set <pf> …`); the CLI's rendering layer turns that into a
 * command the user can type here: an `ixgbevf` command instead of a library call, the real PF name
 * instead of `<pf>`, and on the simulated VF the `ixgbevf sim …` action or `sim:` spec key instead of an
 * `ip` command naming a PF interface that does not exist.
 */
import { IxgbevfError } from '../errors.js';
import { shellWord } from '../shell-word.js';
import { checkSimSpec } from '../open/arguments.js';

export interface HintTarget {
  /** The VF as typed (`sim:…`, a PCI address). */
  vf: string;
  kind: 'sim' | 'vfio' | string | null;
  pfName: string | null;
  vfIndex: number | null;
  /** A daemon owns the VF (then `ixgbevf sim …` works on sim). */
  viaDaemon: boolean;
  socket?: string;
  /** That daemon owns other sim VFs too: its `ixgbevf sim …` actions must name this one (`--vf`). */
  severalSimVfs?: boolean;
  /** The user's command line on another VF (direct CLI): a fix that changes the sim spec becomes that command. */
  commandOn?: (vf: string) => string;
}

/** The options an `ixgbevf sim …` fix needs to reach this VF of this daemon: `--vf` when it owns several sim VFs, `--socket` when named. */
function simActionOptions(t: HintTarget): string {
  return `${t.severalSimVfs === true ? ` --vf ${shellWord(t.vf)}` : ''}${t.socket === undefined ? '' : ` --socket ${t.socket}`}`;
}

/** ` --socket PATH` when the user named the daemon's socket: a fix without it would change the VF directly. */
function onSocket(t: HintTarget): string {
  return t.socket === undefined ? '' : ` --socket ${shellWord(t.socket)}`;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rewrites one hint for the CLI. Pure; unknown text passes through. */
export function phraseHint(hint: string, t: HintTarget): string {
  let h = hint;
  // An API too old: the library offers 'negotiate first (API ≥ 1.1)' or 'a newer PF kernel (the API the
  // operation needs)'. The CLI always negotiates the newest API the PF offers, so only the second is a fix
  // here (the first, phrased as a PF with API ≥ 1.1, would fail again for an operation that needs 1.2).
  if (/must be newer: mailbox API \d\.\d/.test(h)) h = h.split('; or ').filter((alt) => !/^negotiate (?:the mailbox )?API\b/.test(alt.trim())).join('; or ');
  // Library calls → the CLI command that does the same (through the daemon at the socket the user named).
  h = h.replace(/\bresetAndNegotiate\(\)|\breset\(\) then negotiateApi\(\)|\bnegotiateApi\(\)/g, `ixgbevf info ${t.vf}${onSocket(t)}`);
  h = h.replace(/read the link from VFLINKS instead \(link\(\)\)|\blink\(\)/g, `ixgbevf link ${t.vf}${onSocket(t)}`);
  h = h.replace(/\buse xcast mode (none|multi|allmulti|promisc)\b/g, (_m, mode: string) => `ixgbevf xcast ${t.vf} ${mode}${onSocket(t)}`);
  h = h.replace(/\bvf\.setXcastMode\('(none|multi|allmulti|promisc)'\)/g, (_m, mode: string) => `ixgbevf xcast ${t.vf} ${mode}${onSocket(t)}`);
  // "Negotiate a newer API": the CLI negotiates the highest the PF offers on every open, so the fix is a
  // PF that offers it (on sim: the api= key).
  h = h.replace(/negotiate (?:the mailbox )?API (?:after the VF reset )?\(?API ≥ (\d\.\d)\)?(?: first)?/g, (_m, v: string) =>
    t.kind === 'sim' ? simApiFix(v, t) : `a PF driver that offers mailbox API ≥ ${v} (the API it agreed to: ixgbevf info ${t.vf}${onSocket(t)})`,
  );
  // An operation the PF's kernel is too old for (src/vf/remedy.ts): on sim the PF's API is the api= key.
  if (t.kind === 'sim') h = h.replace(/the PF's kernel \(ixgbe\) must be newer: mailbox API (\d\.\d)/g, (_m, v: string) => simApiFix(v, t));
  // Placeholders the caller can fill.
  if (t.pfName !== null && t.kind !== 'sim') h = h.replace(/<pf-netdev>|<pf>/g, t.pfName);
  if (t.vfIndex !== null) h = h.replace(/<n>/g, String(t.vfIndex));
  if (t.kind === 'sim') h = simPhrasing(h, t);
  // Directly on sim, a fix that changes the spec ends with the user's own command on the changed spec, so
  // the fix is a command that runs (through a daemon, simPhrasing gave its `ixgbevf sim` action already).
  if (t.kind === 'sim' && !t.viaDaemon && t.commandOn !== undefined) {
    const spec = specOfSimFix(h, t.vf);
    if (spec !== null && spec !== t.vf) h = `${h}: ${t.commandOn(spec)}`;
  }
  return h;
}

/**
 * A simulated PF that offers mailbox API ≥ `v`: the daemon restarted with it, or (direct) the same command
 * on a spec with api=v (without its pfkernel= key when that kernel's PF would not speak v) — the command
 * itself when the CLI knows its command line.
 */
function simApiFix(v: string, t: HintTarget): string {
  if (t.viaDaemon) return daemonSimFix('api', v, t);
  const spec = [simSpecWith(t.vf, 'api', v), simSpecWith(simSpecWithout(t.vf, 'pfkernel'), 'api', v)].find(isValidSimSpec) ?? `sim:api=${v}`;
  return `a simulated PF with API ≥ ${v}: ${t.commandOn === undefined ? `the same command on ${spec}` : t.commandOn(spec)} (or without the api= key)`;
}

/** On `sim` there is no PF interface: the PF's knobs are `ixgbevf sim` actions (daemon) or spec keys. */
function simPhrasing(hint: string, t: HintTarget): string {
  const pf = `(?:${[t.pfName, '<pf-netdev>', '<pf>', 'sim-pf0', 'simpf0'].filter((x): x is string => x !== null).map(esc).join('|')})`;
  const sock = simActionOptions(t);
  const spec = (change: string): string => `${change} the sim spec`;
  const sim = (action: string, key: string): string => (t.viaDaemon ? `ixgbevf sim ${action}${sock}` : spec(`add ${key} to`));
  let h = hint.replace(/ ?\(simulated PF: [^)]*\)/g, '');
  // A remedy rendered for the simulated PF (src/vf/remedy.ts) names a spec key; through a daemon the VF's
  // spec is the daemon's, so the fix is the daemon's `sim` action, or a restart with the key.
  if (t.viaDaemon) {
    h = h.replace(/open the simulated VF with the PF setting `([a-z_]+)=([^`]*)` \(e\.g\. `sim:[^`]*`\)/g, (_m, key: string, value: string) => daemonSimFix(key, value, t));
  }
  h = h.replace(new RegExp(`\`?ip link set ${pf} vf \\S+ trust on\`?`, 'g'), sim('trust-on', 'trust=on'));
  h = h.replace(new RegExp(`\`?ip link set ${pf} vf \\S+ mac (\\S+?)\`?(?=[\\s);,]|$)`, 'g'), (_m, mac: string) => sim(`admin-mac ${mac}`, `mac=${mac}`));
  h = h.replace(new RegExp(`\`?ip link set ${pf} vf \\S+ vlan 0\`?`, 'g'), spec('drop vlan= from'));
  h = h.replace(new RegExp(`\`?ip link set ${pf} mtu (\\d+)\`?`, 'g'), (_m, mtu: string) => (t.viaDaemon ? daemonSimFix('mtu', mtu, t) : spec(`add mtu=${mtu} to`)));
  h = h.replace(new RegExp(`\`?ip link set ${pf} up\`?`, 'g'), t.viaDaemon ? `ixgbevf sim pf-up${sock}` : spec('drop pf=down from'));
  // A PF started silent stays silent: no `ixgbevf sim` action wakes it, the daemon's spec must change.
  if (t.viaDaemon) h = h.replace(/\bdrop pf=silent from the sim spec\b/g, `stop the daemon, then start it without pf=silent: ixgbevf daemon ${simSpecWithout(t.vf, 'pf')}${t.socket === undefined ? '' : ` --socket ${t.socket}`}`);
  h = h.replace(new RegExp(`\`?ip link set ${pf} promisc on\`?`, 'g'), 'a promiscuous PF (not modelled by sim)');
  h = h.replace(new RegExp(`\`?ip (?:-d )?link show ${pf}\`?`, 'g'), t.viaDaemon ? `ixgbevf sim show${sock}` : `ixgbevf info ${t.vf}`);
  h = h.replace(new RegExp(`\`?ip link set ${pf} vf \\S+ state auto\`?`, 'g'), 'the simulated PF never disables link');
  h = h.replace(new RegExp(`;? ?\`?dmesg \\| grep(?: -i)? (?:${pf}|'vf \\d+')\`?(?: gives the PF's reason)?`, 'g'), '');
  return h;
}

function isValidSimSpec(spec: string): boolean {
  try {
    checkSimSpec(spec);
    return true;
  } catch {
    return false;
  }
}

/** The `key=value` items of `vf` (a sim spec) other than `key`'s. */
function simItemsWithout(vf: string, key: string): string[] {
  return vf === 'sim' ? [] : vf.slice('sim:'.length).split(',').filter((item) => item.split('=')[0]!.trim().toLowerCase() !== key);
}

/** `vf` (a sim spec) without `key`. */
function simSpecWithout(vf: string, key: string): string {
  const items = simItemsWithout(vf, key);
  return items.length === 0 ? 'sim' : `sim:${items.join(',')}`;
}

/** `vf` (a sim spec) with `key=value` set: added, or in place of the key's old value. */
function simSpecWith(vf: string, key: string, value: string): string {
  return `sim:${[...simItemsWithout(vf, key), `${key}=${value}`].join(',')}`;
}

/** `vf` (a sim spec) with `key` set to `value` (null: dropped), if that is a valid spec; else null. */
function simSpecChanged(vf: string, key: string, value: string | null): string | null {
  const spec = value === null ? simSpecWithout(vf, key) : simSpecWith(vf, key, value);
  return isValidSimSpec(spec) ? spec : null;
}

/** The sim spec the first change a simulated-PF fix names leads to (`add trust=on to the sim spec`, `drop pf=silent from the sim spec`), or null. */
export function specOfSimFix(hint: string, vf: string): string | null {
  const m = /open the simulated VF with the PF setting `([a-z_]+)=([^`]+)`|\badd ([a-z_]+)=(\S+) to the sim spec|\bdrop ([a-z_]+)=\S* from the sim spec/.exec(hint);
  if (m === null) return null;
  if (m[1] !== undefined) return simSpecChanged(vf, m[1], m[2]!);
  if (m[3] !== undefined) return simSpecChanged(vf, m[3], m[4]!);
  return simSpecChanged(vf, m[5]!, null);
}

/** The fix for a PF setting of a daemon-owned sim VF: its `ixgbevf sim` action, or the daemon restarted with the key. */
function daemonSimFix(key: string, value: string, t: HintTarget): string {
  const sim = simActionOptions(t);
  if (key === 'pf' && value === 'up') return `ixgbevf sim pf-up${sim}`;
  if (key === 'trust' && (value === 'on' || value === 'off')) return `ixgbevf sim trust-${value}${sim}`;
  if (key === 'mac' && value !== '') return `ixgbevf sim admin-mac ${value}${sim}`;
  return `stop the daemon, then start it with the simulated PF's ${key}=${value}: ixgbevf daemon ${simSpecWith(t.vf, key, value)}${t.socket === undefined ? '' : ` --socket ${t.socket}`}`;
}

/** The same error with its hint phrased for the CLI (class, code, message and exit code kept). */
export function withPhrasedHint(err: unknown, t: HintTarget): unknown {
  if (!(err instanceof IxgbevfError) || err.hint === undefined) return err;
  const hint = phraseHint(err.hint, t);
  if (hint === err.hint) return err;
  const copy = Object.create(Object.getPrototypeOf(err) as object) as IxgbevfError;
  Object.assign(copy, err);
  Object.defineProperty(copy, 'message', { value: err.message, enumerable: false, writable: true, configurable: true });
  Object.defineProperty(copy, 'stack', { value: err.stack, enumerable: false, writable: true, configurable: true });
  if (err.cause !== undefined) Object.defineProperty(copy, 'cause', { value: err.cause, enumerable: false, writable: true, configurable: true });
  (copy as { hint: string }).hint = hint;
  return copy;
}
