/**
 * The vocabulary of a daemon-owned VF, shared by the daemon's parts and the CLI: the VF's life states,
 * the events it streams to watchers (`DaemonEvent`), what the daemon gives each owned VF (`OwnedContext`),
 * and one accepted desired state with its number (`Revision`). Types only.
 */
import type { IxgbevfError } from '../errors.js';
import type { Logger } from './log.js';
import type { DesiredState } from './state.js';

export type OwnedState = 'starting' | 'ready' | 'recovering' | 'released';

export interface DaemonEvent {
  type: 'pf-message' | 'pf-reset' | 'link' | 'recovering' | 'waiting-for-pf' | 'recovered' | 'recovery-failed' | 'released' | 'reapply-failed';
  vf: string;
  time: string;
  [key: string]: unknown;
}

export interface OwnedContext {
  logger: Logger;
  emit(event: DaemonEvent): void;
  /** Persists the desired state durably (null without --state-dir). Called one at a time per VF. */
  save: ((vf: string, desired: DesiredState, revision: number) => Promise<void>) | null;
  /** Fallback re-check while waiting for the PF, doubling from min to max (the PF's signal comes first). */
  retryMinMs: number;
  retryMaxMs: number;
  /** Interrupt mode: the mailbox interrupt is armed while waiting for the PF (false: the poll loop wakes us). */
  interrupts: boolean;
  /** How long a request waits for a running recovery before it fails. */
  requestWaitMs: number;
}

/** One accepted desired state and its number. */
export interface Revision {
  revision: number;
  desired: DesiredState;
}

/** What a client's request came to: its value, the PF's reply words, and for a change its durability. */
export interface ChangeOutcome<T> {
  value: T;
  replies: number[];
  /** This state, or a later one, is durable in the state dir. */
  persisted: boolean;
  /** Why not, when a state dir was given and its save failed (null otherwise). */
  saveError: IxgbevfError | null;
  /** The accepted state and its number (null for a request that changes nothing). */
  accepted: Revision | null;
}
