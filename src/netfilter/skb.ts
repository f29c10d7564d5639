// The packet as netfilter sees it while it walks the hooks (the kernel's sk_buff plus its nf_conn
// attachment), and the kernel constants every netfilter module shares: hooks, priorities, verdicts,
// ctinfo, conntrack status bits, address types. Rule evaluation, conntrack, NAT and the path all use these.

import { PacketMeta } from '../decode/meta.js';

/** Netfilter IPv4 hooks (enum nf_inet_hooks). */
export const Hook = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;
export type HookNumber = (typeof Hook)[keyof typeof Hook];
export const HOOK_NAMES = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

/** enum nf_ip_hook_priorities (include/uapi/linux/netfilter_ipv4.h). */
export const NfIpPri = {
  RAW_BEFORE_DEFRAG: -450,
  CONNTRACK_DEFRAG: -400,
  RAW: -300,
  SELINUX_FIRST: -225,
  CONNTRACK: -200,
  MANGLE: -150,
  NAT_DST: -100,
  FILTER: 0,
  SECURITY: 50,
  NAT_SRC: 100,
  SELINUX_LAST: 225,
  CONNTRACK_HELPER: 300,
  CONNTRACK_CONFIRM: 0x7fffffff,
} as const;

/** Netfilter verdicts (NF_*) and the x_tables pseudo-verdicts. */
export const Verdict = {
  DROP: 0,
  ACCEPT: 1,
  STOLEN: 2,
  QUEUE: 3,
  REPEAT: 4,
  STOP: 5,
  /** XT_CONTINUE: an extension target asks to go on with the next rule. */
  CONTINUE: -1,
  /** XT_RETURN. */
  RETURN: -5,
} as const;

/** enum ip_conntrack_info. */
export const CtInfo = {
  ESTABLISHED: 0,
  RELATED: 1,
  NEW: 2,
  ESTABLISHED_REPLY: 3,
  RELATED_REPLY: 4,
} as const;

/** enum ip_conntrack_status bits. */
export const CtStatus = {
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  TEMPLATE: 1 << 11,
  /** IPS_NAT_CLASH shares bit 12 with IPS_UNTRACKED in the kernel. */
  NAT_CLASH: 1 << 12,
  HELPER: 1 << 13,
  OFFLOAD: 1 << 14,
  HW_OFFLOAD: 1 << 15,
} as const;

/** Conntrack direction. */
export const CtDir = { ORIGINAL: 0, REPLY: 1 } as const;

/** xt_addrtype / RTN_* type bits as the addrtype match uses them (1 << RTN_x). */
export const AddrType = {
  UNSPEC: 1 << 0,
  UNICAST: 1 << 1,
  LOCAL: 1 << 2,
  BROADCAST: 1 << 3,
  ANYCAST: 1 << 4,
  MULTICAST: 1 << 5,
  BLACKHOLE: 1 << 6,
  UNREACHABLE: 1 << 7,
  PROHIBIT: 1 << 8,
  THROW: 1 << 9,
  NAT: 1 << 10,
  XRESOLVE: 1 << 11,
} as const;

/** No interface / no conntrack entry. */
export const NONE = -1;

/** Skb.ctTmpl bits. */
export const CtTmpl = { ATTACHED: 1, ZONE_FROM_MARK: 2 } as const;

/** Skb.sock values. */
export const SockKind = { NONE: 0, KERNEL: 1 } as const;

/**
 * One packet in flight through the hooks. Reused per packet by the path; every field is a number so the
 * shape stays monomorphic. `meta` reflects the current header values (after any NAT/mangle so far).
 */
export class Skb {
  meta: PacketMeta;
  /** Hook being traversed (Hook.*). */
  hook = 0;
  /** Interned ids (see IfaceIds) of state->in and state->out, or NONE. For bridged traffic: the bridge. */
  inIf = NONE;
  outIf = NONE;
  /** Bridge ports for br_netfilter traffic (physdev), or NONE. */
  physIn = NONE;
  physOut = NONE;
  /** 1 when the packet is being bridged (br_netfilter), 0 when routed/local. */
  bridged = 0;
  /** skb->mark. */
  mark = 0;
  /**
   * skb->pkt_type as the path keeps it (PACKET_HOST 0, BROADCAST 1, MULTICAST 2, OTHERHOST 3, OUTGOING 4,
   * LOOPBACK 5): from the destination MAC on arrival, HOST once a bridge takes a frame for itself or
   * br_netfilter routes it, OUTGOING for what the host sends.
   */
  pktType = 0;
  /**
   * The socket the packet is sent from, as `-m owner` sees it (SockKind): none for forwarded packets and
   * those REJECT's nf_send_reset builds; a kernel control socket (no file, so no owner) for what the host's
   * own stack answers with (ICMP, the RST for a closed port).
   */
  sock = 0;
  /**
   * A CT target's template: CtTmpl bits (attached; its zone id comes from the mark, `--zone mark`), and the
   * zone it gives the packet (packed as Tuple.zone; 0 the default), read when conntrack looks it up.
   */
  ctTmpl = 0;
  ctZone = 0;
  /** Conntrack entry index, or NONE (INVALID); `untracked` 1 for NOTRACK. */
  ct = NONE;
  ctInfo = 0;
  untracked = 0;
  /** Snapshot of the attached entry's fields that matches read (kept current by the path). */
  ctStatus = 0;
  ctMark = 0;
  ctProto = 0;
  ctOrigSrc = 0;
  ctOrigDst = 0;
  ctOrigSport = 0;
  ctOrigDport = 0;
  ctReplSrc = 0;
  ctReplDst = 0;
  ctReplSport = 0;
  ctReplDport = 0;
  /** Virtual time the entry expires (ns since replay start), for --ctexpire; 0 while it is unconfirmed. */
  ctExpiresNs = 0;
  /** Virtual time of this packet (ns since replay start): `-m limit`, `-m recent`. */
  nowNs = 0;
  /** Modeled CPU processing this packet (per-CPU stacks and counters). */
  vcpu = 0;

  constructor(meta: PacketMeta = new PacketMeta()) {
    this.meta = meta;
  }
}

/** Host facts rule matches need (implemented by host/ for replay and by stubs in tests). */
export interface RuleHost {
  /** AddrType bits of `addr` per the FIB; with limitIf != NONE only addresses of that device count as LOCAL. */
  addrType(addr: number, limitIf: number): number;
  /** Is interned interface `id` a loopback device (`-m rpfilter` lets its packets pass)? */
  isLoopbackDevice(id: number): boolean;
  /**
   * rpfilter_lookup_reverse: is the route back to `skb`'s source unicast (or local, with `acceptLocal`),
   * leaving by its input device (by any device when `loose`)? The packet's mark counts with `validMark`.
   */
  routeBackVia(skb: Skb, loose: boolean, acceptLocal: boolean, validMark: boolean): boolean;
  /** dev->group of interned interface `id` (`-m devgroup`); 0, the default group, for ids the host lacks. HOT. */
  deviceGroup(id: number): number;
}
