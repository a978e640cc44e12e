/**
 * The `sim` op: admin actions on a simulated PF (what `ip link set <pf> …` does on a host), for tests and
 * demos. Only for `sim` VFs; a real VF gets ERR_NOT_SIM.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Logger } from './log.js';
import type { OwnedVf } from './owned.js';
import type { Request } from './protocol.js';

export async function simAction(o: OwnedVf, req: Extract<Request, { op: 'sim' }>, logger: Logger): Promise<unknown> {
  const sim = o.handle.kind === 'sim' ? o.handle.sim : undefined;
  if (sim === undefined) {
    throw new InvalidArgumentError('ERR_NOT_SIM', `${o.id} is not a simulated VF: sim actions act on the simulated PF only`, {
      hint: `on hardware use ip link set ${o.handle.pfName ?? '<pf>'} ...`,
    });
  }
  logger.log('info', 'sim-action', { vf: o.id, action: req.action, mac: req.mac ?? undefined });
  switch (req.action) {
    case 'pf-down':
      await sim.interfaceDown();
      break;
    case 'pf-up':
      await sim.interfaceUp();
      break;
    case 'pf-reset':
      sim.interfaceDown();
      await sim.interfaceUp();
      break;
    case 'trust-on':
    case 'trust-off':
      await sim.setTrust(req.action === 'trust-on');
      break;
    case 'admin-mac':
      await sim.setAdminMac(req.mac ?? null);
      break;
    case 'show':
      break;
  }
  const view = Object.fromEntries(Object.entries(sim.vfInfo()).map(([k, v]) => [k, v instanceof Set ? [...(v as Set<unknown>)] : v]));
  return { vf: o.id, action: req.action, pf: view };
}
