// The conntrack contract the packet path and NAT program against: nf_conntrack_in / __nf_conntrack_confirm
// entry points, entry accessors, NAT's uniqueness and by-source queries, statistics and dumps. Entries are
// record indices into a shared table (NONE = no entry). Every read and write carries a viewer (the skb's
// vCPU and start time) so that the vCPU visibility model of ARCHITECTURE.md holds. Additive changes only.

import type { HookNumber, Skb } from '../skb.js';
import type { Tuple } from './tuple.js';
import type { HostSysctls } from '../../host/sysctl.js';

export { Tuple, invertTuple, icmpInvertType } from './tuple.js';

/**
 * Who is looking: the modeled CPU and the virtual time (ns since replay start). An Skb is a Viewer (its
 * `vcpu` and `nowNs`, the packet's start time), so callers pass the skb itself; nothing is allocated.
 */
export interface Viewer {
  readonly vcpu: number;
  readonly nowNs: number;
}

/** enum tcp_conntrack (nf_conntrack_tcp.h). */
export const TcpState = {
  NONE: 0,
  SYN_SENT: 1,
  SYN_RECV: 2,
  ESTABLISHED: 3,
  FIN_WAIT: 4,
  CLOSE_WAIT: 5,
  LAST_ACK: 6,
  TIME_WAIT: 7,
  CLOSE: 8,
  SYN_SENT2: 9,
} as const;
export type TcpStateNumber = (typeof TcpState)[keyof typeof TcpState];

/** tcp_conntrack_names, as conntrack -L prints them. */
export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;

/** Per-CPU `conntrack -S` counters (struct ip_conntrack_stat as ctnetlink reports them), in -S order. */
export const CtStat = {
  FOUND: 0,
  INVALID: 1,
  INSERT: 2,
  INSERT_FAILED: 3,
  DROP: 4,
  EARLY_DROP: 5,
  ERROR: 6,
  SEARCH_RESTART: 7,
  CLASH_RESOLVE: 8,
  CHAINTOOLONG: 9,
} as const;
export type CtStatNumber = (typeof CtStat)[keyof typeof CtStat];
export const CT_STAT_COUNT = 10;
export const CT_STAT_NAMES = [
  'found',
  'invalid',
  'insert',
  'insert_failed',
  'drop',
  'early_drop',
  'error',
  'search_restart',
  'clash_resolve',
  'chaintoolong',
] as const;

/** The sysctls conntrack reads (net.netfilter.nf_conntrack_*; timeouts in seconds): part of the host's. */
export type ConntrackSysctls = Pick<
  HostSysctls,
  | 'conntrackMax'
  | 'conntrackBuckets'
  | 'conntrackChecksum'
  | 'conntrackAcct'
  | 'tcpLoose'
  | 'tcpBeLiberal'
  | 'tcpMaxRetrans'
  | 'tcpIgnoreInvalidRst'
  | 'udpTimeout'
  | 'udpTimeoutStream'
  | 'icmpTimeout'
  | 'genericTimeout'
  | 'tcpTimeoutSynSent'
  | 'tcpTimeoutSynRecv'
  | 'tcpTimeoutEstablished'
  | 'tcpTimeoutFinWait'
  | 'tcpTimeoutCloseWait'
  | 'tcpTimeoutLastAck'
  | 'tcpTimeoutTimeWait'
  | 'tcpTimeoutClose'
  | 'tcpTimeoutMaxRetrans'
  | 'tcpTimeoutUnacknowledged'
>;

/** Construction options; every field has a default (see conntrack.ts `createConntrack`). */
export interface ConntrackOptions {
  /** Host sysctls (HostSysctls from host/sysctl.ts fits); missing fields take the kernel defaults. */
  sysctls?: Partial<ConntrackSysctls>;
  /** Number of modeled CPUs (--cpus); per-CPU statistics and the visibility model use it. Default 1. */
  cpus?: number;
  /** Service time c (ns): a write by a packet starting at s becomes visible to other vCPUs at s + c. */
  serviceNs?: number;
  /** Seed for bucket placement and the chain-length limit draw. Default 0. */
  seed?: number;
}

