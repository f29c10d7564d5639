// Names of LINKTYPE_* values (tcpdump.org/linktypes.html) for reports, and which ones decodeFrame
// understands. A capture of another link type is still read and counted; its frames decode to L3.NONE
// with a LINKTYPE_UNSUPPORTED event.

import { LinkType } from '../capture/types.js';

const NAMES = new Map<number, string>([
  [0, 'NULL'],
  [1, 'ETHERNET'],
  [6, 'IEEE802_5'],
  [8, 'SLIP'],
  [9, 'PPP'],
  [10, 'FDDI'],
  [12, 'RAW'],
  [14, 'RAW'],
  [50, 'PPP_HDLC'],
  [51, 'PPP_ETHER'],
  [101, 'RAW'],
  [104, 'C_HDLC'],
  [105, 'IEEE802_11'],
  [108, 'LOOP'],
  [113, 'LINUX_SLL'],
  [119, 'IEEE802_11_PRISM'],
  [127, 'IEEE802_11_RADIOTAP'],
  [147, 'USER0'],
  [195, 'IEEE802_15_4_WITHFCS'],
  [220, 'USB_LINUX_MMAPPED'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [230, 'IEEE802_15_4_NOFCS'],
  [239, 'NFLOG'],
  [249, 'USBPCAP'],
  [274, 'ETHERNET_MPACKET'],
  [276, 'LINUX_SLL2'],
]);

const DECODABLE = new Set<number>([
  LinkType.NULL,
  LinkType.ETHERNET,
  LinkType.RAW_OPENBSD_12,
  LinkType.RAW_BSDOS_14,
  LinkType.RAW,
  LinkType.LOOP,
  LinkType.LINUX_SLL,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.LINUX_SLL2,
]);

/** "ETHERNET", "LINUX_SLL2", ... or "LINKTYPE_<n>" for numbers without a name here. */
export function linkTypeName(linkType: number): string {
  return NAMES.get(linkType) ?? `LINKTYPE_${linkType}`;
}

/** Does decodeFrame decode this link type? */
export function isDecodableLinkType(linkType: number): boolean {
  return DECODABLE.has(linkType);
}
