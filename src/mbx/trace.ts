/** Trace events for `--verbose`: every mailbox message and every VFMAILBOX write, with direction. */
export type MailboxTraceEvent =
  /** VF → PF: words written to VFMBMEM before ringing REQ. */
  | { readonly kind: 'tx'; readonly words: readonly number[] }
  /** PF → VF: words copied out of VFMBMEM before ACK. */
  | { readonly kind: 'rx'; readonly words: readonly number[] }
  /** A write to the VFMAILBOX control register (lock, REQ, ACK, release). */
  | { readonly kind: 'control'; readonly value: number };

export type MailboxTraceHook = (event: MailboxTraceEvent) => void;
