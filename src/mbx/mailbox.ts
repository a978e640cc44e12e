/**
 * The mailbox: transactions on top of an ops table — one at a time (an async mutex, reference §7.1),
 * reply matching by message ID with the PF's unsolicited words handled per §11.2, Linux-style counters,
 * and the "needs reset" state after a loss of clear-to-send (and, on igb only, after a timeout: the
 * family's MailboxPolicy, src/hw/family.ts).
 */
import { MailboxTimeoutError } from '../errors.js';
import type { MailboxPolicy } from '../hw/family.js';
import { IXGBEVF_MAILBOX_POLICY } from '../hw/ixgbevf.js';
import { MAILBOX_WORDS, MBX_IRQ_FALLBACK_POLL_MS, MBX_POLL_DELAY_US, MBX_TIMEOUT_MS, MbxBit, PF_REPLY_GRACE_AFTER_PING_MS, VF_RESET_RSTI_MAX_POLL_MS } from '../hw/mailbox.js';
import { VF_RESET_REQUEST_WORD } from '../hw/messages.js';
import { noIrqs, reusableTimerOf, systemClock, type Clock, type IrqSource, type ReusableTimer } from '../io.js';
import type { MailboxCounters } from './counters.js';
import { classifyWord, hex32, isReplyWord } from './codec.js';
import { describeLoss, mailboxClosed, needsResetFirst, notClearToSend, pfResetDuringVfReset, pfResetDuringWait, pfTimeout, unsolicitedFlood } from './failures.js';
import { createCounters } from './counters.js';
import { AsyncMutex } from './mutex.js';
import { legacyOps } from './ops-legacy.js';
import type { MailboxDiscipline, MailboxOps, MailboxPort, WaitPhase } from './ops.js';
import { MailboxControl, MailboxMemory } from './shadow.js';
import type { MailboxOptions, MailboxSession, RequestOptions } from './session.js';
import { isolatedTraceHook } from './trace.js';
import { waitUntil, type WaitOptions } from './wait.js';

/** Default poll interval between checks in poll mode (`noIrqs`): Linux's 500 µs (see wait.ts). */
export const DEFAULT_POLL_INTERVAL_MS = MBX_POLL_DELAY_US / 1000;
/** Default fallback timer in interrupt mode (a real IrqSource): the interrupt wakes waits (src/hw/mailbox.ts). */
export const DEFAULT_IRQ_POLL_INTERVAL_MS = MBX_IRQ_FALLBACK_POLL_MS;
/**
 * Unsolicited words (pings with CTS, stray words) one transaction attempt skips while waiting for its
 * reply. Each one is ACKed; a PF that keeps answering must not keep a request alive forever.
 */
export const MAX_UNSOLICITED_PER_REQUEST = 16;

/**
 * VF_RESET is sent again at once when a ping with CTS is read in place of its reply (the ping
 * overwrote the reply), at most this many times per reset.
 */
export const MAX_RESET_RESENDS = 3;

export type { MailboxOptions, MailboxSession, RequestOptions } from './session.js';

export class Mailbox {
  readonly #control: MailboxControl;
  readonly #memory: MailboxMemory;
  readonly #counters: MailboxCounters = createCounters();
  readonly #clock: Clock;
  readonly #irqs: IrqSource;
  readonly #pollIntervalMs: number;
  /** Timer-only waits (the lock, session waits): no interrupt ends them, so the poll-mode interval. */
  readonly #timerPollIntervalMs: number;
  readonly #mutex = new AsyncMutex();
  readonly #opts: MailboxOptions;
  readonly #port: MailboxPort;
  readonly #unsubscribe: () => void;
  #timeoutMs: number;
  #ops: MailboxOps = legacyOps;
  #needsReset = false;
  readonly #policy: MailboxPolicy;
  /**
   * The transaction running now, which decides how its waits end and wake (#waitFor): `request` (any
   * message but VF_RESET) is cut short when the PF resets (RSTI/RSTD) and waits on the interrupt;
   * `vf-reset` ends when the PF begins a reset (RSTI) and polls on the timer, because the VF reset has
   * masked the VF's interrupts. null: none (a read of a PF message outside a transaction).
   */
  #running: 'request' | 'vf-reset' | null = null;
  /** The two ways a wait runs (built once: a set-MAC waits several times). */
  readonly #waitOnInterrupts: WaitOptions;
  readonly #waitOnTimer: WaitOptions;
  /** The round timer of every wait of this mailbox (they never overlap: the mutex); disposed by close(). */
  readonly #roundTimer: ReusableTimer;
  /** close() ran: queued requests fail with ERR_CLOSED when their turn comes, running waits at their next check. */
  #closed = false;

