// Test helper: builds RuleSet ASTs directly (no parser) with small stub match/target modules, and the
// environments and packets the engine needs. Used by the engine's unit and conformance suites.
import type { Chain, IpHeaderMatch, MatchCall, Rule, RuleSet, Table, Target } from '../../../src/netfilter/rules/ast.js';
import { Family, TABLE_BUILTINS, TargetType, emptyIpMatch } from '../../../src/netfilter/rules/ast.js';
import type { MatchEnv, MatchModule, TargetEnv, TargetModule } from '../../../src/netfilter/rules/module.js';
import { TargetEffect } from '../../../src/netfilter/rules/module.js';
import type { RuleEnv } from '../../../src/netfilter/rules/engine-env.js';
import { Skb, Verdict } from '../../../src/netfilter/skb.js';
import type { RuleHost } from '../../../src/netfilter/skb.js';
import { PacketMeta } from '../../../src/decode/meta.js';
import { Prng } from '../../../src/util/prng.js';
import { ObservedDnat } from '../../../src/netfilter/rules/nat-reach.js';

export const ACCEPT: Target = { type: TargetType.VERDICT, name: 'ACCEPT', verdict: Verdict.ACCEPT };
export const DROP: Target = { type: TargetType.VERDICT, name: 'DROP', verdict: Verdict.DROP };
export const QUEUE: Target = { type: TargetType.VERDICT, name: 'QUEUE', verdict: Verdict.QUEUE };
export const RETURN: Target = { type: TargetType.VERDICT, name: 'RETURN', verdict: Verdict.RETURN };
export const NONE: Target = { type: TargetType.NONE };
export const jump = (chain: string): Target => ({ type: TargetType.JUMP, chain });
export const goto = (chain: string): Target => ({ type: TargetType.GOTO, chain });
export function ext(module: TargetModule, data: unknown): Target {
  return { type: TargetType.EXTENSION, name: module.name, module, data };
}
export function call(module: MatchModule, data: unknown): MatchCall {
  return { name: module.name, module, explicit: true, data, column: 1 };
}

function stubBase(name: string) {
  return {
    name,
    family: 0 as const,
    options: [],
    init: () => ({}),
    parse: () => undefined,
    finish: () => undefined,
    print: () => '',
  };
}

/** A match module whose match() is `fn` (state: whatever createState returns). */
export function stubMatch<D, S = null>(
  name: string,
  fn: (data: D, skb: Skb, env: MatchEnv, state: S) => boolean,
  createState: () => S = () => null as S,
): MatchModule<D, S> {
  return { ...stubBase(name), kind: 'match', createState, match: fn } as unknown as MatchModule<D, S>;
}

/** A target module whose target() is `fn`. */
export function stubTarget<D>(name: string, fn: (data: D, skb: Skb, env: TargetEnv) => number): TargetModule<D, null> {
  return { ...stubBase(name), kind: 'target', effect: TargetEffect.PURE, createState: () => null, target: fn } as unknown as TargetModule<D, null>;
}

/** `(skb.mark & mask) === value`. */
export const markIs = stubMatch<{ value: number; mask: number }>('xmark', (d, skb) => ((skb.mark & d.mask) >>> 0) === d.value);
/** Sets hotdrop and fails (a truncated header). */
export const hotdropper = stubMatch<null>('xhot', (_d, _skb, env) => {
  env.hotdrop = 1;
  return false;
});
/** Sets hotdrop yet reports a match. */
export const hotdropTrue = stubMatch<null>('xhottrue', (_d, _skb, env) => {
  env.hotdrop = 1;
  return true;
});
/** Matches every `every`-th evaluation (per-rule state, like -m statistic --mode nth). */
export const nth = stubMatch<{ every: number }, { n: number }>(
  'xnth',
  (d, _skb, _env, st) => {
    const hit = st.n % d.every === 0;
    st.n++;
    return hit;
  },
  () => ({ n: 0 }),
);
/** `random32() < p * 2^32` (consumes one draw per evaluation, like -m statistic --mode random). */
export const randomBelow = stubMatch<{ p: number }>('xrand', (d, _skb, env) => env.random32() < d.p * 4294967296);
/** Appends its label to a log (to see evaluation order), then answers `result`. */
export function spy(log: string[]): MatchModule<{ label: string; result: boolean }, null> {
  return stubMatch<{ label: string; result: boolean }>('xspy', (d) => {
    log.push(d.label);
    return d.result;
  });
}
/** MARK-like pure target: mark = (mark & ~mask) ^ value, CONTINUE. */
export const setMark = stubTarget<{ value: number; mask: number }>('XMARK', (d, skb) => {
  skb.mark = ((skb.mark & ~d.mask) ^ d.value) >>> 0;
  return Verdict.CONTINUE;
});
/** A target that returns a fixed verdict (like DNAT → ACCEPT, REJECT → DROP). */
export const fixed = stubTarget<{ v: number }>('XFIXED', (d) => d.v);

