/**
 * The desired state a VF starts with when the daemon takes it: the state file's (under `--state-dir`),
 * or empty when there is none or it was set aside as corrupt or untrusted (logged as an error, the file
 * kept for inspection), then overlaid with what `--config` sets for this VF. A state file that cannot be
 * read at all releases the VF and fails the start with ERR_STATE_READ.
 */
import { EnvironmentError } from '../errors.js';
import type { VfHandle } from '../open/types.js';
import { overlayConfigured, type ConfiguredState } from './config.js';
import type { Logger } from './log.js';
import { emptyState, type DesiredState, type StateProblem, type StateStore } from './state.js';

export interface InitialState {
  desired: DesiredState;
  /** The state file set aside (corrupt or untrusted), or null. */
  problem: StateProblem | null;
  /** The loaded file's revision (0 without one). */
  revision: number;
}

export async function initialState(handle: VfHandle, store: StateStore | null, configured: ConfiguredState | undefined, logger: Logger): Promise<InitialState> {
  let desired = emptyState();
  let problem: StateProblem | null = null;
  let revision = 0;
  if (store !== null) {
    try {
      const loaded = await store.load(handle.id);
      problem = loaded.problem;
      revision = loaded.revision;
      if (loaded.desired !== null) {
        desired = loaded.desired;
        logger.log('info', 'state-loaded', { vf: handle.id, file: store.fileFor(handle.id), desired });
      }
      if (problem !== null) {
        logger.log('error', problem.kind === 'corrupt' ? 'state-corrupt' : 'state-untrusted', {
          vf: handle.id,
          file: problem.file,
          keptAs: problem.keptAs ?? undefined,
          reason: problem.reason,
          note: 'starting with an empty desired state; the file is kept for inspection',
        });
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw new EnvironmentError('ERR_STATE_READ', `cannot read ${store.fileFor(handle.id)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
        hint: `ls -l ${store.fileFor(handle.id)}`,
        cause: err,
      });
    }
  }
  if (configured !== undefined && Object.keys(configured).length > 0) {
    desired = overlayConfigured(desired, configured);
    logger.log('info', 'config-applied', { vf: handle.id, fields: Object.keys(configured).join(','), desired });
  }
  return { desired, problem, revision };
}
