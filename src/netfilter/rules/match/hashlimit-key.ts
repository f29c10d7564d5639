// hashlimit_init_dst (net/netfilter/xt_hashlimit.c) for IPv4: the bucket key of a packet under its table's
// --hashlimit-mode and masks. Addresses are cut to the prefix lengths; ports are read only when the mode
// names one, at proto_ports_offset() bytes into the transport header (0 for TCP, UDP, UDP-Lite, SCTP, DCCP
// and ESP, whose SPI halves then act as ports; 4 for AH), and are 0 for every other protocol. The read does
// not look at the fragment offset: a non-first fragment contributes the payload bytes at that place. A
// packet too short for the 4 bytes fails the key, which the caller turns into a hot drop.

import type { Skb } from '../../skb.js';
import type { HashlimitTable } from './hashlimit-table.js';
import { HlMode } from './hashlimit-text.js';
import { IpProto } from '../../../decode/meta.js';

const IPPROTO_DCCP = 33;

/** proto_ports_offset(): where a protocol keeps two 16-bit "ports", or -1 when it has none. */
export function protoPortsOffset(proto: number): number {
  switch (proto) {
    case IpProto.TCP:
    case IpProto.UDP:
    case IPPROTO_DCCP:
    case IpProto.ESP:
    case IpProto.SCTP:
    case IpProto.UDPLITE:
      return 0;
    case IpProto.AH:
      return 4;
    default:
      return -1;
  }
}

/** The decoder's port fields hold exactly these protocols' ports (current, after NAT). */
function decodedPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP || proto === IpProto.UDPLITE;
}

/**
 * HOT: build the key of `skb` into t.keySrc / keyDst / keyPorts; false when the ports cannot be read
 * (skb_header_pointer past skb->len, which is the IP total length at the iptables hooks).
 */
export function hashlimitInitDst(t: HashlimitTable, skb: Skb): boolean {
  const m = skb.meta;
  t.keyDst = t.has(HlMode.HASH_DIP) ? (m.daddr & t.dstMask) >>> 0 : 0;
  t.keySrc = t.has(HlMode.HASH_SIP) ? (m.saddr & t.srcMask) >>> 0 : 0;
  t.keyPorts = 0;
  if (!t.has(HlMode.HASH_DPT | HlMode.HASH_SPT)) return true;
  const poff = protoPortsOffset(m.ipProto);
  let sport = 0;
  let dport = 0;
  if (poff >= 0) {
    if (m.ipHdrLen + poff + 4 > m.ipTotalLen) return false;
    if (decodedPorts(m.ipProto) && m.l4Off >= 0 && m.fragOffset === 0) {
      sport = m.sport;
      dport = m.dport;
    } else {
      // DCCP, ESP, AH, a header the decoder refused, or a later fragment's payload: the raw bytes. Bytes
      // beyond the capture's snap length are unknown and read as 0.
      const o = m.l3Off + m.ipHdrLen + poff;
      if (o + 4 <= m.frameOff + m.caplen) {
        const d = m.data;
        sport = (d[o]! << 8) | d[o + 1]!;
        dport = (d[o + 2]! << 8) | d[o + 3]!;
      }
    }
  }
  if (t.has(HlMode.HASH_SPT)) t.keyPorts |= sport << 16;
  if (t.has(HlMode.HASH_DPT)) t.keyPorts |= dport;
  t.keyPorts >>>= 0;
  return true;
}
