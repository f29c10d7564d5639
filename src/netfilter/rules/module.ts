// The contract between the rule language and the rule engine: what a match or target module is (parse its
// options, final-check them, validate against the table and hooks, print canonical text, evaluate), the
// environments evaluation runs in (MatchEnv, TargetEnv, LoadContext), and the registry of built-in modules.
// Mirrors the split of x_tables: xtables userspace parse/print (libxt_*.c) + kernel checkentry and match/target.

import type { FamilyNumber, IpHeaderMatch, MatchCall } from './ast.js';
import type { RuleHost, Skb } from '../skb.js';
import type { EventTargetData, StatefulTargetData } from './target-data.js';
import type { IpSetCatalog } from './ipset.js';
import type { ObservedDnat } from './nat-reach.js';
import type { RuleConntrack } from './rule-conntrack.js';

export type { EventTargetData, StatefulTargetData } from './target-data.js';

/** Bit of a hook in a hook mask: `1 << Hook.X` (Hook in skb.ts). */
export const HookBit = {
  PRE_ROUTING: 1 << 0,
  LOCAL_IN: 1 << 1,
  FORWARD: 1 << 2,
  LOCAL_OUT: 1 << 3,
  POST_ROUTING: 1 << 4,
} as const;

/** One option a module accepts (an xt_option_entry): `--name [value [value2]]`. */
export interface OptionSpec {
  /** Long name without the dashes (`dport`). Unique prefixes are accepted, as getopt_long does. */
  name: string;
  /** Other spellings of the same option (`sport` for `source-port`); they share its id and repeat count. */
  alias?: readonly string[];
  /** Number of values it takes: 0, 1 or 2 (`--tcp-flags MASK COMP`, `--match-set NAME FLAGS`). */
  args: 0 | 1 | 2;
  /** A `!` may precede it. */
  invert?: boolean;
  /** It may be given more than once (otherwise a repeat is an error, as XTOPT_MULTI is absent). */
  multi?: boolean;
}

/** One option occurrence handed to a module's parse(). */
export interface OptionUse {
  /** Index into the module's `options`. */
  id: number;
  /** Canonical long name (not the prefix the user typed). */
  name: string;
  /** Values ('' when the option takes none). */
  value: string;
  value2: string;
  invert: boolean;
}

/** What parse() and finish() know about the rule being parsed. */
export interface ParseContext {
  family: FamilyNumber;
  table: string;
  chain: string;
  /** The rule's ip_packet_match part; complete in finish(), possibly partial in parse(). */
  ip: IpHeaderMatch;
  /** ipset contents the user supplied, if any. */
  ipsets: IpSetCatalog | null;
  /** Reject the current option (or, in finish(), the module): throws; the parser records the issue. */
  fail(code: string, message: string): never;
}

/** What check() (the kernel's checkentry at table load) knows about the rule. */
export interface CheckContext {
  family: FamilyNumber;
  table: string;
  /** HookBit mask of the hooks whose builtin chains reach this rule (0 when its chain is unreachable). */
  hookMask: number;
  ip: IpHeaderMatch;
  matches: readonly MatchCall[];
  /** Record a load-time problem (does not throw; several may be recorded). */
  error(code: string, message: string): void;
}

/** What print() needs. */
export interface PrintContext {
  family: FamilyNumber;
}

/**
 * Where virtual time 0 lies on the wall clock: the capture timestamp of the first replayed packet, as whole
 * seconds since the Unix epoch and nanoseconds (the replay's output clock, engine/outputs.ts Clock).
 */
export interface WallClock {
  baseSec: number;
  baseNsec: number;
}

/**
 * Per-packet environment of matches. One instance per engine/vCPU, reused for every packet.
 * The packet's virtual time is `skb.nowNs`.
 */
export interface MatchEnv {
  /** Host facts (address types for `-m addrtype`). */
  host: RuleHost;
  /** Name of an interned interface id (the datapath's Interner). */
  ifName(id: number): string;
  /** Seeded uniform unsigned 32-bit value (`-m statistic --mode random`, get_random_u32()). */
  random32(): number;
  /** The kernel's DNAT of the packet being walked, when the capture shows it (steers random statistics). */
  readonly observedDnat: ObservedDnat;
  /**
   * Set to 1 by a match that wants the packet dropped at once (xt_action_param.hotdrop: a truncated TCP
   * header, a TCP fragment at offset 1). The engine clears it before each rule walk and drops when it is set.
   */
  hotdrop: number;
  /** Conntrack beyond the skb's snapshot: accounting (`-m connbytes`), lookups (`-m connlimit`). */
  readonly conntrack: RuleConntrack;
  /**
   * The wall clock at virtual time 0, for matches that read real time (`-m time`: clock + skb.nowNs). Absent:
   * virtual time counts from the Unix epoch itself.
   */
  readonly clock?: WallClock;
}

/**
 * The datapath's side of target evaluation: targets the rules layer cannot carry out itself. One instance
 * per engine/vCPU. The data records are the rule's parsed, immutable target data (target-data.ts).
 */
export interface TargetEnv {
  /**
   * DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP, REJECT, TCPMSS, TTL, TOS, DSCP, TCPOPTSTRIP, ECN, NOTRACK, CT, NFQUEUE:
   * returns a Verdict.
   */
  stateful(data: StatefulTargetData, skb: Skb): number;
  /** LOG, NFLOG, TRACE: record the event; the rule walk continues. */
  event(data: EventTargetData, skb: Skb): void;
}

