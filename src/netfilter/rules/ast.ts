// The iptables-save / iptables-restore rule set as data: a RuleSet of table sections, chains with policies
// and counters, and rules split the way the kernel's struct ipt_entry is (the ip_packet_match part, the
// matches in order, one target). Every value the evaluator needs is already a number; the original text is
// kept beside it for messages and for printing comments and blank lines back unchanged.

import type { MatchModule, TargetModule } from './module.js';

/** Address family of a rule set: iptables (IPv4) or ip6tables (IPv6). Evaluation is IPv4-only. */
export const Family = { IPV4: 4, IPV6: 6 } as const;
export type FamilyNumber = (typeof Family)[keyof typeof Family];

/** The five tables of the IPv4 family and their builtin chains in hook order (iptable_*.c). */
export const TABLE_BUILTINS: Readonly<Record<string, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Packet and byte counters as iptables-save prints them (`[pkts:bytes]`); u64 in the kernel, so bigint. */
export interface Counters {
  pkts: bigint;
  bytes: bigint;
}

/** An IPv6 prefix as 4 host-order 32-bit words plus its mask, with the canonical text (inet_ntop form). */
export interface Ip6Prefix {
  /** Address words, most significant first, host bits already cleared by the mask. */
  addr: readonly [number, number, number, number];
  mask: readonly [number, number, number, number];
  /** Prefix length, or -1 when the mask is not contiguous. */
  len: number;
  /** Canonical address text without the mask (`fd49:efd7:54aa::1`). */
  text: string;
}

/**
 * The `ip_packet_match` part of a rule (struct ipt_ip): addresses, interfaces, protocol and the fragment flag,
 * each with its `!`. An absent test is its match-everything value (mask 0, empty interface, protocol 0).
 */
export interface IpHeaderMatch {
  /** IPv4 source/destination as unsigned 32-bit host-order numbers, already masked; masks likewise. */
  src: number;
  srcMask: number;
  invSrc: boolean;
  dst: number;
  dstMask: number;
  invDst: boolean;
  /** IPv6 source/destination (ip6tables rule sets only), null when absent. */
  src6: Ip6Prefix | null;
  dst6: Ip6Prefix | null;
  /** Input/output interface: name without the `+`, `wildcard` for a trailing `+` (prefix match), '' = any. */
  inIface: string;
  inWildcard: boolean;
  invIn: boolean;
  outIface: string;
  outWildcard: boolean;
  invOut: boolean;
  /** IP protocol number, 0 = all. */
  proto: number;
  invProto: boolean;
  /** `-f`: only non-first fragments (`! -f`: only unfragmented packets and first fragments). */
  fragment: boolean;
  invFragment: boolean;
}

/** One `-m` match of a rule, in rule order. */
export interface MatchCall {
  /** Module name as printed after `-m` (`tcp`, `conntrack`, ...). */
  name: string;
  module: MatchModule;
  /** True for an explicit `-m name`; false when iptables loaded it implicitly after `-p name`. */
  explicit: boolean;
  /** The module's parsed, immutable data (its own record type; see the module file). */
  data: unknown;
  /** 1-based column of the `-m` (or of the first option of an implicit match) in the source line. */
  column: number;
}

/** Kinds of rule targets. */
export const TargetType = {
  /** No `-j`: a counting rule, evaluation continues with the next rule. */
  NONE: 0,
  /** ACCEPT, DROP, RETURN or QUEUE. */
  VERDICT: 1,
  /** `-j CHAIN`: push a return address and continue in CHAIN. */
  JUMP: 2,
  /** `-g CHAIN`: continue in CHAIN without pushing. */
  GOTO: 3,
  /** An extension target module (MARK, DNAT, LOG, ...). */
  EXTENSION: 4,
} as const;
export type TargetTypeNumber = (typeof TargetType)[keyof typeof TargetType];

/** The standard verdict names and their values (Verdict in skb.ts: ACCEPT 1, DROP 0, QUEUE 3, RETURN -5). */
export const STANDARD_VERDICTS: Readonly<Record<string, number>> = { ACCEPT: 1, DROP: 0, QUEUE: 3, RETURN: -5 };