  constructor(opts: MailboxOptions) {
    this.#opts = opts;
    this.#policy = opts.family.mailboxPolicy ?? IXGBEVF_MAILBOX_POLICY;
    this.#clock = opts.clock ?? systemClock;
    this.#irqs = opts.irqs ?? noIrqs;
    this.#timeoutMs = positive(opts.timeoutMs, MBX_TIMEOUT_MS, 'timeoutMs');
    const interruptMode = this.#irqs !== noIrqs;
    this.#pollIntervalMs = positive(opts.pollIntervalMs, interruptMode ? DEFAULT_IRQ_POLL_INTERVAL_MS : DEFAULT_POLL_INTERVAL_MS, 'pollIntervalMs');
    this.#timerPollIntervalMs = positive(opts.pollIntervalMs, DEFAULT_POLL_INTERVAL_MS, 'pollIntervalMs');
    const trace = opts.onTrace === undefined ? undefined : isolatedTraceHook(opts.onTrace);
    this.#control = new MailboxControl(opts.regs, opts.family.regs.mailbox, trace);
    this.#memory = new MailboxMemory(opts.regs, opts.family.regs.mailboxMemory, MAILBOX_WORDS);
    this.#unsubscribe = this.#irqs.on(() => {
      this.#counters.interrupts += 1;
    });
    const onWakeup = (byInterrupt: boolean): void => {
      if (byInterrupt) this.#counters.irqWakeups += 1;
      else this.#counters.timerWakeups += 1;
    };
    this.#roundTimer = reusableTimerOf(this.#clock);
    const timer = this.#roundTimer.after;
    this.#waitOnInterrupts = { clock: this.#clock, irqs: this.#irqs, pollIntervalMs: this.#pollIntervalMs, timer, onWakeup };
    this.#waitOnTimer = { clock: this.#clock, irqs: noIrqs, pollIntervalMs: this.#timerPollIntervalMs, timer, onWakeup };
    const self = this;
    this.#port = {
      control: this.#control,
      memory: this.#memory,
      counters: this.#counters,
      trace,
      now: () => this.#clock.now(),
      get timeoutMs() {
        return self.#timeoutMs;
      },
      poll: (check, phase, deadline) => this.#poll(check, phase, deadline),
    };
  }

  get counters(): Readonly<MailboxCounters> {
    return { ...this.#counters };
  }

  get needsReset(): boolean {
    return this.#needsReset;
  }

  /** A transaction is running (or queued). */
  get busy(): boolean {
    return this.#mutex.locked || this.#mutex.waiting > 0;
  }

  get ops(): MailboxOps {
    return this.#ops;
  }

  get discipline(): MailboxDiscipline {
    return this.#ops.name;
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Timer interval between checks while waiting (in interrupt mode: the fallback), ms. */
  get pollIntervalMs(): number {
    return this.#pollIntervalMs;
  }

  set timeoutMs(ms: number) {
    this.#timeoutMs = positive(ms, MBX_TIMEOUT_MS, 'timeoutMs');
  }

  /** Read-to-clear bits seen but not consumed (for diagnostics and tests). */
  get shadow(): number {
    return this.#control.shadow;
  }

  /** Installs an ops table (legacy after every reset; locked only per reference §4.6). */
  setOps(ops: MailboxOps): void {
    this.#ops = ops;
  }

  /** PFSTS shows (register or shadow). Consumes nothing. */
  hasPfMessage(): boolean {
    return this.#control.test(MbxBit.PFSTS);
  }

  /** PFACK shows. Consumes nothing. */
  hasPfAck(): boolean {
    return this.#control.test(MbxBit.PFACK);
  }

  /** RSTI or RSTD shows. Consumes nothing. */
  hasPfReset(): boolean {
    return this.#control.test(MbxBit.RSTI | MbxBit.RSTD);
  }

  /** The transaction policy in use (the family's). */
  get policy(): MailboxPolicy {
    return this.#policy;
  }

  /** Enters "needs reset": every later request except VF_RESET fails fast until clearNeedsReset(). */
  requireReset(reason: string, notify = true): void {
    this.#needsReset = true;
    if (notify) this.#opts.onResetRequired?.(reason);
  }

  /** Called by the VF reset once the VF is about to send VF_RESET. */
  clearNeedsReset(): void {
    this.#needsReset = false;
  }

  /** Runs `fn` holding the mailbox: nothing else touches it until `fn` settles. */
  exclusive<T>(fn: (session: MailboxSession) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      if (this.#closed) throw mailboxClosed();
      let open = true;
      const live = (): void => {
        if (!open) throw new Error('mailbox session used after its exclusive() callback returned');
      };
      const mailbox = this;
      const session: MailboxSession = {
        get ops() {
          return mailbox.#ops;
        },
        writeMsgReadAck: (words, replyWords, opts) => {
          live();
          return this.#transact(words, replyWords, opts ?? {});
        },
        readPending: (count = 1) => {
          live();
          return this.#readPending(count);
        },
        checkForRst: () => {
          live();
          return this.#ops.checkForRst(this.#port);
        },
        readStatus: () => {
          live();
          return this.#control.read();
        },
        waitUntil: (check, budgetMs) => {
          live();
          return waitUntil(this.#whileOpen(check), this.#clock.now() + budgetMs, {
            clock: this.#clock,
            irqs: noIrqs,
            pollIntervalMs: this.#timerPollIntervalMs,
            maxPollIntervalMs: Math.max(this.#timerPollIntervalMs, VF_RESET_RSTI_MAX_POLL_MS),
            timer: this.#roundTimer.after,
          });
        },
      };
      try {
        return await fn(session);
      } finally {
        open = false;
      }
    });
  }

  /**
   * One request/reply transaction: write (message, REQ), then posted read until the reply with the
   * request's message ID arrives, all within the timeout. As current ixgbevf (ixgbevf_write_msg_read_ack:
   * ixgbevf_write_mbx, then ixgbevf_poll_mbx) the legacy write does not wait for PFACK; igb's policy does
   * (igbvf's write_posted), and the locked discipline always does (the sender holds VFU until PFACK).
   *
   * While waiting (§11.2): a PF ping with CTS (0x20000100) is reported and skipped; a ping without CTS
   * (0x00000100), the bare NACK 0x40000000, or a matching reply without CTS → ResetRequiredError and
   * "needs reset". For VF_RESET itself (the only request the PF takes without CTS, whose reply never
   * carries CTS) those are skipped too. A PF reset (RSTI/RSTD) during a wait aborts with
   * ResetRequiredError. A timeout → MailboxTimeoutError for this call; the next request is sent
   * normally (current ixgbevf), except on igb, where it also means "needs reset" (igbvf zeroes its
   * mailbox timeout). When a ping with CTS was read in place of the reply, the ping probably overwrote
   * the reply in the shared buffer: the request is sent again once, after a short grace when the PF had
   * already taken it (PFACK; PF_REPLY_GRACE_AFTER_PING_MS), else once the budget runs out. For
   * VF_RESET a ping with CTS read in place of the reply makes it re-send at once (at most
   * MAX_RESET_RESENDS times): the PF took the reset and its ping overwrote the reply.
   */
  writeMsgReadAck(words: readonly number[], replyWords: number, opts: RequestOptions = {}): Promise<number[]> {
    return this.exclusive((session) => session.writeMsgReadAck(words, replyWords, opts));
  }

  /** Reads one pending PF message under the mutex (see MailboxSession.readPending). */
  readPending(count = 1): Promise<number[] | null> {
    return this.exclusive((session) => session.readPending(count));
  }

  /**
   * Stops counting interrupts and clears the wait timer. Does not touch the device. A request still
   * queued fails with ERR_CLOSED when its turn comes; one waiting for the PF, at its next check.
   */
  close(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#roundTimer.dispose();
  }

  /** `check`, failing with ERR_CLOSED once close() ran (a wait of a closed mailbox ends at its next round). */
  #whileOpen(check: () => boolean): () => boolean {
    return () => {
      if (this.#closed) throw mailboxClosed();
      return check();
    };
  }

  async #transact(words: readonly number[], replyWords: number, opts: RequestOptions): Promise<number[]> {
    if (words.length === 0 || words.length > MAILBOX_WORDS) {
      throw new RangeError(`a mailbox message has 1..${MAILBOX_WORDS} words, got ${words.length}`);
    }
    const word0 = words[0]! >>> 0;
    if (isReplyWord(word0)) throw new RangeError(`request word 0 ${hex32(word0)} carries ACK/NACK; the PF would ignore it (§5.1)`);
    const isReset = word0 === VF_RESET_REQUEST_WORD;
    if (this.#needsReset && !isReset) {
      throw needsResetFirst(word0);
    }
    const count = Math.max(1, Math.min(replyWords, MAILBOX_WORDS));
    this.#running = isReset ? 'vf-reset' : 'request';
    try {
      if (!isReset) {
        // A PF message waiting now would be overwritten by our request (Linux flushes it unseen).
        await this.#readPending(1);
      }
      for (let attempt = 0; ; attempt += 1) {
        const writeDeadline = this.#clock.now() + this.#timeoutMs;
        if (this.#policy.writeWaitsForPfAck) await this.#ops.writePosted(this.#port, words, writeDeadline);
        else await this.#ops.write(this.#port, words, writeDeadline);
        if (opts.replyDelayMs !== undefined && opts.replyDelayMs > 0) await this.#clock.sleep(opts.replyDelayMs);
        const deadline = this.#clock.now() + this.#timeoutMs;
        let sawPing = false;
        let resend = false;
        let skipped = 0;
        try {
          for (;;) {
            const reply = await this.#ops.readPosted(this.#port, count, deadline);
            const w0 = reply[0]! >>> 0;
            const kind = classifyWord(w0, word0);
            if (kind.kind === 'reply') {
              if (!kind.cts && !isReset) {
                this.requireReset(`the PF answered ${hex32(w0)} without clear-to-send`);
                throw notClearToSend(word0, w0);
              }
              return reply;
            }
            this.#opts.onUnsolicited?.(w0);
            // The bare NACK is the PF's answer to an ACK of ours while it does not consider us
            // clear-to-send (rcv_ack, §6.2). During VF_RESET it means the PF dropped CTS again after
            // taking our reset (or never took it): our reply is gone, and ACKing this word would only
            // draw the next bare NACK — an ACK/NACK ping-pong until the deadline (forever on a clock
            // that does not move while interrupts keep waking us). The reset must be redone.
            if (kind.kind === 'bare-nack' || (!isReset && kind.kind === 'control' && !kind.cts)) {
              this.requireReset(describeLoss(w0), !isReset);
              throw notClearToSend(word0, w0);
            }
            skipped += 1;
            if (skipped > MAX_UNSOLICITED_PER_REQUEST) {
              this.requireReset(`the PF sent ${skipped} unsolicited words in place of the reply to ${hex32(word0)}`);
              throw unsolicitedFlood(word0, w0, skipped);
            }
            if (isReset) {
              // A ping WITH CTS in place of the VF_RESET reply: the PF grants CTS only by taking a VF_RESET
              // (ixgbe_vf_reset_msg sets clear_to_send; a PF reset or link-state change clears it), so it
              // took ours, and this ping — e.g. the link-up ping, ixgbe_watchdog_link_is_up →
              // ixgbe_ping_all_vfs — was written after the reply and overwrote it (ixgbe_write_mbx_pf
              // does not wait for us to read the buffer; PFSTS just stays set). (Had CTS survived from
              // before, the ping overwrote our request before the PF read it: its write flushes a pending
              // VFREQ.) Either way no reply will come: send
              // VF_RESET again now instead of waiting out the 1 s budget. The kernel's VF takes whatever
              // word ixgbevf_poll_mbx returns (ixgbevf_reset_hw_vf → IXGBE_ERR_INVALID_MAC_ADDR, and
              // ixgbevf_reset() carries on without the MAC); we ask again so the answer is not lost.
              // A ping without CTS is ACKed and skipped: a PF not granting CTS answers that ACK with the
              // bare NACK, which ends the reset above.
              if (kind.kind === 'control' && kind.cts && attempt < MAX_RESET_RESENDS) {
                resend = true;
                break;
              }
              continue;
            }
            // A ping with CTS, or a stray word: keep waiting for our reply within the same deadline.
            if (kind.kind !== 'control') continue;
            sawPing = true;
            // The PF took the request (PFACK) and pinged: its reply either overwrote nothing yet and follows
            // at once, or the ping overwrote it (ixgbe_write_mbx_pf does not wait for us to read). Wait a
            // short grace for it, not the whole budget, then send again (PF_REPLY_GRACE_AFTER_PING_MS says
            // why a reply that was only late answers the re-sent request correctly).
            if (kind.cts && attempt === 0 && this.#pfTookRequest()) {
              const graceEnd = Math.min(deadline, this.#clock.now() + PF_REPLY_GRACE_AFTER_PING_MS);
              if (!(await this.#waitFor(() => this.#control.test(MbxBit.PFSTS), 'pf-message', graceEnd))) {
                resend = true;
                break;
              }
            }
          }
          if (resend) continue;
        } catch (err) {
          // The PF writes pings without waiting for us: one written right after our reply overwrites
          // it in the shared buffer (§6.6, §11.4 #8). Then no reply ever comes: send the request once
          // more (every request we send is idempotent at the PF).
          if (err instanceof MailboxTimeoutError && sawPing && attempt === 0 && !isReset) continue;
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof MailboxTimeoutError && this.#policy.timeoutIsSticky) this.#needsReset = true;
      throw err;
    } finally {
      this.#running = null;
    }
  }

  async #readPending(count: number): Promise<number[] | null> {
    if (!this.#ops.checkForMsg(this.#port)) return null;
    const reply = await this.#ops.read(this.#port, count, this.#clock.now() + this.#timeoutMs);
    const w0 = reply[0]! >>> 0;
    const kind = classifyWord(w0);
    this.#opts.onUnsolicited?.(w0);
    if ((kind.kind === 'control' && !kind.cts) || kind.kind === 'bare-nack') {
      // The bare NACK is the PF's answer to our ACK of a message while not CTS: already reported.
      const alreadyKnown = kind.kind === 'bare-nack' && this.#needsReset;
      this.requireReset(describeLoss(w0), !alreadyKnown);
      if (this.#running === 'request') throw notClearToSend(undefined, w0);
    }
    return reply;
  }

  async #poll(check: () => boolean, phase: WaitPhase, deadline: number): Promise<void> {
    if (await this.#waitFor(check, phase, deadline)) return;
    this.#counters.timeouts += 1;
    throw pfTimeout(phase, this.#timeoutMs, this.#policy.timeoutIsSticky);
  }

  /** Waits until `check()` holds (true) or `deadline` passes (false). */
  #waitFor(check: () => boolean, phase: WaitPhase, deadline: number): Promise<boolean> {
    // A request is cut short by a PF reset (RSTI/RSTD), VF_RESET by the start of one (RSTI): the check is wrapped.
    const running = this.#running;
    const guarded = this.#whileOpen(running === 'request' ? this.#resetGuarded(check, phase) : running === 'vf-reset' ? this.#pfResetStartGuarded(check, phase) : check);
    // No interrupt announces that the PF dropped PFU, and the VF reset masks the VF's interrupts until
    // its reply is in: those waits poll at the poll-mode interval, not the interrupt-mode fallback.
    const byTimer = phase === 'lock' || running === 'vf-reset';
    return waitUntil(guarded, deadline, byTimer ? this.#waitOnTimer : this.#waitOnInterrupts);
  }

  /**
   * The PF has taken the request being answered: the write waited for PFACK (igb's write_posted, the
   * locked discipline), or PFACK has shown since the legacy write consumed the stale one.
   */
  #pfTookRequest(): boolean {
    return this.#policy.writeWaitsForPfAck || this.#ops.writeAwaitsPfAck || (this.#control.shadow & MbxBit.PFACK) !== 0;
  }

  /**
   * VF_RESET's waits end when RSTI shows: the reset sequence sent it only once RSTI was clear, so the PF
   * has begun a reset since and dropped the message (igb_down → igb_reset, right after the going-down
   * ping the VF reacts to). RSTD is not looked at: the VF's own CTRL.RST may still leave it to be seen.
   */
  #pfResetStartGuarded(check: () => boolean, phase: WaitPhase): () => boolean {
    return () => {
      if (phase !== 'lock' && this.#control.test(MbxBit.RSTI)) {
        this.requireReset('the PF began a reset during VF_RESET', false);
        throw pfResetDuringVfReset(phase);
      }
      return check();
    };
  }

  #resetGuarded(check: () => boolean, phase: WaitPhase): () => boolean {
    return () => {
      if (this.#ops.checkForRst(this.#port)) {
        this.requireReset('the PF was reset (RSTI/RSTD) during a request');
        throw pfResetDuringWait(phase);
      }
      return check();
    };
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of ms, got ${value}`);
  return value;
}
