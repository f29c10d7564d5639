// IPv4 decode into PacketMeta, judged as the kernel's ip_rcv_core() judges a packet (version, IHL, total
// length against the bytes received, options as ip_options_compile() walks them), then the transport
// dispatch. decodeIpv4Packet() decodes a bare IPv4 packet the datapath built itself (ICMP errors, RSTs).

import { be16, be32 } from '../util/bytes.js';
import { Ipv4Off, IPV4_MIN_HDR_LEN, Ipv4Frag, Ipv4Opt } from '../wire/ipv4.js';
import { LinkType } from '../capture/types.js';
import { DecodeEvent } from './events.js';
import { DecodeCounter, raiseEvent, type DecodeCounters } from './counters.js';
import { verifyIpv4Header, ipv4PseudoBase, Verify } from './verify.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp, decodeIcmp, decodePorts, PortsHdrLen } from './l4.js';
import { resetMeta, countFrame, countL4 } from './reset.js';
import { IpProto, L3, type PacketMeta } from './meta.js';

/**
 * Decode the IPv4 packet at `off`. The wire carried bytes up to `wireEnd` from the frame (link trailer
 * included), the capture holds them up to `capEnd`. HOT.
 */
export function decodeIpv4(m: PacketMeta, c: DecodeCounters, off: number, capEnd: number, wireEnd: number, verify: number): void {
  const d = m.data;
  m.l3 = L3.IPV4;
  m.l3Off = off;
  const wire = wireEnd - off;
  if (wire < IPV4_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.IPV4_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < IPV4_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  const b0 = d[off]!;
  if (b0 >>> 4 !== 4) {
    raiseEvent(m, c, DecodeEvent.IPV4_WRONG_IP_VER, off);
    return;
  }
  const hlen = (b0 & 0x0f) << 2;
  if (hlen < IPV4_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.IPV4_HLEN_TOO_SMALL, off);
    return;
  }
  const totLen = be16(d, off + Ipv4Off.TOT_LEN);
  const frag = be16(d, off + Ipv4Off.FRAG);
  const proto = d[off + Ipv4Off.PROTO]!;
  const saddr = be32(d, off + Ipv4Off.SADDR);
  const daddr = be32(d, off + Ipv4Off.DADDR);
  m.ipHdrLen = hlen;
  m.ipTotalLen = totLen;
  m.ipTos = d[off + Ipv4Off.TOS]!;
  m.ipId = be16(d, off + Ipv4Off.ID);
  m.ipFragField = frag;
  m.fragOffset = (frag & Ipv4Frag.OFFSET_MASK) << 3;
  m.moreFrags = (frag >>> 13) & 1;
  m.dontFrag = (frag >>> 14) & 1;
  m.ipTtl = d[off + Ipv4Off.TTL]!;
  m.ipProto = proto;
  m.ipCsum = be16(d, off + Ipv4Off.CSUM);
  m.saddr = saddr;
  m.daddr = daddr;
  countL4(c, proto);
  // ip_rcv_core: a total length shorter than the header is a header error, longer than what arrived a truncation
  if (totLen < hlen) {
    raiseEvent(m, c, DecodeEvent.IPV4_IPLEN_SMALLER_THAN_HLEN, off + Ipv4Off.TOT_LEN);
    return;
  }
  if (totLen > wire) {
    raiseEvent(m, c, DecodeEvent.IPV4_TRUNC, off + Ipv4Off.TOT_LEN);
    return;
  }
  if (hlen > capEnd - off) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, capEnd);
    return;
  }
  if (hlen > IPV4_MIN_HDR_LEN) checkOptions(m, c, off + IPV4_MIN_HDR_LEN, off + hlen);
  if ((verify & Verify.IPV4_HEADER) !== 0) verifyIpv4Header(m, c, off, hlen);
  const l4Len = totLen - hlen;
  m.l4Len = l4Len;
  m.payloadOff = off + hlen;
  m.payloadLen = l4Len;
  const fragmented = (frag & (Ipv4Frag.MF | Ipv4Frag.OFFSET_MASK)) !== 0;
  if (fragmented) {
    c.values[DecodeCounter.FRAGMENTS]! += 1;
    if (m.fragOffset + l4Len > 65535) raiseEvent(m, c, DecodeEvent.IPV4_FRAG_PKT_TOO_LARGE, off + Ipv4Off.FRAG);
    if (m.fragOffset !== 0) return;
  }
  const l4 = off + hlen;
  const end = off + totLen;
  const cap = capEnd < end ? capEnd : end;
  if (proto === IpProto.TCP) decodeTcp(m, c, l4, end, cap, ipv4PseudoBase(saddr, daddr, proto), fragmented, verify);
  else if (proto === IpProto.UDP) decodeUdp(m, c, l4, end, cap, ipv4PseudoBase(saddr, daddr, proto), fragmented, verify);
  else if (proto === IpProto.ICMP) decodeIcmp(m, c, l4, end, cap, fragmented, verify);
  else if (proto === IpProto.SCTP) decodePorts(m, c, l4, end, cap, PortsHdrLen.SCTP);
  else if (proto === IpProto.UDPLITE) decodePorts(m, c, l4, end, cap, PortsHdrLen.UDPLITE);
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
    if (p + 1 >= end) {
      raiseEvent(m, c, DecodeEvent.IPV4_OPT_INVALID_LEN, p);
      return;
    }
    const len = d[p + 1]!;
    if (len < 2 || p + len > end) {
      raiseEvent(m, c, DecodeEvent.IPV4_OPT_INVALID_LEN, p);
      return;
    }
    p += len;
  }
}

/**
 * Decode a bare IPv4 packet of `len` bytes at `l3Off` in `data` (no link header: linkType LINKTYPE_IPV4,
 * caplen = wirelen = len). For packets the datapath builds itself and re-decodes. HOT.
 */
export function decodeIpv4Packet(meta: PacketMeta, data: Uint8Array, l3Off: number, len: number, counters: DecodeCounters, verify: number = Verify.ALL): void {
  let off = l3Off | 0;
  let n = len | 0;
  if (off < 0 || off > data.length) {
    off = 0;
    n = 0;
  }
  if (n < 0) n = 0;
  resetMeta(meta, data, off, n, n, LinkType.IPV4);
  const capEnd = off + n <= data.length ? off + n : data.length;
  decodeIpv4(meta, counters, off, capEnd, off + n, verify);
  countFrame(meta, counters);
}
