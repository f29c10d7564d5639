// Resetting a reused PacketMeta layer by layer: beginFrame() resets the frame and link fields, and every
// decoder that stops before a deeper layer clears that layer (noNetwork, noTransport, clearTcp, ...), so
// each field is written once per packet whatever the path. Also the per-packet counting of a decode.

import { IpProto, L3, type PacketMeta } from './meta.js';
import { DecodeCounter, raiseEvent, type DecodeCounters } from './counters.js';

// Module-local copies of shared constants: V8 folds these into the code; property loads would stay loads.
const C_BYTES = DecodeCounter.BYTES;
const C_CAPTURED_BYTES = DecodeCounter.CAPTURED_BYTES;
const C_ICMP = DecodeCounter.ICMP;
const C_ICMPV6 = DecodeCounter.ICMPV6;
const C_L3_ARP = DecodeCounter.L3_ARP;
const C_L3_IPV4 = DecodeCounter.L3_IPV4;
const C_L3_IPV6 = DecodeCounter.L3_IPV6;
const C_L3_NONE = DecodeCounter.L3_NONE;
const C_L3_OTHER = DecodeCounter.L3_OTHER;
const C_L4_OTHER = DecodeCounter.L4_OTHER;
const C_PACKETS = DecodeCounter.PACKETS;
const C_PACKETS_WITH_EVENTS = DecodeCounter.PACKETS_WITH_EVENTS;
const C_SCTP = DecodeCounter.SCTP;
const C_SNAPPED_PACKETS = DecodeCounter.SNAPPED_PACKETS;
const C_TCP = DecodeCounter.TCP;
const C_UDP = DecodeCounter.UDP;
const C_VLAN_TAGGED = DecodeCounter.VLAN_TAGGED;
const L3_ARP = L3.ARP;
const L3_IPV4 = L3.IPV4;
const L3_IPV6 = L3.IPV6;
const L3_NONE = L3.NONE;
const L3_OTHER = L3.OTHER;
const P_ICMP = IpProto.ICMP;
const P_ICMPV6 = IpProto.ICMPV6;
const P_SCTP = IpProto.SCTP;
const P_TCP = IpProto.TCP;
const P_UDP = IpProto.UDP;

