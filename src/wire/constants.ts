// Protocol numbers shared by the header views and the decoder: EtherTypes, ARP hardware types, ICMP and
// ICMPv6 types, TCP option kinds and lengths, IPv6 extension headers, BSD loopback address families and
// Linux cooked-capture packet types. Values are the on-wire numbers (IANA / linux/if_ether.h).

export { IpProto, TcpFlag } from '../decode/meta.js';

/** EtherType values (linux/if_ether.h ETH_P_*). Values below 0x0600 are 802.3 lengths, not types. */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  /** 802.1Q customer tag. */
  VLAN: 0x8100,
  /** 802.1ad service tag (QinQ outer tag). */
  QINQ: 0x88a8,
  /** Pre-standard QinQ outer tag used by some switches. */
  QINQ_9100: 0x9100,
  IPV6: 0x86dd,
  MPLS_UC: 0x8847,
  MPLS_MC: 0x8848,
  PPPOE_DISC: 0x8863,
  PPPOE_SES: 0x8864,
  LLDP: 0x88cc,
  /** Smallest value that is an EtherType rather than an 802.3 length. */
  MIN_TYPE: 0x0600,
} as const;

/** Linux cooked capture "protocol" values that are not EtherTypes (linux/if_ether.h). */
export const SllProto = { ETH_P_802_3: 0x0001, ETH_P_802_2: 0x0004, ETH_P_CAN: 0x000c } as const;

/** ARPHRD_* device types (linux/if_arp.h) seen in SLL/SLL2 headers and ARP. */
export const ArpHrd = { ETHER: 1, IEEE802: 6, PPP: 512, TUNNEL: 768, LOOPBACK: 772, IPGRE: 778, NETLINK: 824, NONE: 0xfffe, VOID: 0xffff } as const;

/** ARP opcodes. */
export const ArpOp = { REQUEST: 1, REPLY: 2, RREQUEST: 3, RREPLY: 4 } as const;

/** SLL/SLL2 packet types (linux/if_packet.h PACKET_*). */
export const SllPktType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;

/** Address families found in the 4-byte header of LINKTYPE_NULL / LINKTYPE_LOOP. */
export const LoopbackAf = { INET: 2, INET6_BSD: 24, INET6_FREEBSD: 28, INET6_DARWIN: 30 } as const;

/** ICMP types (linux/icmp.h). */
export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO: 8,
  ROUTER_ADVERT: 9,
  ROUTER_SOLICIT: 10,
  TIME_EXCEEDED: 11,
  PARAMETER_PROB: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
  INFO_REQUEST: 15,
  INFO_REPLY: 16,
  ADDRESS: 17,
  ADDRESS_REPLY: 18,
} as const;

/** ICMPv6 types (linux/icmpv6.h). */
export const Icmp6Type = {
  DEST_UNREACH: 1,
  PKT_TOOBIG: 2,
  TIME_EXCEED: 3,
  PARAMPROB: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  MLD_QUERY: 130,
  MLD_REPORT: 131,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOUR_SOLICIT: 135,
  NEIGHBOUR_ADVERT: 136,
  NI_QUERY: 139,
  NI_REPLY: 140,
  HAAD_REQUEST: 144,
  HAAD_REPLY: 145,
} as const;

/** IPv6 next-header values that are extension headers (plus "no next header"). */
export const Ipv6Ext = { HOPOPTS: 0, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, NONE: 59, DSTOPTS: 60, MOBILITY: 135 } as const;

/** TCP option kinds and the lengths the kernel requires for them (include/net/tcp.h TCPOPT_*, TCPOLEN_*). */
export const TcpOpt = { EOL: 0, NOP: 1, MSS: 2, WINDOW: 3, SACK_PERM: 4, SACK: 5, TIMESTAMP: 8, MD5SIG: 19, AO: 29, MPTCP: 30, FASTOPEN: 34, EXP: 254 } as const;
export const TcpOptLen = { MSS: 4, WINDOW: 3, SACK_PERM: 2, TIMESTAMP: 10 } as const;

/** Largest window-scale shift the kernel accepts (TCP_MAX_WSCALE); larger values are clamped to it. */
export const TCP_MAX_WSCALE = 14;
