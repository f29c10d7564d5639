// Decode of the transports other than TCP into PacketMeta: UDP (length and checksum as __udp4_lib_rcv and
// conntrack's udp_error judge them), SCTP and UDP-Lite (ports), ICMP with the IPv4 header and first L4
// bytes quoted by error messages (the tuple nf_conntrack_icmpv4_error looks up), and ICMPv6.

import { viewOf } from './view.js';
import { UdpOff, UDP_HDR_LEN } from '../wire/udp.js';
import { IcmpOff, ICMP_HDR_LEN, isIcmpError, icmpHasId } from '../wire/icmp.js';
import { Ipv4Off, IPV4_MIN_HDR_LEN, Ipv4Frag } from '../wire/ipv4.js';
import { Icmp6Type, IpProto } from '../wire/constants.js';
import { DecodeEvent } from './events.js';
import { DecodeCounter, raiseEvent, type DecodeCounters } from './counters.js';
import { markL4None, verifyL4, Verify } from './verify.js';
import { clearIcmp, clearInner, clearTcp, noTransport } from './reset.js';
import type { PacketMeta } from './meta.js';

/** SCTP common header: ports, verification tag, CRC32c. */
const SCTP_HDR_LEN = 12;

/** Minimum header lengths for decodePorts. */
export const PortsHdrLen = { SCTP: SCTP_HDR_LEN, UDPLITE: UDP_HDR_LEN } as const;

// Module-local copies of shared constants: V8 folds these into the code; property loads would stay loads.
const UDP_SPORT = UdpOff.SPORT;
const UDP_DPORT = UdpOff.DPORT;
const UDP_LEN = UdpOff.LEN;
const UDP_CSUM = UdpOff.CSUM;
const ICMP_TYPE = IcmpOff.TYPE;
const ICMP_CODE = IcmpOff.CODE;
const ICMP_CSUM = IcmpOff.CSUM;
const ICMP_ID = IcmpOff.ID;
const ICMP_SEQ = IcmpOff.SEQ;
const ICMP_QUOTED = IcmpOff.QUOTED;
const V_L4 = Verify.L4;
const EV_SNAPPED = DecodeEvent.SNAPPED;

/** No usable transport header at `off`. HOT. */
function transportFailed(m: PacketMeta, c: DecodeCounters, event: number, off: number): void {
  noTransport(m);
  raiseEvent(m, c, event, off);
}

/** UDP datagram at `off`, IP payload ending at `end`, captured to `capEnd`. `pseudo` excludes the length. HOT. */
export function decodeUdp(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, pseudo: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  const len = end - off;
  if (len < UDP_HDR_LEN) return transportFailed(m, c, DecodeEvent.UDP_PKT_TOO_SMALL, off);
  if (capEnd - off < UDP_HDR_LEN) return transportFailed(m, c, EV_SNAPPED, off);
  const ulen = dv.getUint16(off + UDP_LEN);
  const check = dv.getUint16(off + UDP_CSUM);
  m.l4Off = off;
  m.sport = dv.getUint16(off + UDP_SPORT);
  m.dport = dv.getUint16(off + UDP_DPORT);
  m.l4Csum = check;
  clearTcp(m);
  clearIcmp(m);
  clearInner(m);
  m.payloadOff = off + UDP_HDR_LEN;
  // A first fragment's UDP length covers the reassembled datagram, not this fragment: judge it only when whole.
  if (!fragmented && (ulen > len || ulen < UDP_HDR_LEN)) {
    m.payloadLen = len - UDP_HDR_LEN;
    return raiseEvent(m, c, DecodeEvent.UDP_LEN_INVALID, off + UDP_LEN);
  }
  m.payloadLen = (fragmented ? len : ulen) - UDP_HDR_LEN;
  if ((verify & V_L4) === 0) return;
  if (check === 0) markL4None(m, c);
  else verifyL4(m, c, off, ulen, capEnd, pseudo + ulen, fragmented);
}

/** SCTP or UDP-Lite: ports only (CRC32c and partial-coverage checksums are not verified). HOT. */
export function decodePorts(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, minLen: number): void {
  const dv = viewOf(m.data);
  const len = end - off;
  if (len < minLen) return transportFailed(m, c, minLen === SCTP_HDR_LEN ? DecodeEvent.SCTP_PKT_TOO_SMALL : DecodeEvent.UDP_PKT_TOO_SMALL, off);
  if (capEnd - off < 4) return transportFailed(m, c, EV_SNAPPED, off);
  m.l4Off = off;
  m.sport = dv.getUint16(off);
  m.dport = dv.getUint16(off + 2);
  m.l4Csum = 0;
  clearTcp(m);
  clearIcmp(m);
  clearInner(m);
  m.payloadOff = off + minLen;
  m.payloadLen = len - minLen;
}

