// Putting a reused PacketMeta back to "nothing decoded" before each packet, and the per-packet counting
// that closes a decode (packets, bytes, L3 mix, VLAN, events; the L4 mix is counted by the IP decoders).
// Both are part of every decode, so they touch each field once and allocate nothing.

import { IpProto, L3, type PacketMeta } from './meta.js';
import { DecodeCounter, type DecodeCounters } from './counters.js';

/** Reset every field of `m` and point it at a frame. HOT. */
export function resetMeta(m: PacketMeta, data: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void {
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
  m.l3 = L3.NONE;
  m.l3Off = -1;
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
  m.l4Off = -1;
  m.l4Len = 0;
  m.sport = 0;
  m.dport = 0;
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
  m.l4Csum = 0;
  m.icmpType = 0;
  m.icmpCode = 0;
  m.icmpId = 0;
  m.icmpSeq = 0;
  m.payloadOff = 0;
  m.payloadLen = 0;
  m.innerL3Off = -1;
  m.innerIpHdrLen = 0;
  m.innerProto = 0;
  m.innerSaddr = 0;
  m.innerDaddr = 0;
  m.innerSport = 0;
  m.innerDport = 0;
  m.innerL4Off = -1;
  m.innerL4Avail = 0;
  m.csum = 0;
  m.event = 0;
  m.eventOffset = -1;
}

/** Count the L4 protocol of an IP packet (fragments included). HOT. */
export function countL4(c: DecodeCounters, proto: number): void {
  const v = c.values;
  if (proto === IpProto.TCP) v[DecodeCounter.TCP]! += 1;
  else if (proto === IpProto.UDP) v[DecodeCounter.UDP]! += 1;
  else if (proto === IpProto.ICMP) v[DecodeCounter.ICMP]! += 1;
  else if (proto === IpProto.ICMPV6) v[DecodeCounter.ICMPV6]! += 1;
  else if (proto === IpProto.SCTP) v[DecodeCounter.SCTP]! += 1;
  else v[DecodeCounter.L4_OTHER]! += 1;
}

/** Per-packet counters once a frame is decoded. HOT. */
export function countFrame(m: PacketMeta, c: DecodeCounters): void {
  const v = c.values;
  v[DecodeCounter.PACKETS]! += 1;
  v[DecodeCounter.BYTES]! += m.wirelen;
  v[DecodeCounter.CAPTURED_BYTES]! += m.caplen;
  if (m.caplen < m.wirelen) v[DecodeCounter.SNAPPED_PACKETS]! += 1;
  const l3 = m.l3;
  if (l3 === L3.IPV4) v[DecodeCounter.L3_IPV4]! += 1;
  else if (l3 === L3.IPV6) v[DecodeCounter.L3_IPV6]! += 1;
  else if (l3 === L3.ARP) v[DecodeCounter.L3_ARP]! += 1;
  else if (l3 === L3.OTHER) v[DecodeCounter.L3_OTHER]! += 1;
  else v[DecodeCounter.L3_NONE]! += 1;
  if (m.vlanCount !== 0) v[DecodeCounter.VLAN_TAGGED]! += 1;
  if (m.event !== 0) v[DecodeCounter.PACKETS_WITH_EVENTS]! += 1;
}
