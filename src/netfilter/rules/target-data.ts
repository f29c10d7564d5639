// Typed records of the targets the datapath carries out (TargetEnv.stateful) or records (TargetEnv.event),
// and of the pure targets the rules layer applies itself. Each is a rule's parsed, immutable target data;
// values are numbers in kernel units (addresses unsigned 32-bit host order, NF_NAT_RANGE_* flags, enum
// ipt_reject_with codes) so nothing needs re-parsing per packet. `kind` discriminates the union.

import type { Ip6Prefix } from './ast.js';

/** Which target a data record belongs to. */
export const TargetKind = {
  // pure: applied by the rules layer
  MARK: 1,
  CONNMARK: 2,
  CHECKSUM: 3,
  CLASSIFY: 4,
  HMARK: 5,
  SET: 9,
  // events: TargetEnv.event()
  LOG: 10,
  NFLOG: 11,
  TRACE: 12,
  // stateful: TargetEnv.stateful()
  DNAT: 20,
  SNAT: 21,
  MASQUERADE: 22,
  REDIRECT: 23,
  REJECT: 24,
  TCPMSS: 25,
  TTL: 26,
  NOTRACK: 27,
  CT: 28,
  NFQUEUE: 29,
  TOS: 30,
  DSCP: 31,
  TCPOPTSTRIP: 32,
  ECN: 33,
  NETMAP: 39,
} as const;
export type TargetKindNumber = (typeof TargetKind)[keyof typeof TargetKind];

/** NF_NAT_RANGE_* flag bits (uapi nf_nat.h), under the name the rules layer uses. */
export { NatRangeFlag as NatFlag } from '../nat/range.js';

/**
 * DNAT / SNAT / MASQUERADE / REDIRECT: one struct nf_nat_range2. `manip` is 0 (SRC) for SNAT/MASQUERADE,
 * 1 (DST) for DNAT/REDIRECT. Addresses count only with MAP_IPS, ports only with PROTO_SPECIFIED,
 * `baseProto` only with PROTO_OFFSET. For ip6tables sets the addresses are in `minAddr6`/`maxAddr6`.
 */
export interface NatTargetData {
  kind: typeof TargetKind.DNAT | typeof TargetKind.SNAT | typeof TargetKind.MASQUERADE | typeof TargetKind.REDIRECT;
  manip: 0 | 1;
  flags: number;
  minAddr: number;
  maxAddr: number;
  minProto: number;
  maxProto: number;
  baseProto: number;
  minAddr6: string | null;
  maxAddr6: string | null;
}

/**
 * NETMAP (nf_nat_ipv4_multi_range_compat; nf_nat_range for ip6tables): the network `--to` names as its first
 * and last address, so the netmask is ~(minAddr ^ maxAddr). Per packet netmap_tg4 keeps the host part of the
 * address the hook's manip rewrites and takes the network part from minAddr; `flags` (MAP_IPS) and the proto
 * bounds (0: iptables gives none) are copied into that one-address range. ip6tables keeps the prefix in `net6`.
 */
export interface NetmapData {
  kind: typeof TargetKind.NETMAP;
  flags: number;
  minAddr: number;
  maxAddr: number;
  minProto: number;
  maxProto: number;
  net6: Ip6Prefix | null;
}

/** enum ipt_reject_with (IPv4). */
export const RejectWith = {
  ICMP_NET_UNREACHABLE: 0,
  ICMP_HOST_UNREACHABLE: 1,
  ICMP_PROT_UNREACHABLE: 2,
  ICMP_PORT_UNREACHABLE: 3,
  ICMP_ECHOREPLY: 4,
  ICMP_NET_PROHIBITED: 5,
  ICMP_HOST_PROHIBITED: 6,
  TCP_RESET: 7,
  ICMP_ADMIN_PROHIBITED: 8,
} as const;

