// IPv6 decode into PacketMeta: the fixed header, the extension-header chain (hop-by-hop, routing, fragment,
// destination options, AH) up to the upper-layer protocol, and that protocol's ports / ICMPv6 type. The
// checksum pseudo-header uses the Home Address option and a type-0/2 routing header's final destination,
// as RFC 8200 section 8.1 and RFC 6275 say. IPv6 addresses stay in the frame (l3Off + 8 and l3Off + 24).

import { be16 } from '../util/bytes.js';
import { Ipv6Off, IPV6_HDR_LEN, IPV6_FRAG_HDR_LEN } from '../wire/ipv6.js';
import { Ipv6Ext } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { DecodeCounter, raiseEvent, type DecodeCounters } from './counters.js';
import { ipv6PseudoBase, Verify } from './verify.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp, decodeIcmpv6, decodePorts, PortsHdrLen } from './l4.js';
import { countL4 } from './reset.js';
import { IpProto, L3, type PacketMeta } from './meta.js';

/** Extension headers walked before giving up (IPV6_EXTHDR_TOO_MANY). */
const MAX_EXT_HEADERS = 8;
/** Home Address destination option (RFC 6275). */
const OPT_HOME_ADDRESS = 0xc9;

/** Decode the IPv6 packet at `off` (see decodeIpv4 for capEnd / wireEnd). HOT. */
export function decodeIpv6(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  const d = m.data;
  m.l3 = L3.IPV6;
  m.l3Off = off;
  const wire = wireEnd - off;
  if (wire < IPV6_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.IPV6_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < IPV6_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  if (d[off]! >>> 4 !== 6) {
    raiseEvent(m, c, DecodeEvent.IPV6_WRONG_IP_VER, off);
    return;
  }
  const totLen = IPV6_HDR_LEN + be16(d, off + Ipv6Off.PAYLOAD_LEN);
  m.ipTotalLen = totLen;
  m.ipTos = (be16(d, off) >>> 4) & 0xff;
  m.ipTtl = d[off + Ipv6Off.HOP_LIMIT]!;
  let nh = d[off + Ipv6Off.NEXT_HDR]!;
  m.ipProto = nh;
  m.ipHdrLen = IPV6_HDR_LEN;
  if (totLen > wire) {
    raiseEvent(m, c, DecodeEvent.IPV6_TRUNC, off + Ipv6Off.PAYLOAD_LEN);
    return;
  }
  const end = off + totLen;
  const cap = capEnd < end ? capEnd : end;
  let srcOff = off + Ipv6Off.SADDR;
  let dstOff = off + Ipv6Off.DADDR;
  let p = off + IPV6_HDR_LEN;
  let fragmented = false;
  for (let n = 0; ; n++) {
    if (nh !== Ipv6Ext.HOPOPTS && nh !== Ipv6Ext.ROUTING && nh !== Ipv6Ext.DSTOPTS && nh !== Ipv6Ext.FRAGMENT && nh !== Ipv6Ext.AH) break;
    if (n === MAX_EXT_HEADERS) {
      raiseEvent(m, c, DecodeEvent.IPV6_EXTHDR_TOO_MANY, p);
      m.ipProto = nh;
      return;
    }
    if (end - p < 8) {
      raiseEvent(m, c, DecodeEvent.IPV6_EXTHDR_TRUNC, p);
      m.ipProto = nh;
      return;
    }
    if (cap - p < 2) {
      raiseEvent(m, c, DecodeEvent.SNAPPED, p);
      m.ipProto = nh;
      return;
    }
    const hlen = nh === Ipv6Ext.FRAGMENT ? IPV6_FRAG_HDR_LEN : nh === Ipv6Ext.AH ? (d[p + 1]! + 2) << 2 : (d[p + 1]! + 1) << 3;
    if (p + hlen > end) {
      raiseEvent(m, c, DecodeEvent.IPV6_EXTHDR_TRUNC, p);
      m.ipProto = nh;
      return;
    }
    if (p + hlen > cap) {
      raiseEvent(m, c, DecodeEvent.SNAPPED, p);
      m.ipProto = nh;
      return;
    }
    if (nh === Ipv6Ext.FRAGMENT) {
      const f = be16(d, p + 2);
      m.ipFragField = f;
      m.fragOffset = f & 0xfff8;
      m.moreFrags = f & 1;
      m.ipId = be16(d, p + 6);
      if ((f & 0xfff9) !== 0) fragmented = true;
    } else if (nh === Ipv6Ext.ROUTING) {
      const type = d[p + 2]!;
      const left = d[p + 3]!;
      const addrs = d[p + 1]! >>> 1;
      // the checksum is computed for the final destination: the last address of a type 0 / type 2 header
      if ((type === 0 || type === 2) && left > 0 && addrs > 0) dstOff = p + 8 + 16 * (addrs - 1);
    } else if (nh === Ipv6Ext.DSTOPTS) {
      const hoa = findHomeAddress(d, p + 2, p + hlen);
      if (hoa >= 0) srcOff = hoa;
    }
    nh = d[p]!;
    p += hlen;
  }
  m.ipProto = nh;
  m.ipHdrLen = p - off;
  m.l4Len = end - p;
  m.payloadOff = p;
  m.payloadLen = end - p;
  countL4(c, nh);
  if (fragmented) {
    c.values[DecodeCounter.FRAGMENTS]! += 1;
    if (m.fragOffset !== 0) return;
  }
  const pseudo = (verify & Verify.L4) !== 0 ? ipv6PseudoBase(d, srcOff, dstOff, nh) : 0;
  if (nh === IpProto.TCP) decodeTcp(m, c, p, end, cap, pseudo, fragmented, verify);
  else if (nh === IpProto.UDP) decodeUdp(m, c, p, end, cap, pseudo, fragmented, verify);
  else if (nh === IpProto.ICMPV6) decodeIcmpv6(m, c, p, end, cap, pseudo, fragmented, verify);
  else if (nh === IpProto.SCTP) decodePorts(m, c, p, end, cap, PortsHdrLen.SCTP);
  else if (nh === IpProto.UDPLITE) decodePorts(m, c, p, end, cap, PortsHdrLen.UDPLITE);
}

/** Offset of the address in a Home Address option within [p, end) of a destination-options header, or -1. HOT. */
function findHomeAddress(d: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const t = d[p]!;
    if (t === 0) {
      p++; // Pad1
      continue;
    }
    if (p + 1 >= end) return -1;
    const len = d[p + 1]!;
    if (t === OPT_HOME_ADDRESS && len === 16 && p + 18 <= end) return p + 2;
    p += 2 + len;
  }
  return -1;
}