/** Point `m` at a frame: frame fields set, link fields, checksum flags and event reset. HOT. */
export function beginFrame(m: PacketMeta, data: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void {
  m.data = data;
  m.frameOff = off;
  m.caplen = caplen;
  m.wirelen = wirelen;
  m.linkType = linkType;
  m.l2Off = off;
  m.l2Len = 0;
  m.dstMacHi = 0;
  m.dstMacLo = 0;
  m.srcMacHi = 0;
  m.srcMacLo = 0;
  m.etherType = 0;
  m.vlanCount = 0;
  m.vlanOuter = -1;
  m.vlanInner = -1;
  m.pktType = 0;
  m.csum = 0;
  m.event = 0;
  m.eventOffset = -1;
}

/** No (decodable) IP header: set the L3 kind and offset, reset every network and transport field. HOT. */
export function noNetwork(m: PacketMeta, l3: number, l3Off: number): void {
  m.l3 = l3;
  m.l3Off = l3Off;
  m.ipHdrLen = 0;
  m.ipTotalLen = 0;
  m.ipTos = 0;
  m.ipId = 0;
  m.ipFragField = 0;
  m.fragOffset = 0;
  m.moreFrags = 0;
  m.dontFrag = 0;
  m.ipTtl = 0;
  m.ipProto = 0;
  m.ipCsum = 0;
  m.saddr = 0;
  m.daddr = 0;
  m.l4Len = 0;
  m.payloadOff = 0;
  m.payloadLen = 0;
  noTransport(m);
}

/** No transport header decoded: reset ports, checksum and the TCP, ICMP and quoted-packet fields. HOT. */
export function noTransport(m: PacketMeta): void {
  m.l4Off = -1;
  m.sport = 0;
  m.dport = 0;
  m.l4Csum = 0;
  clearTcp(m);
  clearIcmp(m);
  clearInner(m);
}

/** Reset the TCP-only fields. HOT. */
export function clearTcp(m: PacketMeta): void {
  m.tcpSeq = 0;
  m.tcpAck = 0;
  m.tcpFlags = 0;
  m.tcpHdrLen = 0;
  m.tcpWindow = 0;
  m.tcpMssOff = -1;
  m.tcpMss = 0;
  m.tcpWscale = -1;
  m.tcpSackPerm = 0;
  m.tcpTsOff = -1;
  m.tcpTsVal = 0;
  m.tcpTsEcr = 0;
}

/** Reset the ICMP-only fields. HOT. */
export function clearIcmp(m: PacketMeta): void {
  m.icmpType = 0;
  m.icmpCode = 0;
  m.icmpId = 0;
  m.icmpSeq = 0;
}

/** Reset the fields of the packet quoted by an ICMP error. HOT. */
export function clearInner(m: PacketMeta): void {
  m.innerL3Off = -1;
  m.innerIpHdrLen = 0;
  m.innerProto = 0;
  m.innerSaddr = 0;
  m.innerDaddr = 0;
  m.innerSport = 0;
  m.innerDport = 0;
  m.innerL4Off = -1;
  m.innerL4Avail = 0;
}

/** Every field of `m` reset, pointed at a frame (what a decode starts from; exported for tools and tests). */
export function resetMeta(m: PacketMeta, data: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void {
  beginFrame(m, data, off, caplen, wirelen, linkType);
  noNetwork(m, L3_NONE, -1);
}

/** Count the L4 protocol of an IP packet (fragments included). HOT. */
export function countL4(c: DecodeCounters, proto: number): void {
  const v = c.values;
  if (proto === P_TCP) v[C_TCP]! += 1;
  else if (proto === P_UDP) v[C_UDP]! += 1;
  else if (proto === P_ICMP) v[C_ICMP]! += 1;
  else if (proto === P_ICMPV6) v[C_ICMPV6]! += 1;
  else if (proto === P_SCTP) v[C_SCTP]! += 1;
  else v[C_L4_OTHER]! += 1;
}

/** Per-packet counters once a frame is decoded. HOT. */
export function countFrame(m: PacketMeta, c: DecodeCounters): void {
  const v = c.values;
  v[C_PACKETS]! += 1;
  v[C_BYTES]! += m.wirelen;
  v[C_CAPTURED_BYTES]! += m.caplen;
  if (m.caplen < m.wirelen) v[C_SNAPPED_PACKETS]! += 1;
  const l3 = m.l3;
  if (l3 === L3_IPV4) v[C_L3_IPV4]! += 1;
  else if (l3 === L3_IPV6) v[C_L3_IPV6]! += 1;
  else if (l3 === L3_ARP) v[C_L3_ARP]! += 1;
  else if (l3 === L3_OTHER) v[C_L3_OTHER]! += 1;
  else v[C_L3_NONE]! += 1;
  if (m.vlanCount !== 0) v[C_VLAN_TAGGED]! += 1;
  if (m.event !== 0) v[C_PACKETS_WITH_EVENTS]! += 1;
}

/** The network header at `off` is unusable: a packet of family `l3` with nothing decoded, and `event`. HOT. */
export function headerFailed(m: PacketMeta, c: DecodeCounters, l3: number, event: number, off: number): void {
  noNetwork(m, l3, off);
  raiseEvent(m, c, event, off);
}

/** The network header was read but its lengths make the rest unusable. HOT. */
export function bodyFailed(m: PacketMeta, c: DecodeCounters, event: number, at: number): void {
  m.l4Len = 0;
  m.payloadOff = 0;
  m.payloadLen = 0;
  noTransport(m);
  raiseEvent(m, c, event, at);
}
