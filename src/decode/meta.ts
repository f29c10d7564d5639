// PacketMeta: the one reused structure a decoded packet lives in — plain numbers (addresses as unsigned
// 32-bit, ports, flags, byte offsets into the frame). Rule matchers, conntrack and NAT read this, never
// the bytes (TCPMSS and header rewrites excepted). Valid until the next decode into the same instance.
// Field order is fixed and every field is initialised in the constructor (monomorphic shape).

/** Which network-layer protocol the frame carries. */
export const L3 = { NONE: 0, IPV4: 1, IPV6: 2, ARP: 3, OTHER: 4 } as const;

/** IP protocol numbers used across the code base. */
export const IpProto = { ICMP: 1, IGMP: 2, TCP: 6, UDP: 17, GRE: 47, ESP: 50, AH: 51, ICMPV6: 58, SCTP: 132, UDPLITE: 136 } as const;

/** TCP flag bits as in byte 13 of the header. */
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Bits of PacketMeta.csum: which checksums were present/verified and whether they were right. */
export const Csum = {
  IPV4_CHECKED: 0x01,
  IPV4_BAD: 0x02,
  L4_CHECKED: 0x04,
  L4_BAD: 0x08,
  /** UDP with checksum 0 ("none"). */
  L4_NONE: 0x10,
  /** L4 checksum not verifiable (truncated capture or fragment). */
  L4_UNVERIFIABLE: 0x20,
  /**
   * TCP/UDP checksum field holding only the pseudo-header sum, left for the NIC to complete (TX checksum
   * offload: the sender's skb was CHECKSUM_PARTIAL, as captures on the sending host or across a veth show).
   */
  L4_PARTIAL: 0x40,
} as const;

export class PacketMeta {
  // --- the frame as captured ---
  /** Buffer holding the frame; headers are at the offsets below. */
  data: Uint8Array = EMPTY;
  /** Offset of the first byte of the frame in data. */
  frameOff = 0;
  /** Captured length of the frame and its original length on the wire. */
  caplen = 0;
  wirelen = 0;
  linkType = 0;

  // --- link layer ---
  /** Offset of the link header (== frameOff) and of what follows the link header(s). */
  l2Off = 0;
  l2Len = 0;
  dstMacHi = 0;
  dstMacLo = 0;
  srcMacHi = 0;
  srcMacLo = 0;
  /** Final EtherType after VLAN tags (0 when the link type has none, e.g. raw IP). */
  etherType = 0;
  /** Number of 802.1Q/802.1ad tags and the outer/inner VLAN ids (-1 when absent). */
  vlanCount = 0;
  vlanOuter = -1;
  vlanInner = -1;
  /** Link-level packet type: 0 host, 1 broadcast, 2 multicast, 3 other host (from dst MAC or SLL); SLL/SLL2 also 4 outgoing. */
  pktType = 0;

  // --- network layer ---
  l3 = 0; // L3.*
  /** Offset of the IP header in data (-1 when not IP). */
  l3Off = -1;
  ipHdrLen = 0;
  ipTotalLen = 0;
  ipTos = 0;
  ipId = 0;
  /** Raw flags+fragment-offset field (16 bits). */
  ipFragField = 0;
  /** Fragment offset in bytes, and the MF / DF bits as 0/1. */
  fragOffset = 0;
  moreFrags = 0;
  dontFrag = 0;
  ipTtl = 0;
  /** IP protocol (IPv6: the upper-layer next header after the extension headers). */
  ipProto = 0;
  ipCsum = 0;
  /** IPv4 addresses (0 for IPv6, whose addresses stay in the frame at l3Off + 8 and l3Off + 24). */
  saddr = 0;
  daddr = 0;

  // --- transport layer (first fragment only) ---
  /** Offset of the L4 header (-1 when absent: non-first fragment, unknown protocol, truncated). */
  l4Off = -1;
  /** Bytes of L4 header + payload according to the IP total length (not the capture). */
  l4Len = 0;
  sport = 0;
  dport = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpFlags = 0;
  /** TCP header length in bytes (data offset * 4). */
  tcpHdrLen = 0;
  tcpWindow = 0;
  /** Offset of the MSS option's kind byte (-1 when absent), and its value. */
  tcpMssOff = -1;
  tcpMss = 0;
  /** Window scale shift (-1 when absent), SACK-permitted (0/1), timestamps (offset of kind byte or -1). */
  tcpWscale = -1;
  tcpSackPerm = 0;
  tcpTsOff = -1;
  tcpTsVal = 0;
  tcpTsEcr = 0;
  l4Csum = 0;
  icmpType = 0;
  icmpCode = 0;
  /** Echo identifier/sequence (echo request/reply and timestamp types), else 0. */
  icmpId = 0;
  icmpSeq = 0;
  /** Offset and length of the L4 payload. */
  payloadOff = 0;
  payloadLen = 0;

  // --- IP header quoted inside an ICMP error (dest-unreachable, time-exceeded, param-problem...) ---
  /** Offset of the inner IPv4 header (-1 when absent). */
  innerL3Off = -1;
  innerIpHdrLen = 0;
  innerProto = 0;
  innerSaddr = 0;
  innerDaddr = 0;
  /** Inner ports, or ICMP id (in innerSport) and type/code (innerDport = type << 8 | code) for inner ICMP. */
  innerSport = 0;
  innerDport = 0;
  /** Offset of the inner L4 header (-1 when not captured) and how many of its bytes are present. */
  innerL4Off = -1;
  innerL4Avail = 0;

  // --- verification and events ---
  /** Csum.* bits. */
  csum = 0;
  /** First decode event of this packet (0 = none; see decode/events) and the byte offset it concerns. */
  event = 0;
  eventOffset = -1;
}

const EMPTY = new Uint8Array(0);