export interface NoTarget {
  type: typeof TargetType.NONE;
}
export interface VerdictTarget {
  type: typeof TargetType.VERDICT;
  /** 'ACCEPT' | 'DROP' | 'RETURN' | 'QUEUE'. */
  name: string;
  /** Verdict.ACCEPT / DROP / QUEUE / RETURN from skb.ts. */
  verdict: number;
}
export interface JumpTarget {
  type: typeof TargetType.JUMP | typeof TargetType.GOTO;
  /** The user chain jumped to (declared in the same table). */
  chain: string;
}
export interface ExtensionTarget {
  type: typeof TargetType.EXTENSION;
  name: string;
  module: TargetModule;
  /** The module's parsed, immutable data. */
  data: unknown;
}
export type Target = NoTarget | VerdictTarget | JumpTarget | ExtensionTarget;

/** One `-A` line. */
export interface Rule {
  /** Index in RuleSet.rules (file order over the whole set). */
  id: number;
  table: string;
  chain: string;
  /** 1-based position in its chain (the kernel TRACE `rule:N`). */
  num: number;
  /** 1-based line of the rule and column of its `-A`. */
  line: number;
  column: number;
  /** The source line as written (without the line break). */
  text: string;
  /** `[pkts:bytes]` prefix (or `-c pkts bytes`), null when absent. */
  counters: Counters | null;
  /** True when the counters came from the `[pkts:bytes]` prefix (printed back as a prefix). */
  countersPrefix: boolean;
  ip: IpHeaderMatch;
  matches: MatchCall[];
  target: Target;
  /** 1-based column of `-j`/`-g` (0 when there is none). */
  targetColumn: number;
}

/** A chain declared with `:NAME POLICY [pkts:bytes]` (or a builtin chain the section did not list). */
export interface Chain {
  name: string;
  builtin: boolean;
  /** 'ACCEPT' | 'DROP' for builtin chains, null for user chains (`-`). */
  policy: string | null;
  /** Verdict.ACCEPT or Verdict.DROP for builtin chains, -1 for user chains. */
  policyVerdict: number;
  /** Counters written on the chain line (null when absent or when the chain line itself was absent). */
  counters: Counters | null;
  /** Line of the declaration; 0 for a builtin chain the section did not declare. */
  line: number;
  rules: Rule[];
}

/** Lines of a table section, in file order, so that printing reproduces the section. */
export type TableItem =
  | { kind: 'chain'; chain: Chain }
  | { kind: 'rule'; rule: Rule }
  | { kind: 'comment'; line: number; text: string }
  | { kind: 'blank'; line: number; text: string };

/** One `*table` … `COMMIT` section. */
export interface Table {
  name: string;
  /** Line of the `*table` header. */
  line: number;
  /**
   * Chains in declaration order; builtin chains the section did not declare follow (line 0, policy ACCEPT, as
   * iptables-restore leaves them). Printing uses `items`, so undeclared builtins are not printed.
   */
  chains: Chain[];
  items: TableItem[];
  /** Line of COMMIT, 0 when the section was not committed (an error). */
  commitLine: number;
}

/** Top-level lines of the file, in order. */
export type TopItem =
  | { kind: 'table'; table: Table }
  | { kind: 'comment'; line: number; text: string }
  | { kind: 'blank'; line: number; text: string };

/** A parsed rule-set file. */
export interface RuleSet {
  /** Source path ('' when parsed from a string). */
  path: string;
  family: FamilyNumber;
  items: TopItem[];
  /** Table sections in file order. */
  tables: Table[];
  /** Every rule of every table in file order; `rules[r.id] === r`. */
  rules: Rule[];
}

/** Find a table section by name. */
export function findTable(rs: RuleSet, name: string): Table | undefined {
  return rs.tables.find((t) => t.name === name);
}

/** Find a chain of a table by name. */
export function findChain(t: Table, name: string): Chain | undefined {
  return t.chains.find((c) => c.name === name);
}

/** A fresh IpHeaderMatch that matches everything. */
export function emptyIpMatch(): IpHeaderMatch {
  return {
    src: 0,
    srcMask: 0,
    invSrc: false,
    dst: 0,
    dstMask: 0,
    invDst: false,
    src6: null,
    dst6: null,
    inIface: '',
    inWildcard: false,
    invIn: false,
    outIface: '',
    outWildcard: false,
    invOut: false,
    proto: 0,
    invProto: false,
    fragment: false,
    invFragment: false,
  };
}
