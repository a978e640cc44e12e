/**
 * VF_RESET as a message (reference §7.2, `ixgbevf_reset_hw_vf` / `e1000_reset_hw_vf`): exactly 0x00000001,
 * a reply of the family's reset length (ixgbe 4 words, igb 3), decoded into the administrator's MAC (ACK),
 * "no administrator MAC, choose your own" (NACK, not an error), or a reply that is neither (the VF needs
 * another reset). The register side of the reset (CTRL.RST, the RSTI wait) is the facade's (src/vf/vf.ts).
 */
import { MsgFlag } from '../../hw/mailbox.js';
import { ResetReplyWord, VF_RESET_REQUEST_WORD } from '../../hw/messages.js';
import type { FamilyDescriptor } from '../../hw/family.js';
import { withoutCts } from '../../mbx/codec.js';
import { formatMac, macFromWords } from '../mac.js';
import type { ResetResult } from '../types.js';
import { word } from './message.js';

export const VF_RESET_REPLY_ACK = (VF_RESET_REQUEST_WORD | MsgFlag.ACK) >>> 0;
export const VF_RESET_REPLY_NACK = (VF_RESET_REQUEST_WORD | MsgFlag.NACK) >>> 0;

export const vfReset = {
  op: 'VF_RESET',
  encode: (): number[] => [VF_RESET_REQUEST_WORD],
  replyWords: (family: FamilyDescriptor): number => family.resetReplyWords,
  /** The reset result, or null when the status word is neither ACK nor NACK. */
  decode(reply: readonly number[], family: FamilyDescriptor): ResetResult | null {
    const status = withoutCts(word(reply, ResetReplyWord.STATUS));
    let permanentMac: string | null;
    if (status === VF_RESET_REPLY_ACK) permanentMac = formatMac(macFromWords(word(reply, ResetReplyWord.MAC_LO), word(reply, ResetReplyWord.MAC_HI)));
    else if (status === VF_RESET_REPLY_NACK) permanentMac = null;
    else return null;
    const mcFilterType = family.resetReplyWords > ResetReplyWord.MC_FILTER_TYPE ? word(reply, ResetReplyWord.MC_FILTER_TYPE) : 0;
    return { permanentMac, mcFilterType };
  },
} as const;
