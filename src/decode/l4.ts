// Decode of the transports other than TCP into PacketMeta: UDP (length and checksum as __udp4_lib_rcv and
// conntrack's udp_error judge them), SCTP and UDP-Lite (ports), ICMP with the IPv4 header and first L4
// bytes quoted by error messages (the tuple nf_conntrack_icmpv4_error looks up), and ICMPv6.

import { be16, be32 } from '../util/bytes.js';
import { UdpOff, UDP_HDR_LEN } from '../wire/udp.js';
import { IcmpOff, ICMP_HDR_LEN, isIcmpError, icmpHasId } from '../wire/icmp.js';
import { Ipv4Off, IPV4_MIN_HDR_LEN, Ipv4Frag } from '../wire/ipv4.js';
import { Icmp6Type, IpProto } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { DecodeCounter, raiseEvent, type DecodeCounters } from './counters.js';
import { markL4None, verifyL4, Verify } from './verify.js';
import type { PacketMeta } from './meta.js';

/** SCTP common header: ports, verification tag, CRC32c. */
const SCTP_HDR_LEN = 12;

/** UDP datagram at `off`, IP payload ending at `end`, captured to `capEnd`. `pseudo` excludes the length. HOT. */
export function decodeUdp(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, pseudo: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const len = end - off;
  if (len < UDP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.UDP_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < UDP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  m.l4Off = off;
  m.sport = be16(d, off + UdpOff.SPORT);
  m.dport = be16(d, off + UdpOff.DPORT);
  const ulen = be16(d, off + UdpOff.LEN);
  const check = be16(d, off + UdpOff.CSUM);
  m.l4Csum = check;
  m.payloadOff = off + UDP_HDR_LEN;
  // A fragment's UDP length covers the reassembled datagram, not this fragment: judge it only when whole.
  if (!fragmented && (ulen > len || ulen < UDP_HDR_LEN)) {
    raiseEvent(m, c, DecodeEvent.UDP_LEN_INVALID, off + UdpOff.LEN);
    m.payloadLen = len - UDP_HDR_LEN;
    return;
  }
  m.payloadLen = (fragmented ? len : ulen) - UDP_HDR_LEN;
  if ((verify & Verify.L4) === 0) return;
  if (check === 0) markL4None(m, c);
  else verifyL4(m, c, off, ulen, capEnd, pseudo + ulen, fragmented);
}

/** SCTP or UDP-Lite: ports only (CRC32c and partial coverage checksums are not verified). HOT. */
export function decodePorts(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, minLen: number): void {
  const len = end - off;
  if (len < minLen) {
    raiseEvent(m, c, minLen === SCTP_HDR_LEN ? DecodeEvent.SCTP_PKT_TOO_SMALL : DecodeEvent.UDP_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < 4) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  m.l4Off = off;
  m.sport = be16(m.data, off);
  m.dport = be16(m.data, off + 2);
  m.payloadOff = off + minLen;
  m.payloadLen = len - minLen;
}

/** Minimum header lengths for decodePorts. */
export const PortsHdrLen = { SCTP: SCTP_HDR_LEN, UDPLITE: UDP_HDR_LEN } as const;

/** ICMP message at `off`. No pseudo-header over IPv4. HOT. */
export function decodeIcmp(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const len = end - off;
  if (len < ICMP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.ICMP_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < ICMP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  const type = d[off + IcmpOff.TYPE]!;
  m.l4Off = off;
  m.icmpType = type;
  m.icmpCode = d[off + IcmpOff.CODE]!;
  m.l4Csum = be16(d, off + IcmpOff.CSUM);
  if (icmpHasId(type)) {
    m.icmpId = be16(d, off + IcmpOff.ID);
    m.icmpSeq = be16(d, off + IcmpOff.SEQ);
  }
  m.payloadOff = off + ICMP_HDR_LEN;
  m.payloadLen = len - ICMP_HDR_LEN;
  if ((verify & Verify.L4) !== 0) verifyL4(m, c, off, len, capEnd, 0, fragmented);
  if (isIcmpError(type) && !fragmented) decodeQuoted(m, c, off + IcmpOff.QUOTED, end, capEnd);
}

/** The IPv4 header and first L4 bytes quoted by an ICMP error, up to the message end `end`. HOT. */
function decodeQuoted(m: PacketMeta, c: DecodeCounters, p: number, end: number, capEnd: number): void {
  const d = m.data;
  const wire = end - p;
  const avail = (capEnd < end ? capEnd : end) - p;
  if (wire < IPV4_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_TOO_SMALL, p);
    return;
  }
  if (avail < IPV4_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, p);
    return;
  }
  const b0 = d[p]!;
  if (b0 >>> 4 !== 4) {
    raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_UNKNOWN_VER, p);
    return;
  }
  const ihl = (b0 & 0x0f) << 2;
  if (ihl < IPV4_MIN_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_HLEN_TOO_SMALL, p);
    return;
  }
  if (ihl > wire) {
    raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_TOO_SMALL, p);
    return;
  }
  if (ihl > avail) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, p + IPV4_MIN_HDR_LEN);
    return;
  }
  const proto = d[p + Ipv4Off.PROTO]!;
  m.innerL3Off = p;
  m.innerIpHdrLen = ihl;
  m.innerProto = proto;
  m.innerSaddr = be32(d, p + Ipv4Off.SADDR);
  m.innerDaddr = be32(d, p + Ipv4Off.DADDR);
  c.values[DecodeCounter.ICMP_ERRORS]! += 1;
  // a quoted non-first fragment carries no transport header
  if ((be16(d, p + Ipv4Off.FRAG) & Ipv4Frag.OFFSET_MASK) !== 0) return;
  const l4 = avail - ihl;
  if (l4 <= 0) return;
  const q = p + ihl;
  m.innerL4Off = q;
  m.innerL4Avail = l4;
  if (proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP || proto === IpProto.UDPLITE) {
    if (l4 >= 4) {
      m.innerSport = be16(d, q);
      m.innerDport = be16(d, q + 2);
    }
  } else if (proto === IpProto.ICMP) {
    if (l4 >= 2) m.innerDport = (d[q]! << 8) | d[q + 1]!;
    if (l4 >= 6) m.innerSport = be16(d, q + IcmpOff.ID);
  }
}

/** ICMPv6 message at `off`; `pseudo` is the IPv6 pseudo-header sum without the length. HOT. */
export function decodeIcmpv6(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, pseudo: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const len = end - off;
  if (len < ICMP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.ICMPV6_PKT_TOO_SMALL, off);
    return;
  }
  if (capEnd - off < ICMP_HDR_LEN) {
    raiseEvent(m, c, DecodeEvent.SNAPPED, off);
    return;
  }
  const type = d[off]!;
  m.l4Off = off;
  m.icmpType = type;
  m.icmpCode = d[off + 1]!;
  m.l4Csum = be16(d, off + 2);
  if (type === Icmp6Type.ECHO_REQUEST || type === Icmp6Type.ECHO_REPLY) {
    m.icmpId = be16(d, off + 4);
    m.icmpSeq = be16(d, off + 6);
  }
  m.payloadOff = off + ICMP_HDR_LEN;
  m.payloadLen = len - ICMP_HDR_LEN;
  if ((verify & Verify.L4) !== 0) verifyL4(m, c, off, len, capEnd, pseudo + len, fragmented);
}
