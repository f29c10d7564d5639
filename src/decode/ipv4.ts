// IPv4 decode into PacketMeta, judged as the kernel's ip_rcv_core() judges a packet (version, IHL, total
// length against the bytes received, options as ip_options_compile() bounds them), then the transport
// dispatch. decodeIpv4Packet() decodes a bare IPv4 packet the datapath built itself (ICMP errors, RSTs).

import { viewOf } from './view.js';
import { LinkType } from '../capture/types.js';
import { Ipv4Off, IPV4_MIN_HDR_LEN, Ipv4Frag, Ipv4Opt } from '../wire/ipv4.js';
import { DecodeEvent } from './events.js';
import { DecodeCounter, raiseEvent, type DecodeCounters } from './counters.js';
import { verifyIpv4Header, ipv4PseudoBase, Verify } from './verify.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp, decodeIcmp, decodePorts, PortsHdrLen } from './l4.js';
import { beginFrame, bodyFailed, countFrame, countL4, headerFailed, noTransport } from './reset.js';
import { IpProto, L3, type PacketMeta } from './meta.js';

// Module-local copies of shared constants: V8 folds these into the code; property loads would stay loads.
const MIN_HDR = IPV4_MIN_HDR_LEN;
const IP4_TOS = Ipv4Off.TOS;
const IP4_TOT_LEN = Ipv4Off.TOT_LEN;
const IP4_ID = Ipv4Off.ID;
const IP4_FRAG = Ipv4Off.FRAG;
const IP4_TTL = Ipv4Off.TTL;
const IP4_PROTO = Ipv4Off.PROTO;
const IP4_CSUM = Ipv4Off.CSUM;
const IP4_SADDR = Ipv4Off.SADDR;
const IP4_DADDR = Ipv4Off.DADDR;
const FRAG_MF_OFFSET = Ipv4Frag.MF | Ipv4Frag.OFFSET_MASK;
const FRAG_OFFSET_MASK = Ipv4Frag.OFFSET_MASK;
const P_TCP = IpProto.TCP;
const P_UDP = IpProto.UDP;
const P_ICMP = IpProto.ICMP;
const P_SCTP = IpProto.SCTP;
const P_UDPLITE = IpProto.UDPLITE;
const L3_IPV4 = L3.IPV4;
const V_IPV4_HEADER = Verify.IPV4_HEADER;
const V_ALL = Verify.ALL;
const C_FRAGMENTS = DecodeCounter.FRAGMENTS;
const EV_SNAPPED = DecodeEvent.SNAPPED;

/**
 * Decode the IPv4 packet at `off`. The wire carried bytes up to `wireEnd` from the frame (link trailer
 * included), the capture holds them up to `capEnd`. Writes every network and transport field. HOT.
 */
