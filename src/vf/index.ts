/**
 * The VF protocol layer's public face: `Vf` (the facade over the mailbox), the bring-up every path uses,
 * the message table, the gates, and the MAC / multicast / link helpers.
 */
export { Vf } from './vf.js';
export { resetAndNegotiate, bringUpAsksQueues, type BringUpResult } from './bring-up.js';
export type { VfOptions, PfEventCheck } from './vf.js';
export * from './types.js';
export { parseMac, parseUnicastMac, parseMulticastMac, formatMac, macToWords, macFromWords, isMulticastMac, isZeroMac } from './mac.js';
export { multicastHash, packHashes, unpackHashes } from './multicast.js';
export { decodeLinkRegister, decodePfLinkState } from './link.js';
export { Requirements, requireSupported } from './requirements.js';
export { MESSAGES, type MessageSpec, type NackKind } from './messages/index.js';
