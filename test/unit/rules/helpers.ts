// Test helpers for the rule language: parse a one-rule set, build packets (Skb over PacketMeta), and
// environments that record what targets hand to the datapath.

import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import type { ParseResult } from '../../../src/netfilter/rules/parse.js';
import type { MatchCall, Rule } from '../../../src/netfilter/rules/ast.js';
import { Family, TargetType } from '../../../src/netfilter/rules/ast.js';
import type { MatchEnv, TargetEnv, LoadContext } from '../../../src/netfilter/rules/module.js';
import { BasicLoadContext } from '../../../src/netfilter/rules/module.js';
import { ObservedDnat } from '../../../src/netfilter/rules/nat-reach.js';
import type { EventTargetData, StatefulTargetData } from '../../../src/netfilter/rules/target-data.js';
import type { IpSetCatalog } from '../../../src/netfilter/rules/ipset.js';
import { PacketMeta } from '../../../src/decode/meta.js';
import { Skb, Verdict, AddrType, NONE } from '../../../src/netfilter/skb.js';
import type { RuleHost } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { NO_CONNTRACK } from '../../../src/netfilter/rules/rule-conntrack.js';
import type { RuleConntrack } from '../../../src/netfilter/rules/rule-conntrack.js';

/** Parse `-A CHAIN rule` in a table; returns the result (issues included). */
export function parseOne(rule: string, table = 'filter', chain = 'INPUT', ipsets: IpSetCatalog | null = null): ParseResult {
  return parseRuleSet(`*${table}\n-A ${chain} ${rule}\nCOMMIT\n`, { family: Family.IPV4, ipsets });
}

/** Parse a rule that must load; throws with the issues otherwise. */
export function ruleOf(rule: string, table = 'filter', chain = 'INPUT', ipsets: IpSetCatalog | null = null): Rule {
  const r = parseOne(rule, table, chain, ipsets);
  if (r.issues.length > 0) throw new Error(r.issues.map((i) => `${i.code} ${i.message}`).join('; '));
  return r.ruleset.rules[0]!;
}

/** The first match of a rule that must load. */
export function matchOf(rule: string, table = 'filter', chain = 'INPUT', ipsets: IpSetCatalog | null = null): MatchCall {
  const m = ruleOf(rule, table, chain, ipsets).matches[0];
  if (m === undefined) throw new Error('rule has no match');
  return m;
}

/** A packet: PacketMeta fields (addresses as dotted strings allowed) and Skb fields. */
export function skbOf(meta: Partial<Record<keyof PacketMeta, unknown>> = {}, skb: Partial<Record<keyof Skb, number>> = {}): Skb {
  const m = new PacketMeta();
  m.l3 = 1;
  m.l3Off = 14;
  m.l2Len = 14;
  m.ipHdrLen = 20;
  m.ipTtl = 64;
  m.ipProto = 6;
  m.l4Off = 34;
  m.l4Len = 20;
  m.tcpHdrLen = 20;
  for (const [k, v] of Object.entries(meta)) {
    (m as unknown as Record<string, unknown>)[k] = typeof v === 'string' && (k === 'saddr' || k === 'daddr') ? parseIpv4(v) : v;
  }
  const s = new Skb(m);
  for (const [k, v] of Object.entries(skb)) (s as unknown as Record<string, number>)[k] = v;
  return s;
}

/** A MatchEnv whose host says LOCAL for the given addresses (optionally only on a device), UNICAST otherwise. */
export class TestMatchEnv implements MatchEnv {
  hotdrop = 0;
  readonly observedDnat = new ObservedDnat();
  randoms: number[] = [];
  names: string[];
  host: RuleHost;
  /** `-m rpfilter`: the device each source's route back leaves by (sources not listed have no route back). */
  routesBack: Map<number, number>;
  conntrack: RuleConntrack;
  /** `-m devgroup`: device groups by interface id (ids not listed are in group 0). */
  groups: Map<number, number>;
  constructor(
    opts: { local?: Array<[string, number]>; names?: string[]; randoms?: number[]; routesBack?: Array<[string, number]>; conntrack?: RuleConntrack; groups?: Array<[number, number]> } = {},
  ) {
    this.groups = new Map(opts.groups ?? []);
    this.conntrack = opts.conntrack ?? NO_CONNTRACK;
    this.names = opts.names ?? [];
    this.randoms = opts.randoms ?? [];
    this.routesBack = new Map((opts.routesBack ?? []).map(([a, dev]) => [parseIpv4(a), dev]));
    const local = (opts.local ?? []).map(([a, dev]) => [parseIpv4(a), dev] as const);
    this.host = {
      addrType(addr: number, limitIf: number): number {
        const hit = local.some(([a, dev]) => a === addr && (limitIf === NONE || dev === NONE || dev === limitIf));
        return hit ? AddrType.LOCAL : AddrType.UNICAST;
      },
      isLoopbackDevice: (id: number): boolean => this.names[id] === 'lo',
      routeBackVia: (skb: Skb, loose: boolean): boolean => {
        const via = this.routesBack.get(skb.meta.saddr);
        return via !== undefined && (loose || via === skb.inIf);
      },
      deviceGroup: (id: number): number => this.groups.get(id) ?? 0,
    };
  }
  ifName(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new RangeError(`no interface ${id}`);
    return n;
  }
  random32(): number {
    const v = this.randoms.shift();
    if (v === undefined) throw new Error('test ran out of random numbers');
    return v >>> 0;
  }
}

/** A TargetEnv that records the records it is handed and answers stateful targets with `verdict`. */
export class RecordingTargetEnv implements TargetEnv {
  stateCalls: StatefulTargetData[] = [];
  events: EventTargetData[] = [];
  constructor(public verdict: number = Verdict.ACCEPT) {}
  stateful(data: StatefulTargetData): number {
    this.stateCalls.push(data);
    return this.verdict;
  }
  event(data: EventTargetData): void {
    this.events.push(data);
  }
}

/** Evaluate the first match of a rule on a packet (creating its state with `ctx`). */
export function evalMatch(call: MatchCall, skb: Skb, env: MatchEnv, ctx: LoadContext = new BasicLoadContext()): boolean {
  const st = call.module.createState(call.data, ctx);
  return call.module.match(call.data, skb, env, st);
}

/** Run the extension target of a rule on a packet. */
export function runTarget(rule: Rule, skb: Skb, env: TargetEnv, ctx: LoadContext = new BasicLoadContext()): number {
  const t = rule.target;
  if (t.type !== TargetType.EXTENSION) throw new Error('not an extension target');
  return t.module.target(t.data, skb, env, t.module.createState(t.data, ctx));
}