export interface RuleSpec extends Partial<IpHeaderMatch> {
  m?: MatchCall[];
  j?: Target;
}

/** Builds one table section. */
export class TableBuilder {
  readonly table: Table;
  private readonly owner: RuleSetBuilder;

  constructor(owner: RuleSetBuilder, name: string, policies: Record<string, 'ACCEPT' | 'DROP'>) {
    this.owner = owner;
    const chains: Chain[] = (TABLE_BUILTINS[name] ?? []).map((c) => {
      const policy = policies[c] ?? 'ACCEPT';
      return { name: c, builtin: true, policy, policyVerdict: policy === 'DROP' ? Verdict.DROP : Verdict.ACCEPT, counters: null, line: 0, rules: [] };
    });
    this.table = { name, line: 0, chains, items: [], commitLine: 1 };
  }

  user(...names: string[]): this {
    for (const name of names) this.table.chains.push({ name, builtin: false, policy: null, policyVerdict: -1, counters: null, line: 0, rules: [] });
    return this;
  }

  add(chain: string, spec: RuleSpec = {}): this {
    const c = this.table.chains.find((x) => x.name === chain);
    if (c === undefined) throw new Error(`no chain ${chain}`);
    const ip: IpHeaderMatch = { ...emptyIpMatch() };
    for (const [k, v] of Object.entries(spec)) if (k !== 'm' && k !== 'j') (ip as unknown as Record<string, unknown>)[k] = v;
    const r: Rule = {
      id: this.owner.rules.length,
      table: this.table.name,
      chain,
      num: c.rules.length + 1,
      line: this.owner.rules.length + 1,
      column: 1,
      text: `-A ${chain} ...`,
      counters: null,
      countersPrefix: false,
      ip,
      matches: spec.m ?? [],
      target: spec.j ?? NONE,
      targetColumn: 0,
    };
    c.rules.push(r);
    this.owner.rules.push(r);
    return this;
  }
}

/** Builds a RuleSet. */
export class RuleSetBuilder {
  readonly rules: Rule[] = [];
  private readonly tables: TableBuilder[] = [];

  table(name: string, policies: Record<string, 'ACCEPT' | 'DROP'> = {}): TableBuilder {
    const t = new TableBuilder(this, name, policies);
    this.tables.push(t);
    return t;
  }

  build(): RuleSet {
    const tables = this.tables.map((t) => t.table);
    return { path: '', family: Family.IPV4, items: tables.map((table) => ({ kind: 'table' as const, table })), tables, rules: this.rules };
  }
}

/** A RuleEnv with a stub host, seeded random, and a target callback answering `stateful`. */
export function makeEnv(interfaceName: (id: number) => string, seed = 1, stateful = Verdict.ACCEPT, host: RuleHost = { addrType: () => 0 }): RuleEnv {
  const rng = new Prng(seed);
  const match: MatchEnv = {
    host,
    ifName: interfaceName,
    random32: () => rng.u32(),
    observedDnat: new ObservedDnat(),
    hotdrop: 0,
  };
  const target: TargetEnv = { stateful: () => stateful, event: () => undefined };
  return { match, target };
}

/** A TCP packet with the given fields (meta.l4Off etc. set as decode would for a complete header). */
export function tcpPacket(f: Partial<{ saddr: number; daddr: number; sport: number; dport: number; len: number; inIf: number; outIf: number; mark: number; proto: number; fragOffset: number }>): Skb {
  const m = new PacketMeta();
  m.l3 = 1;
  m.frameOff = 0;
  m.l3Off = 0;
  m.ipHdrLen = 20;
  m.ipTotalLen = f.len ?? 60;
  m.caplen = m.ipTotalLen;
  m.wirelen = m.ipTotalLen;
  m.ipProto = f.proto ?? 6;
  m.saddr = f.saddr ?? 0x0a000001;
  m.daddr = f.daddr ?? 0x0a000002;
  m.fragOffset = f.fragOffset ?? 0;
  m.l4Off = m.fragOffset === 0 ? 20 : -1;
  m.l4Len = m.fragOffset === 0 ? Math.max(0, m.ipTotalLen - 20) : 0;
  m.sport = f.sport ?? 40000;
  m.dport = f.dport ?? 80;
  m.tcpHdrLen = 20;
  m.tcpFlags = 0x02;
  const skb = new Skb(m);
  skb.inIf = f.inIf ?? -1;
  skb.outIf = f.outIf ?? -1;
  skb.mark = f.mark ?? 0;
  return skb;
}
