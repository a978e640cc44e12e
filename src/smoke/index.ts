/** `ixgbevf smoke`: the hardware smoke test as data (engine, PF side, report formatting). */
export { runSmoke, SMOKE_CHECKS } from './engine.js';
export { ipPfSide, simPfSide, defaultIpExec, normalizeViewMac, type PfSide, type PfVfView, type IpExec, type IpPfSideOptions } from './pf-side.js';
export { formatSmokeReport, formatCheckLine, summaryLine } from './report.js';
export { PendingRestores, type PendingRestore } from './restores.js';
export type { SmokeCheck, SmokeGroup, SmokeHost, SmokeOptions, SmokeReport, SmokeStatus, SmokeSummary } from './types.js';