/** What createState() gets when a rule set is loaded (once per load; shared by every rule of that load). */
export interface LoadContext {
  /** Interned id of an interface name (the datapath's Interner; unknown names are interned too). */
  ifIndex(name: string): number;
  /** An object shared by every rule of this load under `key` (e.g. `-m recent` lists by name), made once. */
  shared<T>(key: string, make: () => T): T;
  /** Kernel HZ for jiffies arithmetic (`-m limit`, `-m recent`); 250 unless told otherwise. */
  hz: number;
  /** ipset contents, when supplied. */
  ipsets: IpSetCatalog | null;
}

/** Fields common to match and target modules. */
export interface ModuleBase<D> {
  /** Name after `-m` / `-j`. */
  readonly name: string;
  /** 0 for both families, else Family.IPV4 or Family.IPV6. */
  readonly family: 0 | FamilyNumber;
  readonly options: readonly OptionSpec[];
  /** Tables the kernel allows it in (undefined: all). */
  readonly tables?: readonly string[];
  /** HookBit mask the kernel allows it in (undefined: all). */
  readonly hooks?: number;
  /** Protocol the rule must name with a non-inverted `-p` (xt_match.proto), 0 or undefined for none. */
  readonly proto?: number;
  /** Fresh data before any option (defaults). */
  init(ctx: ParseContext): D;
  /** One option, in rule order (x6_parse). Calls ctx.fail() on bad input. */
  parse(data: D, opt: OptionUse, ctx: ParseContext): void;
  /** After the rule's last option: mandatory options, combinations (x6_fcheck). */
  finish(data: D, ctx: ParseContext): void;
  /** Load-time checks beyond tables/hooks/proto (the kernel's checkentry). */
  check?(data: D, ctx: CheckContext): void;
  /** Canonical iptables-save text after `-m name` / `-j NAME`, without a leading space ('' for none). */
  print(data: D, ctx: PrintContext): string;
}

/** A match module (`xt_match` + its libxt extension). */
export interface MatchModule<D = unknown, S = unknown> extends ModuleBase<D> {
  readonly kind: 'match';
  /** Per-rule mutable state (nth counter, token bucket, shared recent table...), made at load. */
  createState(data: D, ctx: LoadContext): S;
  /** HOT: does the packet match? No allocation. May set env.hotdrop. */
  match(data: D, skb: Skb, env: MatchEnv, state: S): boolean;
}

/** How a target is carried out. */
export const TargetEffect = {
  /** The rules layer applies it to the skb itself (MARK, CONNMARK, CHECKSUM) and continues. */
  PURE: 0,
  /** Recorded through TargetEnv.event() and the walk continues (LOG, NFLOG, TRACE). */
  EVENT: 1,
  /** Carried out by the datapath through TargetEnv.stateful(), which returns the verdict. */
  STATEFUL: 2,
} as const;
export type TargetEffectNumber = (typeof TargetEffect)[keyof typeof TargetEffect];

/** A target module (`xt_target` + its libxt extension). */
export interface TargetModule<D = unknown, S = unknown> extends ModuleBase<D> {
  readonly kind: 'target';
  readonly effect: TargetEffectNumber;
  createState(data: D, ctx: LoadContext): S;
  /** HOT: apply the target; returns a Verdict (Verdict.CONTINUE to go on with the next rule). */
  target(data: D, skb: Skb, env: TargetEnv, state: S): number;
}

export type AnyModule = MatchModule | TargetModule;

/** Built-in modules by name and family. */
export class ModuleRegistry {
  private readonly matches = new Map<string, MatchModule[]>();
  private readonly targets = new Map<string, TargetModule[]>();

  addMatch(m: MatchModule): void {
    const l = this.matches.get(m.name) ?? [];
    l.push(m);
    this.matches.set(m.name, l);
  }

  addTarget(t: TargetModule): void {
    const l = this.targets.get(t.name) ?? [];
    l.push(t);
    this.targets.set(t.name, l);
  }

  /** The match module `name` for `family`, or undefined when not supported. */
  match(name: string, family: FamilyNumber): MatchModule | undefined {
    return this.matches.get(name)?.find((m) => m.family === 0 || m.family === family);
  }

  /** The target module `name` for `family`, or undefined when not supported. */
  target(name: string, family: FamilyNumber): TargetModule | undefined {
    return this.targets.get(name)?.find((t) => t.family === 0 || t.family === family);
  }

  matchNames(): string[] {
    return [...this.matches.keys()].sort();
  }

  targetNames(): string[] {
    return [...this.targets.keys()].sort();
  }
}

/** A LoadContext for tests and simple callers: its own interner-like id map and shared-object table. */
export class BasicLoadContext implements LoadContext {
  hz: number;
  ipsets: IpSetCatalog | null;
  private readonly ids = new Map<string, number>();
  private readonly objs = new Map<string, unknown>();
  private readonly intern: ((name: string) => number) | null;

  constructor(opts: { hz?: number; ipsets?: IpSetCatalog | null; intern?: (name: string) => number } = {}) {
    this.hz = opts.hz ?? 250;
    this.ipsets = opts.ipsets ?? null;
    this.intern = opts.intern ?? null;
  }

  ifIndex(name: string): number {
    if (this.intern !== null) return this.intern(name);
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(name, id);
    }
    return id;
  }

  shared<T>(key: string, make: () => T): T {
    if (!this.objs.has(key)) this.objs.set(key, make());
    return this.objs.get(key) as T;
  }
}