/** ICMP message at `off`. No pseudo-header over IPv4. HOT. */
export function decodeIcmp(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  const len = end - off;
  if (len < ICMP_HDR_LEN) return transportFailed(m, c, DecodeEvent.ICMP_PKT_TOO_SMALL, off);
  if (capEnd - off < ICMP_HDR_LEN) return transportFailed(m, c, EV_SNAPPED, off);
  const type = d[off + ICMP_TYPE]!;
  const hasId = icmpHasId(type);
  m.l4Off = off;
  m.sport = 0;
  m.dport = 0;
  m.l4Csum = dv.getUint16(off + ICMP_CSUM);
  clearTcp(m);
  m.icmpType = type;
  m.icmpCode = d[off + ICMP_CODE]!;
  m.icmpId = hasId ? dv.getUint16(off + ICMP_ID) : 0;
  m.icmpSeq = hasId ? dv.getUint16(off + ICMP_SEQ) : 0;
  m.payloadOff = off + ICMP_HDR_LEN;
  m.payloadLen = len - ICMP_HDR_LEN;
  if ((verify & V_L4) !== 0) verifyL4(m, c, off, len, capEnd, 0, fragmented);
  if (isIcmpError(type) && !fragmented) decodeQuoted(m, c, off + ICMP_QUOTED, end, capEnd);
  else clearInner(m);
}

/** The IPv4 header and first L4 bytes quoted by an ICMP error, up to the message end `end`. HOT. */
function decodeQuoted(m: PacketMeta, c: DecodeCounters, p: number, end: number, capEnd: number): void {
  const d = m.data;
  const dv = viewOf(d);
  clearInner(m);
  const wire = end - p;
  const avail = (capEnd < end ? capEnd : end) - p;
  if (wire < IPV4_MIN_HDR_LEN) return raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_TOO_SMALL, p);
  if (avail < IPV4_MIN_HDR_LEN) return raiseEvent(m, c, EV_SNAPPED, p);
  const b0 = d[p]!;
  if (b0 >>> 4 !== 4) return raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_UNKNOWN_VER, p);
  const ihl = (b0 & 0x0f) << 2;
  if (ihl < IPV4_MIN_HDR_LEN) return raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_HLEN_TOO_SMALL, p);
  if (ihl > wire) return raiseEvent(m, c, DecodeEvent.ICMP_INNER_IPV4_TOO_SMALL, p);
  if (ihl > avail) return raiseEvent(m, c, EV_SNAPPED, p + IPV4_MIN_HDR_LEN);
  const proto = d[p + Ipv4Off.PROTO]!;
  m.innerL3Off = p;
  m.innerIpHdrLen = ihl;
  m.innerProto = proto;
  m.innerSaddr = dv.getUint32(p + Ipv4Off.SADDR);
  m.innerDaddr = dv.getUint32(p + Ipv4Off.DADDR);
  c.values[DecodeCounter.ICMP_ERRORS]! += 1;
  // a quoted non-first fragment carries no transport header
  if ((dv.getUint16(p + Ipv4Off.FRAG) & Ipv4Frag.OFFSET_MASK) !== 0) return;
  const l4 = avail - ihl;
  if (l4 <= 0) return;
  const q = p + ihl;
  m.innerL4Off = q;
  m.innerL4Avail = l4;
  if (proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.SCTP || proto === IpProto.UDPLITE) {
    if (l4 >= 4) {
      m.innerSport = dv.getUint16(q);
      m.innerDport = dv.getUint16(q + 2);
    }
  } else if (proto === IpProto.ICMP) {
    if (l4 >= 2) m.innerDport = (d[q]! << 8) | d[q + 1]!;
    if (l4 >= 6) m.innerSport = dv.getUint16(q + ICMP_ID);
  }
}

/** ICMPv6 message at `off`; `pseudo` is the IPv6 pseudo-header sum without the length. HOT. */
export function decodeIcmpv6(m: PacketMeta, c: DecodeCounters, off: number, end: number, capEnd: number, pseudo: number, fragmented: boolean, verify: number): void {
  const d = m.data;
  const dv = viewOf(d);
  const len = end - off;
  if (len < ICMP_HDR_LEN) return transportFailed(m, c, DecodeEvent.ICMPV6_PKT_TOO_SMALL, off);
  if (capEnd - off < ICMP_HDR_LEN) return transportFailed(m, c, EV_SNAPPED, off);
  const type = d[off]!;
  const echo = type === Icmp6Type.ECHO_REQUEST || type === Icmp6Type.ECHO_REPLY;
  m.l4Off = off;
  m.sport = 0;
  m.dport = 0;
  m.l4Csum = dv.getUint16(off + 2);
  clearTcp(m);
  clearInner(m);
  m.icmpType = type;
  m.icmpCode = d[off + 1]!;
  m.icmpId = echo ? dv.getUint16(off + 4) : 0;
  m.icmpSeq = echo ? dv.getUint16(off + 6) : 0;
  m.payloadOff = off + ICMP_HDR_LEN;
  m.payloadLen = len - ICMP_HDR_LEN;
  if ((verify & V_L4) !== 0) verifyL4(m, c, off, len, capEnd, pseudo + len, fragmented);
}