/** enum ip6t_reject_with (IPv6). */
export const Reject6With = {
  ICMP6_NO_ROUTE: 0,
  ICMP6_ADM_PROHIBITED: 1,
  ICMP6_NOT_NEIGHBOUR: 2,
  ICMP6_ADDR_UNREACH: 3,
  ICMP6_PORT_UNREACH: 4,
  ICMP6_ECHOREPLY: 5,
  TCP_RESET: 6,
  ICMP6_POLICY_FAIL: 7,
  ICMP6_REJECT_ROUTE: 8,
} as const;

/** REJECT: the original packet is dropped; `with` (RejectWith / Reject6With) says what is sent back. */
export interface RejectData {
  kind: typeof TargetKind.REJECT;
  with: number;
  family: 4 | 6;
}

/** XT_TCPMSS_CLAMP_PMTU: the `mss` value meaning `--clamp-mss-to-pmtu`. */
export const TCPMSS_CLAMP_PMTU = 0xffff;

/** TCPMSS: `--set-mss N` (clamp false, mss N) or `--clamp-mss-to-pmtu` (clamp true, mss 0xffff). */
export interface TcpmssData {
  kind: typeof TargetKind.TCPMSS;
  mss: number;
  clamp: boolean;
}

/** TTL modes (enum of ipt_TTL.h: IPT_TTL_SET 0, INC 1, DEC 2). */
export const TtlMode = { SET: 0, INC: 1, DEC: 2 } as const;

/** TTL: set, increment or decrement the IPv4 TTL (the datapath rewrites the header and its checksum). */
export interface TtlData {
  kind: typeof TargetKind.TTL;
  mode: number;
  value: number;
}

/** NOTRACK (or `CT --notrack`): the packet becomes untracked. */
export interface NotrackData {
  kind: typeof TargetKind.NOTRACK;
}

/** CT target (xt_ct_target_info_v1). `notrack` true behaves as NOTRACK; the rest alter the template. */
export interface CtData {
  kind: typeof TargetKind.CT;
  notrack: boolean;
  /** XT_CT_* flag bits as the kernel has them (NOTRACK 1, CT_ZONE_DIR_ORIG 2, CT_ZONE_DIR_REPL 4, ZONE_MARK 8). */
  flags: number;
  zone: number;
  helper: string;
  timeout: string;
  /** IPCT_* event bit masks. */
  ctEvents: number;
  expEvents: number;
}

/** NFQUEUE: queue to userspace queue `queueNum` (.. + queuesTotal - 1 with --queue-balance). */
export interface NfqueueData {
  kind: typeof TargetKind.NFQUEUE;
  queueNum: number;
  queuesTotal: number;
  /** `--queue-bypass`: accept when no program listens. */
  bypass: boolean;
  /** `--queue-cpu-fanout`. */
  cpuFanout: boolean;
}

/** TOS: `tos = (tos & ~mask) ^ value` (xt_DSCP.c tos_tg). */
export interface TosData {
  kind: typeof TargetKind.TOS;
  value: number;
  mask: number;
}

/** DSCP: set the 6-bit DSCP field of the TOS byte. */
export interface DscpData {
  kind: typeof TargetKind.DSCP;
  dscp: number;
}

/**
 * TCPOPTSTRIP (xt_tcpoptstrip_target_info): strip_bmap, eight 32-bit words; bit `k & 31` of word `k >> 5`
 * set strips every option of kind k (kinds 0 and 1, EOL and NOP, are never set by iptables).
 */
export interface TcpoptstripData {
  kind: typeof TargetKind.TCPOPTSTRIP;
  bmap: readonly number[];
}

/** IPT_ECN_OP_* bits of ipt_ECN_info.operation (uapi ipt_ECN.h). */
export const EcnOp = { SET_IP: 0x01, SET_ECE: 0x10, SET_CWR: 0x20 } as const;

/** ECN (ipt_ECN_info): the operation bits, the IP ECT codepoint (0..3) and the TCP ECE/CWR values (0/1). */
export interface EcnData {
  kind: typeof TargetKind.ECN;
  operation: number;
  ipEct: number;
  ece: number;
  cwr: number;
}