/** One direction of a dumped entry. */
export interface CtTupleDump {
  src: number;
  dst: number;
  /** TCP/UDP ports; 0 for ICMP and protocols without ports. */
  sport: number;
  dport: number;
  /** ICMP only: type, code, id (else -1). */
  icmpType: number;
  icmpCode: number;
  icmpId: number;
  packets: number;
  bytes: number;
}

/** A conntrack entry as `conntrack -L` sees it (and report.json records it). */
export interface CtEntryDump {
  /** Table record index (stable while the entry lives). */
  id: number;
  proto: number;
  /** Whole seconds left at the dump time (ctnetlink's timeout: floor, never negative). */
  timeout: number;
  /** TCP state name, or '' for other protocols. */
  state: string;
  original: CtTupleDump;
  reply: CtTupleDump;
  /** IPS_* status bits. */
  status: number;
  mark: number;
  /** The entry's zone, packed as Tuple.zone (0: the default zone). */
  zone: number;
  use: number;
  /** vCPU and start time (ns) of the packet that created the entry; virtual time it became visible. */
  createdVcpu: number;
  createdNs: number;
  confirmedNs: number;
}

/**
 * The conntrack engine. Entry handles are table record indices (number); NONE (-1) means no entry.
 * All per-packet methods are allocation-free.
 */
export interface ConntrackApi {
  /** Number of modeled CPUs. */
  readonly cpus: number;
  /** Record capacity: NAT and others may keep side arrays indexed by entry handle of this length. */
  readonly capacity: number;

  // --- packet path -------------------------------------------------------------------------------
  /**
   * nf_conntrack_in (ipv4_conntrack_in / ipv4_conntrack_local) at PRE_ROUTING or LOCAL_OUT. Skips a packet
   * that already has a ct or is untracked; otherwise attaches an existing entry, a RELATED one for ICMP
   * errors, or a new unconfirmed entry, runs the L4 tracker and fills skb.ct, skb.ctInfo and the ct snapshot
   * fields. An invalid packet leaves skb.ct = NONE. Returns Verdict.ACCEPT or Verdict.DROP.
   */
  in(skb: Skb, hook: HookNumber): number;
  /**
   * nf_conntrack_confirm / __nf_conntrack_confirm at the end of POST_ROUTING or LOCAL_IN, `finishNs` being
   * the packet's finish time f. Inserts an unconfirmed entry under both tuples, or resolves a clash
   * (nf_ct_resolve_clash): the skb may be re-attached to the winner. Returns Verdict.DROP when the packet
   * must be dropped (insert_failed); the loser entry is then freed and skb.ct is NONE.
   */
  confirm(skb: Skb, finishNs: number): number;
  /** The packet is dropped before confirm: free its unconfirmed entry (nf_ct_put of the last reference). */
  release(skb: Skb): void;
  /** Refresh skb's ct snapshot fields (ctStatus, ctMark, tuples, ctExpiresNs) as the skb sees its entry. */
  syncSkb(skb: Skb): void;
  /** nf_ct_set: attach `ct` with `ctinfo` to a packet (kernel-generated packets); syncs the snapshot. */
  attach(skb: Skb, ct: number, ctinfo: number): void;
  /**
   * nf_conntrack_attach (REJECT): attach `nskb` to `skb`'s entry in the other direction: RELATED_REPLY
   * when skb is original-direction, RELATED otherwise. No-op when skb has no entry.
   */
  attachReverse(nskb: Skb, skb: Skb): void;