export function decodeIpv4(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  if (wireEnd - off < MIN_HDR) return headerFailed(m, c, L3_IPV4, DecodeEvent.IPV4_PKT_TOO_SMALL, off);
  if (capEnd - off < MIN_HDR) return headerFailed(m, c, L3_IPV4, EV_SNAPPED, off);
  const b0 = d[off]!;
  if (b0 >>> 4 !== 4) return headerFailed(m, c, L3_IPV4, DecodeEvent.IPV4_WRONG_IP_VER, off);
  const hlen = (b0 & 0x0f) << 2;
  if (hlen < MIN_HDR) return headerFailed(m, c, L3_IPV4, DecodeEvent.IPV4_HLEN_TOO_SMALL, off);
  const totLen = dv.getUint16(off + IP4_TOT_LEN);
  const frag = dv.getUint16(off + IP4_FRAG);
  const proto = d[off + IP4_PROTO]!;
  const saddr = dv.getUint32(off + IP4_SADDR);
  const daddr = dv.getUint32(off + IP4_DADDR);
  const fragOffset = (frag & FRAG_OFFSET_MASK) << 3;
  m.l3 = L3_IPV4;
  m.l3Off = off;
  m.ipHdrLen = hlen;
  m.ipTotalLen = totLen;
  m.ipTos = d[off + IP4_TOS]!;
  m.ipId = dv.getUint16(off + IP4_ID);
  m.ipFragField = frag;
  m.fragOffset = fragOffset;
  m.moreFrags = (frag >>> 13) & 1;
  m.dontFrag = (frag >>> 14) & 1;
  m.ipTtl = d[off + IP4_TTL]!;
  m.ipProto = proto;
  m.ipCsum = dv.getUint16(off + IP4_CSUM);
  m.saddr = saddr;
  m.daddr = daddr;
  countL4(c, proto);
  // ip_rcv_core: a total length shorter than the header is a header error, longer than what arrived a truncation
  if (totLen < hlen) return bodyFailed(m, c, DecodeEvent.IPV4_IPLEN_SMALLER_THAN_HLEN, off + IP4_TOT_LEN);
  if (totLen > wireEnd - off) return bodyFailed(m, c, DecodeEvent.IPV4_TRUNC, off + IP4_TOT_LEN);
  if (hlen > capEnd - off) return bodyFailed(m, c, EV_SNAPPED, capEnd);
  const l4 = off + hlen;
  const l4Len = totLen - hlen;
  m.l4Len = l4Len;
  m.payloadOff = l4;
  m.payloadLen = l4Len;
  if (hlen > MIN_HDR) checkOptions(m, c, off + MIN_HDR, l4);
  if ((verify & V_IPV4_HEADER) !== 0) verifyIpv4Header(m, c, off, hlen);
  const fragmented = (frag & FRAG_MF_OFFSET) !== 0;
  if (fragmented) {
    c.values[C_FRAGMENTS]! += 1;
    if (fragOffset + l4Len > 65535) raiseEvent(m, c, DecodeEvent.IPV4_FRAG_PKT_TOO_LARGE, off + IP4_FRAG);
    if (fragOffset !== 0) return noTransport(m);
  }
  const end = off + totLen;
  const cap = capEnd < end ? capEnd : end;
  if (proto === P_TCP) decodeTcp(m, c, l4, end, cap, ipv4PseudoBase(saddr, daddr, proto), fragmented, verify);
  else if (proto === P_UDP) decodeUdp(m, c, l4, end, cap, ipv4PseudoBase(saddr, daddr, proto), fragmented, verify);
  else if (proto === P_ICMP) decodeIcmp(m, c, l4, end, cap, fragmented, verify);
  else if (proto === P_SCTP) decodePorts(m, c, l4, end, cap, PortsHdrLen.SCTP);
  else if (proto === P_UDPLITE) decodePorts(m, c, l4, end, cap, PortsHdrLen.UDPLITE);
  else noTransport(m);
}



/** Walk IPv4 options in [p, end) as ip_options_compile() bounds them: EOL ends, NOP is one byte, others need 2 <= len <= rest. HOT. */
function checkOptions(m: PacketMeta, c: DecodeCounters, p: number, end: number): void {
  const d = m.data;
  while (p < end) {
    const t = d[p]!;
    if (t === Ipv4Opt.EOL) return;
    if (t === Ipv4Opt.NOP) {
      p++;
      continue;
    }
    const len = p + 1 < end ? d[p + 1]! : 0;
    if (len < 2 || p + len > end) return raiseEvent(m, c, DecodeEvent.IPV4_OPT_INVALID_LEN, p);
    p += len;
  }
}

/**
 * Decode a bare IPv4 packet of `len` bytes at `l3Off` in `data` (no link header: linkType LINKTYPE_IPV4,
 * caplen = wirelen = len). For packets the datapath builds itself and re-decodes. HOT.
 */
export function decodeIpv4Packet(meta: PacketMeta, data: Uint8Array, l3Off: number, len: number, counters: DecodeCounters, verify: number = V_ALL): void {
  let off = l3Off | 0;
  let n = len | 0;
  if (off < 0 || off > data.length) {
    off = 0;
    n = 0;
  }
  if (n < 0) n = 0;
  beginFrame(meta, data, off, n, n, LinkType.IPV4);
  const capEnd = off + n <= data.length ? off + n : data.length;
  decodeIpv4(meta, counters, off, capEnd, off + n, verify);
  countFrame(meta, counters);
}