/** LOG flags (XT_LOG_*). */
export const LogFlag = { TCPSEQ: 0x01, TCPOPT: 0x02, IPOPT: 0x04, UID: 0x08, MACDECODE: 0x20 } as const;

/** LOG: syslog level 0..7, prefix, XT_LOG_* flags. */
export interface LogData {
  kind: typeof TargetKind.LOG;
  level: number;
  prefix: string;
  flags: number;
}

/** NFLOG: netlink group, prefix, copy range and queue threshold. */
export interface NflogData {
  kind: typeof TargetKind.NFLOG;
  group: number;
  prefix: string;
  /** Copy length (`--nflog-size`/`--nflog-range`), -1 when not given. */
  size: number;
  threshold: number;
}

/** TRACE: the packet is traced from here on (nf_trace). */
export interface TraceData {
  kind: typeof TargetKind.TRACE;
}

/** MARK: `skb->mark = (skb->mark & ~mask) ^ value` (xt_mark.c mark_tg). */
export interface MarkData {
  kind: typeof TargetKind.MARK;
  value: number;
  mask: number;
}

/** CONNMARK modes (XT_CONNMARK_SET 0, SAVE 1, RESTORE 2). */
export const ConnmarkMode = { SET: 0, SAVE: 1, RESTORE: 2 } as const;

/** CONNMARK (xt_connmark_tginfo2, shift fields 0 unless `--left-shift-mark`/`--right-shift-mark`). */
export interface ConnmarkData {
  kind: typeof TargetKind.CONNMARK;
  mode: number;
  ctmark: number;
  ctmask: number;
  nfmask: number;
  /** 0 = left, 1 = right (D_SHIFT_LEFT/RIGHT). */
  shiftDir: number;
  shiftBits: number;
}

/** CHECKSUM `--checksum-fill`: completes a CHECKSUM_PARTIAL checksum; replayed packets carry full ones. */
export interface ChecksumData {
  kind: typeof TargetKind.CHECKSUM;
  fill: boolean;
}

/** CLASSIFY `--set-class MAJOR:MINOR` (xt_classify_target_info): skb->priority = major << 16 | minor. */
export interface ClassifyData {
  kind: typeof TargetKind.CLASSIFY;
  priority: number;
}

/**
 * HMARK (struct xt_hmark_info, IPv4): skb->mark = reciprocal_scale(hash, `mod`) + `offset`, the hash a
 * jhash_3words of the masked, ordered addresses and ports with `rnd` (xt_HMARK.c hmark_hash). The port word
 * masks are the 4 bytes at the start of the L4 header read big-endian (source port high, destination port
 * low; an SPI whole); `flags` are XT_HMARK_* bits (XT_HMARK_CT: the conntrack tuples instead of the packet).
 */
export interface HmarkData {
  kind: typeof TargetKind.HMARK;
  flags: number;
  srcMask: number;
  dstMask: number;
  portMask: number;
  portSet: number;
  protoMask: number;
  rnd: number;
  mod: number;
  offset: number;
}

/**
 * SET (xt_set_info_target_v3 without map-set): the sets to add the packet to and delete it from, each by name
 * with its src/dst flags (bit i set: dimension i reads the source) and their count (0: no such set), the
 * IPSET_FLAG_EXIST flag and the add's timeout in seconds (-1 when `--timeout` is not given).
 */
export interface SetTargetData {
  kind: typeof TargetKind.SET;
  addName: string;
  addFlags: number;
  addDims: number;
  delName: string;
  delFlags: number;
  delDims: number;
  exist: boolean;
  timeout: number;
}

/** Records handed to TargetEnv.stateful(). */
export type StatefulTargetData =
  | NetmapData
  | NatTargetData
  | RejectData
  | TcpmssData
  | TtlData
  | NotrackData
  | CtData
  | NfqueueData
  | TosData
  | DscpData
  | TcpoptstripData
  | EcnData;

/** Records handed to TargetEnv.event(). */
export type EventTargetData = LogData | NflogData | TraceData;