  // --- entry accessors (as seen by the viewer) ------------------------------------------------------
  /** IPS_* status bits of `ct`. */
  status(ct: number, viewer: Viewer): number;
  /** ct->mark. */
  mark(ct: number, viewer: Viewer): number;
  /** CONNMARK: set ct->mark as written by `writer`. */
  setMark(ct: number, mark: number, writer: Viewer): void;
  /** Set IPS_* bits (NAT: SRC_NAT, DST_NAT, *_NAT_DONE). */
  setStatusBits(ct: number, bits: number, writer: Viewer): void;
  /** True once __nf_conntrack_confirm inserted the entry (nf_ct_is_confirmed). */
  isConfirmed(ct: number): boolean;
  /** L4 protocol number of the entry. */
  proto(ct: number): number;
  /** TCP state (TcpState.*) as seen by the viewer; NONE for other protocols. */
  tcpState(ct: number, viewer: Viewer): number;
  /** Copy the ORIGINAL (dir 0) or REPLY (dir 1) tuple of `ct` into `out`. */
  getTuple(ct: number, dir: number, out: Tuple): Tuple;
  /** Virtual time (ns) at which the entry expires as the viewer sees it (unconfirmed: now + timeout). */
  expiresNs(ct: number, viewer: Viewer): number;
  /** nf_conntrack_tcp_set_closing (REJECT --reject-with tcp-reset): a confirmed TCP entry moves to CLOSE. */
  setTcpClose(ct: number, writer: Viewer): void;

  // --- NAT ----------------------------------------------------------------------------------------
  /**
   * nf_conntrack_tuple_taken: is `tuple` used (either direction) by a confirmed, live entry other than
   * `ignoredCt` that the viewer can see? An entry whose ORIGINAL tuple equals ignoredCt's ORIGINAL tuple does
   * not count (left to clash resolution). Counts `found` on the viewer's CPU when taken.
   */
  tupleTaken(tuple: Tuple, ignoredCt: number, viewer: Viewer): boolean;
  /** Rewrite the REPLY tuple of an unconfirmed entry (nf_nat_setup_info); proto is kept. */
  setReplyTuple(ct: number, reply: Tuple): void;
  /**
   * Register `ct` in the by-source index (nf_nat_setup_info, SRC manip), keyed by its ORIGINAL source
   * address, source port and protocol. Lookups only return it once confirmed.
   */
  bySourceAdd(ct: number): void;
  /** find_appropriate_src iteration: first confirmed, live, visible entry with this ORIGINAL src/sport/proto. */
  bySourceFirst(src: number, sport: number, proto: number, viewer: Viewer): number;
  /** Next entry after `ct` with the same key (NONE at the end). */
  bySourceNext(ct: number, src: number, sport: number, proto: number, viewer: Viewer): number;
  /**
   * nf_conntrack_find_get: the live entry holding `tuple` in either direction that `viewer` can see, as
   * `ct * 2 + dir` (dir 0 ORIGINAL, 1 REPLY), or -1. Counts nothing (nf_nat_used_tuple_new).
   */
  findHash(tuple: Tuple, viewer: Viewer): number;
  /** ct->proto.tcp.seen[0].td_end as the viewer sees it, unsigned 32-bit (nf_nat_used_tuple_harder). */
  tcpOrigTdEnd(ct: number, viewer: Viewer): number;
  /** nf_ct_kill by `writer`: true when this call deleted the entry (false if it was already dying). */
  kill(ct: number, writer: Viewer): boolean;
  /** nf_conn_acct of `ct` in direction `dir`: packets, or bytes; -1 without nf_conntrack_acct. HOT. */
  acctCounter(ct: number, dir: number, bytes: boolean): number;

  // --- statistics and dumps -------------------------------------------------------------------------
  /** One `conntrack -S` counter of one CPU. */
  stat(cpu: number, stat: number): number;
  /** Entries currently allocated and not dying (nf_conntrack_count). */
  count(): number;
  /** `conntrack -L`: confirmed entries alive at `atNs`, oldest first; IPS_NAT_CLASH entries are hidden. */
  dump(atNs: number): CtEntryDump[];
}
