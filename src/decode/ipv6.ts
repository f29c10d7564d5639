// IPv6 decode into PacketMeta: the fixed header, the extension-header chain (hop-by-hop, routing, fragment,
// destination options, AH) up to the upper-layer protocol, and that protocol's ports / ICMPv6 type. The
// checksum pseudo-header uses the Home Address option and a type-0/2 routing header's final destination
// (RFC 8200 8.1, RFC 6275). IPv6 addresses stay in the frame (l3Off + 8, l3Off + 24); saddr/daddr are 0.

import { viewOf } from './view.js';
import { Ipv6Off, IPV6_HDR_LEN, IPV6_FRAG_HDR_LEN } from '../wire/ipv6.js';
import { Ipv6Ext } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { DecodeCounter, type DecodeCounters } from './counters.js';
import { ipv6PseudoBase, Verify } from './verify.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp, decodeIcmpv6, decodePorts, PortsHdrLen } from './l4.js';
import { bodyFailed, countL4, headerFailed, noTransport } from './reset.js';
import { IpProto, L3, type PacketMeta } from './meta.js';

/** Extension headers walked before giving up (IPV6_EXTHDR_TOO_MANY). */
const MAX_EXT_HEADERS = 8;
/** Home Address destination option (RFC 6275). */
const OPT_HOME_ADDRESS = 0xc9;

// Module-local copies of shared constants: V8 folds these into the code; property loads would stay loads.
const EXT_HOPOPTS = Ipv6Ext.HOPOPTS;
const EXT_ROUTING = Ipv6Ext.ROUTING;
const EXT_FRAGMENT = Ipv6Ext.FRAGMENT;
const EXT_AH = Ipv6Ext.AH;
const EXT_DSTOPTS = Ipv6Ext.DSTOPTS;
const P_TCP = IpProto.TCP;
const P_UDP = IpProto.UDP;
const P_ICMPV6 = IpProto.ICMPV6;
const P_SCTP = IpProto.SCTP;
const P_UDPLITE = IpProto.UDPLITE;
const L3_IPV6 = L3.IPV6;
const V_L4 = Verify.L4;
const EV_SNAPPED = DecodeEvent.SNAPPED;
const EV_EXTHDR_TRUNC = DecodeEvent.IPV6_EXTHDR_TRUNC;

/** Decode the IPv6 packet at `off` (see decodeIpv4 for capEnd / wireEnd). HOT. */
export function decodeIpv6(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  if (wireEnd - off < IPV6_HDR_LEN) return headerFailed(m, c, L3_IPV6, DecodeEvent.IPV6_PKT_TOO_SMALL, off);
  if (capEnd - off < IPV6_HDR_LEN) return headerFailed(m, c, L3_IPV6, EV_SNAPPED, off);
  if (d[off]! >>> 4 !== 6) return headerFailed(m, c, L3_IPV6, DecodeEvent.IPV6_WRONG_IP_VER, off);
  const totLen = IPV6_HDR_LEN + dv.getUint16(off + Ipv6Off.PAYLOAD_LEN);
  let nh = d[off + Ipv6Off.NEXT_HDR]!;
  m.l3 = L3_IPV6;
  m.l3Off = off;
  m.ipHdrLen = IPV6_HDR_LEN;
  m.ipTotalLen = totLen;
  m.ipTos = (dv.getUint16(off) >>> 4) & 0xff;
  m.ipId = 0;
  m.ipFragField = 0;
  m.fragOffset = 0;
  m.moreFrags = 0;
  m.dontFrag = 0;
  m.ipTtl = d[off + Ipv6Off.HOP_LIMIT]!;
  m.ipProto = nh;
  m.ipCsum = 0;
  m.saddr = 0;
  m.daddr = 0;
  if (totLen > wireEnd - off) return bodyFailed(m, c, DecodeEvent.IPV6_TRUNC, off + Ipv6Off.PAYLOAD_LEN);
  const end = off + totLen;
  const cap = capEnd < end ? capEnd : end;
  let srcOff = off + Ipv6Off.SADDR;
  let dstOff = off + Ipv6Off.DADDR;
  let p = off + IPV6_HDR_LEN;
  let fragmented = false;
  for (let n = 0; nh === EXT_HOPOPTS || nh === EXT_ROUTING || nh === EXT_DSTOPTS || nh === EXT_FRAGMENT || nh === EXT_AH; n++) {
    m.ipProto = nh;
    if (n === MAX_EXT_HEADERS) return bodyFailed(m, c, DecodeEvent.IPV6_EXTHDR_TOO_MANY, p);
    if (end - p < 8) return bodyFailed(m, c, EV_EXTHDR_TRUNC, p);
    if (cap - p < 8) return bodyFailed(m, c, EV_SNAPPED, p);
    const hlen = nh === EXT_FRAGMENT ? IPV6_FRAG_HDR_LEN : nh === EXT_AH ? (d[p + 1]! + 2) << 2 : (d[p + 1]! + 1) << 3;
    if (p + hlen > end) return bodyFailed(m, c, EV_EXTHDR_TRUNC, p);
    if (p + hlen > cap) return bodyFailed(m, c, EV_SNAPPED, p);
    if (nh === EXT_FRAGMENT) {
      const f = dv.getUint16(p + 2);
      m.ipFragField = f;
      m.fragOffset = f & 0xfff8;
      m.moreFrags = f & 1;
      m.ipId = dv.getUint16(p + 6);
      if ((f & 0xfff9) !== 0) fragmented = true;
    } else if (nh === EXT_ROUTING) {
      const type = d[p + 2]!;
      const addrs = d[p + 1]! >>> 1;
      // the checksum is computed for the final destination: the last address of a type 0 / type 2 header
      if ((type === 0 || type === 2) && d[p + 3]! > 0 && addrs > 0) dstOff = p + 8 + 16 * (addrs - 1);
    } else if (nh === EXT_DSTOPTS) {
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
    if (m.fragOffset !== 0) return noTransport(m);
  }
  const pseudo = (verify & V_L4) !== 0 ? ipv6PseudoBase(d, srcOff, dstOff, nh) : 0;
  if (nh === P_TCP) decodeTcp(m, c, p, end, cap, pseudo, fragmented, verify);
  else if (nh === P_UDP) decodeUdp(m, c, p, end, cap, pseudo, fragmented, verify);
  else if (nh === P_ICMPV6) decodeIcmpv6(m, c, p, end, cap, pseudo, fragmented, verify);
  else if (nh === P_SCTP) decodePorts(m, c, p, end, cap, PortsHdrLen.SCTP);
  else if (nh === P_UDPLITE) decodePorts(m, c, p, end, cap, PortsHdrLen.UDPLITE);
  else noTransport(m);
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
