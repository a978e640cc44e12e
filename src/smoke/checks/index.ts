/**
 * Every smoke check, one module per group, and `SMOKE_CHECKS`: the table in the order it is printed. The
 * order the checks run in is the engine's (src/smoke/engine.ts): api.coverage, for one, is printed with
 * the API group but runs last, from every word the run sent.
 */
import type { CheckInfo } from '../table.js';
import { configChecks } from './config.js';
import { environmentChecks } from './environment.js';
import { pfChangeChecks } from './pf-changes.js';
import { pfResetCheck } from './pf-reset.js';
import { queryChecks } from './queries.js';
import { notePendingMac, releaseDriver, releaseRestore, releaseViewCheck } from './release.js';
import { apiCoverage, apiVersion, resetAnswer, resetMac } from './reset-api.js';

export { configChecks, environmentChecks, notePendingMac, pfChangeChecks, pfResetCheck, queryChecks, releaseDriver, releaseRestore, releaseViewCheck, apiCoverage, apiVersion, resetAnswer, resetMac };

/** Every check, in table order. */
export const SMOKE_CHECKS: readonly CheckInfo[] = [
  ...environmentChecks,
  resetAnswer,
  resetMac,
  apiVersion,
  apiCoverage,
  ...queryChecks,
  ...configChecks,
  ...pfChangeChecks,
  pfResetCheck,
  releaseRestore,
  releaseViewCheck,
  releaseDriver,
].map(({ id, group, title }) => ({ id, group, title }));
