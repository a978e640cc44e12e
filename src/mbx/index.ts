/** The mailbox layer: shadowed control register, ops tables, waits and transactions. */
export { Mailbox, DEFAULT_POLL_INTERVAL_MS } from './mailbox.js';
export type { MailboxOptions, MailboxSession, RequestOptions } from './mailbox.js';
export { legacyOps } from './ops-legacy.js';
export { lockedOps } from './ops-locked.js';
export type { MailboxOps, MailboxPort, MailboxDiscipline, WaitPhase } from './ops.js';
export { MailboxControl, MailboxMemory } from './shadow.js';
export { waitUntil } from './wait.js';
export type { WaitOptions } from './wait.js';
export { AsyncMutex } from './mutex.js';
export { createCounters, type MailboxCounters } from './counters.js';
export type { MailboxTraceEvent, MailboxTraceHook } from './trace.js';
export * from './codec.js';
