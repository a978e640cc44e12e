/**
 * The daemon's Prometheus metrics (prom-client): per VF the mailbox counters (read at scrape time from the
 * VF's MailboxCounters), the PF's ACK/NACK replies by message (seen on the daemon's mailbox trace), PF
 * resets, recoveries and their duration, whether the desired state is applied, the negotiated API; and
 * the process's own RSS, CPU and event-loop lag (prom-client's default metrics; the lag ones from
 * event-loop-lag.ts, which never exports NaN).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { apiName } from '../hw/api.js';
import { MsgFlag } from '../hw/mailbox.js';
import { messageName } from '../hw/messages.js';
import type { MailboxCounters } from '../mbx/counters.js';
import { eventLoopLag, UNUSED_PROM_CLIENT_PRECISION_MS, type EventLoopLag } from './event-loop-lag.js';
import type { DaemonEvent, OwnedState } from './owned-types.js';
import type { OwnedVf } from './owned.js';

const STATES: readonly OwnedState[] = ['starting', 'ready', 'recovering', 'released'];

/** Recovery durations (seconds): from tens of ms (a PF ping) to a PF that stays down for minutes. */
export const RECOVERY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Mailbox statistics exported as counters: metric name → the MailboxCounters field. */
const MAILBOX_COUNTERS: readonly [name: string, help: string, field: keyof MailboxCounters][] = [
  ['ixgbevf_mailbox_messages_sent_total', 'Mailbox messages the VF sent to the PF', 'msgsTx'],
  ['ixgbevf_mailbox_messages_received_total', 'Mailbox messages the VF received from the PF', 'msgsRx'],
  ['ixgbevf_mailbox_acks_total', 'PF acknowledgements (PFACK) of the VF\'s messages', 'acks'],
  ['ixgbevf_mailbox_requests_total', 'PF messages signalled (PFSTS)', 'reqs'],
  ['ixgbevf_mailbox_timeouts_total', 'Mailbox waits that timed out (the PF did not answer in time)', 'timeouts'],
];

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly #replies: Counter<'vf' | 'message' | 'reply'>;
  readonly #pfResets: Counter<'vf'>;
  readonly #recoveryDuration: Histogram<'vf'>;
  /** VFs whose histogram series exists (zeroed or observed). */
  readonly #histogramSeen = new Set<string>();
  readonly #eventLoopLag: EventLoopLag;

  constructor(vfs: () => readonly OwnedVf[]) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: UNUSED_PROM_CLIENT_PRECISION_MS });
    this.#eventLoopLag = eventLoopLag(registry);
    const readCounters = (o: OwnedVf): Readonly<MailboxCounters> | null => {
      try {
        return o.handle.vf.counters;
      } catch {
        return null; // a closed handle
      }
    };
    /** A per-VF series read from each VF at scrape time (`value` null: no sample for that VF). */
    const scraped = (type: 'counter' | 'gauge', name: string, help: string, value: (o: OwnedVf) => number | null): void => {
      const collect = function (this: Counter<'vf'> | Gauge<'vf'>): void {
        this.reset();
        for (const o of vfs()) {
          const v = value(o);
          if (v === null) continue;
          if (this instanceof Counter) this.inc({ vf: o.id }, v);
          else this.set({ vf: o.id }, v);
        }
      };
      const config = { name, help, labelNames: ['vf'] as const, registers: [registry], collect };
      if (type === 'counter') new Counter(config);
      else new Gauge(config);
    };
    for (const [name, help, field] of MAILBOX_COUNTERS) scraped('counter', name, help, (o) => readCounters(o)?.[field] ?? null);
    this.#replies = new Counter({ name: 'ixgbevf_pf_replies_total', help: 'The PF\'s replies by request message and answer (ack: accepted, nack: refused)', labelNames: ['vf', 'message', 'reply'], registers: [registry] });
    const seen = this.#histogramSeen;
    // Every VF has its series from the start (0, empty histogram), so rate() and alerts see them.
    this.#pfResets = new Counter({
      name: 'ixgbevf_pf_resets_total',
      help: 'PF resets the daemon saw (RSTI/RSTD, a PF control message, a lost CTS)',
      labelNames: ['vf'],
      registers: [registry],
      collect() {
        for (const o of vfs()) this.inc({ vf: o.id }, 0);
      },
    });
    this.#recoveryDuration = new Histogram({
      name: 'ixgbevf_recovery_duration_seconds',
      help: 'Time from a PF reset to the desired state re-applied',
      labelNames: ['vf'],
      buckets: RECOVERY_BUCKETS,
      registers: [registry],
      collect() {
        for (const o of vfs()) {
          if (seen.has(o.id)) continue;
          seen.add(o.id);
          this.zero({ vf: o.id }); // once per VF: zero() would drop observations made since
        }
      },
    });
    scraped('counter', 'ixgbevf_recoveries_total', 'Completed recoveries (reset, negotiate, re-apply) after a PF reset', (o) => o.recoveries);
    scraped(
      'gauge',
      'ixgbevf_vf_applied',
      '1 when the VF is up with its whole desired state applied, 0 otherwise (starting, recovering, released, or an item the PF refused)',
      (o) => (o.state === 'ready' && o.lastFailures.length === 0 ? 1 : 0),
    );
    new Gauge({
      name: 'ixgbevf_vf_state',
      help: 'The VF\'s state in the daemon: 1 for the current one',
      labelNames: ['vf', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const o of vfs()) for (const s of STATES) this.set({ vf: o.id, state: s }, o.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ixgbevf_vf_api_info',
      help: 'The mailbox API version negotiated with the PF (label api), value 1',
      labelNames: ['vf', 'api'],
      registers: [registry],
      collect() {
        this.reset();
        for (const o of vfs()) {
          if (o.state === 'released') continue;
          this.set({ vf: o.id, api: apiName(o.handle.vf.api) }, 1);
        }
      },
    });
    scraped('gauge', 'ixgbevf_vf_desired_revision', 'Accepted changes of the VF\'s desired state (the state file\'s revision)', (o) => o.revision);
  }

  /** Every mailbox message of a VF (the daemon's trace hook): a PF reply's ACK/NACK by its message. */
  traced(vf: OwnedVf | null, direction: 'vf-to-pf' | 'pf-to-vf', words: readonly number[]): void {
    if (vf === null || direction !== 'pf-to-vf' || words.length === 0) return;
    const word = words[0]! >>> 0;
    const reply = (word & MsgFlag.ACK) !== 0 ? 'ack' : (word & MsgFlag.NACK) !== 0 ? 'nack' : null;
    if (reply === null) return;
    this.#replies.inc({ vf: vf.id, message: messageName(word, vf.handle.family.kind), reply });
  }

  /** Every daemon event: PF resets, completed recoveries' durations. */
  onEvent(event: DaemonEvent): void {
    if (event.type === 'pf-reset') this.#pfResets.inc({ vf: event.vf });
    if (event.type === 'recovered' && event['initial'] === false && typeof event['inMs'] === 'number') {
      this.#histogramSeen.add(event.vf);
      this.#recoveryDuration.observe({ vf: event.vf }, event['inMs'] / 1000);
    }
  }

  contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops what samples in the background (the event-loop delay histogram). */
  close(): void {
    this.#eventLoopLag.close();
  }
}
