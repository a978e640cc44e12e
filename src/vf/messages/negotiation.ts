/**
 * The negotiation messages (reference §5.3, §4.6): API_NEGOTIATE (`ixgbevf_negotiate_api_version_vf`, a
 * NACK only means "not this version") and FEATURES_NEGOTIATE (`ixgbevf_negotiate_features_vf`, API 1.7),
 * and what ixgbevf assumes from the API alone (`ixgbevf_negotiate_api`: 1.4 IPsec, 1.5 ESX_MBX).
 */
import { ApiVersion } from '../../hw/api.js';
import { MsgId, PfFeature } from '../../hw/messages.js';
import { hasAck, hasNack, requestWord } from '../../mbx/codec.js';
import { IXGBE, defineMessage, req, word } from './message.js';

/** IXGBEVF_SUPPORTED_FEATURES: what ixgbevf offers in FEATURES_NEGOTIATE (we never use IPsec; the PF only masks it). */
export const IXGBEVF_SUPPORTED_FEATURES = PfFeature.IPSEC | PfFeature.ESX_MBX;

/** API_NEGOTIATE: word 1 the version; ACK = agreed, NACK = try the next one (not an error). */
export const apiNegotiate = defineMessage({
  op: 'API_NEGOTIATE',
  requirement: req(MsgId.API_NEGOTIATE, 'API_NEGOTIATE', ApiVersion.V1_0, IXGBE),
  encode: ({ api }: { readonly api: ApiVersion }) => [requestWord(MsgId.API_NEGOTIATE), api, 0],
  replyWords: 3,
  nackIsAnswer: true,
  decode: (reply): boolean => hasAck(word(reply, 0)) && !hasNack(word(reply, 0)),
});

/** FEATURES_NEGOTIATE (API 1.7): word 1 the features offered; the reply's word 1 those agreed. */
export const featuresNegotiate = defineMessage({
  op: 'FEATURES_NEGOTIATE',
  requirement: req(MsgId.FEATURES_NEGOTIATE, 'FEATURES_NEGOTIATE', ApiVersion.V1_7, IXGBE),
  encode: ({ features }: { readonly features: number }) => [requestWord(MsgId.FEATURES_NEGOTIATE), features >>> 0],
  replyWords: 2,
  decode: (reply): number => word(reply, 1),
});

/** The features ixgbevf assumes when the PF agreed to `api` without FEATURES_NEGOTIATE. */
export function featuresImpliedBy(api: ApiVersion): number {
  return api === ApiVersion.V1_4 ? PfFeature.IPSEC : api === ApiVersion.V1_5 ? PfFeature.ESX_MBX : 0;
}

/** The locked discipline is ixgbevf's only for API 1.5, or 1.7 with ESX_MBX agreed (ixgbevf_negotiate_api). */
export function usesLockedMailbox(api: ApiVersion, features: number): boolean {
  return api === ApiVersion.V1_5 || (api === ApiVersion.V1_7 && (features & PfFeature.ESX_MBX) !== 0);
}
