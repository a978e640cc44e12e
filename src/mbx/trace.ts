/** Trace events for `--verbose`: every mailbox message and every VFMAILBOX write, with direction. */
export type MailboxTraceEvent =
  /** VF → PF: words written to VFMBMEM before ringing REQ. */
  | { readonly kind: 'tx'; readonly words: readonly number[] }
  /** PF → VF: words copied out of VFMBMEM before ACK. */
  | { readonly kind: 'rx'; readonly words: readonly number[] }
  /** A write to the VFMAILBOX control register (lock, REQ, ACK, release). */
  | { readonly kind: 'control'; readonly value: number };

export type MailboxTraceHook = (event: MailboxTraceEvent) => void;

/**
 * The caller's hook, isolated: a hook that throws cannot fail the transaction it watches (the PF may
 * already have applied it), nor crash the process. Its first error becomes a process warning (code
 * IXGBEVF_TRACE_HOOK_FAILED, printed by Node on stderr), later ones of the same hook are dropped.
 */
export function isolatedTraceHook(hook: MailboxTraceHook): MailboxTraceHook {
  let warned = false;
  return (event) => {
    try {
      hook(event);
    } catch (err) {
      if (warned) return;
      warned = true;
      const why = err instanceof Error ? err.message : 'a non-Error value';
      process.emitWarning(`the mailbox onTrace hook threw (${why}); its errors are ignored, the requests go on`, { code: 'IXGBEVF_TRACE_HOOK_FAILED' });
    }
  };
}
