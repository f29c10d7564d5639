// Compiled ≡ interpreted: for random rule sets (user chains with jumps, gotos and returns, negations, interface
// wildcards, marks, stateful and hotdropping matches, runs of indexable service rules) and random packets, the
// compiler — in both code shapes, with indexes forced on short runs — and the reference interpreter give the
// same verdict, deciding entry, rulesVisited, hotdrop/overflow flags, skb mark and counters, packet by packet.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Interner } from '../../src/util/intern.js';
import { loadEngine, runTable, RuleResult } from '../../src/netfilter/rules/engine.js';
import type { RuleEngine } from '../../src/netfilter/rules/engine.js';
import type { MatchCall, RuleSet, Target } from '../../src/netfilter/rules/ast.js';
import { Verdict } from '../../src/netfilter/skb.js';
import type { Skb } from '../../src/netfilter/skb.js';
import { tcpMatch, udpMatch, TcpInv } from '../../src/netfilter/rules/match/xt_tcpudp.js';
import { commentMatch } from '../../src/netfilter/rules/match/xt_comment.js';
import { connmarkMatch, markMatch } from '../../src/netfilter/rules/match/xt_mark.js';
import { CtFlag, conntrackMatchModule, stateMatchModule } from '../../src/netfilter/rules/match/xt_conntrack.js';
import type { ConntrackData } from '../../src/netfilter/rules/match/xt_conntrack.js';
import { addrtypeMatch } from '../../src/netfilter/rules/match/xt_addrtype.js';
import { AddrType, CtStatus } from '../../src/netfilter/skb.js';
import { StatisticMode, statisticMatch } from '../../src/netfilter/rules/match/xt_statistic.js';
import { connmarkTarget, markTarget } from '../../src/netfilter/rules/target/xt_MARK.js';
import { ConnmarkMode, TargetKind } from '../../src/netfilter/rules/target-data.js';
import type { RuleHost } from '../../src/netfilter/skb.js';
import {
  ACCEPT, DROP, NONE, QUEUE, RETURN, RuleSetBuilder, call, ext, fixed, goto, hotdropper, jump, makeEnv, markIs, nth, randomBelow, setMark, tcpPacket,
} from '../unit/rules-engine/ast-builder.js';
import type { RuleSpec } from '../unit/rules-engine/ast-builder.js';

const commentData = { comment: 'x', given: true };

const IFACES = ['eth0', 'docker0', 'br-a', 'br-b', 'veth1', 'veth22'];
const PREFIXES = ['br-', 'veth', 'docker', 'e'];
const ADDRS = [0x0a000001, 0x0a000002, 0x0a600001, 0x0a600002, 0xac110002, 0xc0a80001, 0x7f000001, 0xffffffff];
const PORTS = [53, 80, 443, 8080, 30000];
const MASKS = [0, 0xff000000, 0xffff0000, 0xffffff00, 0xffffffff];

const addrArb = fc.record({ a: fc.constantFrom(...ADDRS), mask: fc.constantFrom(...MASKS), inv: fc.boolean() });
/** Mostly absent, so that rules match often enough for their matches and targets to be exercised. */
function rarely<T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });
}
const ifArb = rarely(fc.record({ exact: fc.boolean(), name: fc.constantFrom(...IFACES), prefix: fc.constantFrom(...PREFIXES, ''), inv: fc.boolean() }));
const portRange = fc.oneof(
  fc.constant<[number, number]>([0, 0xffff]),
  fc.constantFrom(...PORTS).map((p): [number, number] => [p, p]),
  fc.tuple(fc.constantFrom(...PORTS), fc.constantFrom(...PORTS)).map(([a, b]): [number, number] => [Math.min(a, b), Math.max(a, b)]),
);

type MatchRecipe =
  | { k: 'tcp'; spt: [number, number]; dpt: [number, number]; inv: number; flgMask: number; flgCmp: number; option: number }
  | { k: 'udp'; spt: [number, number]; dpt: [number, number]; inv: number }
  | { k: 'mark'; value: number; mask: number }
  | { k: 'nth'; every: number }
  | { k: 'rand'; p: number }
  | { k: 'comment' }
  | { k: 'hot' }
  | { k: 'xmark'; conn: boolean; value: number; mask: number; invert: boolean }
  | { k: 'ct'; alias: boolean; stateMask: number; inv: boolean; proto: number | null; invProto: boolean; status: number | null }
  | { k: 'addrtype'; source: number; dest: number; flags: number }
  | { k: 'statistic'; nth: boolean; invert: boolean; p: number; every: number };

const matchArb: fc.Arbitrary<MatchRecipe> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('tcp' as const), spt: portRange, dpt: portRange, inv: fc.integer({ min: 0, max: 7 }), flgMask: fc.constantFrom(0, 0x17, 0x02, 0x12), flgCmp: fc.constantFrom(0, 0x02, 0x12), option: fc.constantFrom(0, 0, 0, 2) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('udp' as const), spt: portRange, dpt: portRange, inv: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('mark' as const), value: fc.constantFrom(0, 1, 0x4000), mask: fc.constantFrom(1, 0x4000, 0xffffffff) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('nth' as const), every: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rand' as const), p: fc.constantFrom(0.25, 0.5, 0.75) }) },
  { weight: 2, arbitrary: fc.constant({ k: 'comment' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'hot' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('xmark' as const), conn: fc.boolean(), value: fc.constantFrom(0, 1, 0x4000, 0x80000000), mask: fc.constantFrom(1, 0x4000, 0xffffffff, 0x80004000), invert: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('ct' as const),
      alias: fc.boolean(),
      stateMask: fc.integer({ min: 1, max: 127 }),
      inv: fc.boolean(),
      proto: fc.option(fc.constantFrom(6, 17), { nil: null }),
      invProto: fc.boolean(),
      status: fc.option(fc.constantFrom(CtStatus.SEEN_REPLY, CtStatus.ASSURED), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('statistic' as const), nth: fc.boolean(), invert: fc.boolean(), p: fc.constantFrom(0, 0.3333333333, 0.5, 1), every: fc.integer({ min: 1, max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('addrtype' as const), source: fc.constantFrom(0, AddrType.LOCAL, AddrType.UNICAST | AddrType.BROADCAST), dest: fc.constantFrom(0, AddrType.LOCAL, AddrType.UNICAST), flags: fc.integer({ min: 0, max: 11 }).filter((f) => (f & 12) !== 12) }),
  },
);

type TargetRecipe =
  | { k: 'accept' | 'drop' | 'queue' | 'return' | 'none' }
  | { k: 'jump' | 'goto'; to: number }
  | { k: 'mark'; value: number; mask: number }
  | { k: 'fixed'; v: number }
  | { k: 'connmark'; mode: number; value: number; mask: number };
const targetArb: fc.Arbitrary<TargetRecipe> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom({ k: 'accept' as const }, { k: 'drop' as const }, { k: 'queue' as const }) },
  { weight: 2, arbitrary: fc.constantFrom({ k: 'return' as const }, { k: 'none' as const }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constantFrom('jump' as const, 'goto' as const), to: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('mark' as const), value: fc.constantFrom(1, 0x4000), mask: fc.constantFrom(1, 0x4000, 0xffffffff) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fixed' as const), v: fc.constantFrom(Verdict.ACCEPT, Verdict.DROP, Verdict.STOLEN) }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('connmark' as const), mode: fc.constantFrom(ConnmarkMode.SET, ConnmarkMode.SAVE, ConnmarkMode.RESTORE), value: fc.constantFrom(0, 2, 0x4000), mask: fc.constantFrom(0xffffffff, 0x4000, 3) }),
  },
);

const ruleArb = fc.record({
  src: rarely(addrArb),
  dst: rarely(addrArb),
  inIf: ifArb,
  outIf: ifArb,
  proto: fc.constantFrom(0, 0, 0, 6, 17, 1),
  invProto: fc.boolean(),
  frag: fc.constantFrom(0, 0, 0, 0, 0, 1, 2),
  matches: fc.array(matchArb, { maxLength: 2 }),
  target: targetArb,
});
type RuleRecipe = typeof ruleArb extends fc.Arbitrary<infer T> ? T : never;

/** A run of service-like rules: -d VIP/32 -p tcp|udp --dport P, residual tests sometimes. */
const serviceArb = fc.record({
  vip: fc.constantFrom(...ADDRS.slice(0, 5)),
  exactDst: fc.boolean(),
  udp: fc.boolean(),
  dport: fc.constantFrom(...PORTS),
  inIf: ifArb,
  comment: fc.boolean(),
  sport: fc.option(portRange, { nil: null }),
  target: targetArb,
});
type ServiceRecipe = typeof serviceArb extends fc.Arbitrary<infer T> ? T : never;

const chainArb = fc.record({ rules: fc.array(ruleArb, { maxLength: 6 }), services: fc.array(serviceArb, { maxLength: 10 }), servicesAt: fc.nat(6) });
const setArb = fc.record({
  table: fc.constantFrom('filter', 'mangle'),
  policyDrop: fc.boolean(),
  builtins: fc.array(chainArb, { minLength: 1, maxLength: 3 }),
  users: fc.array(chainArb, { maxLength: 5 }),
});
type SetRecipe = typeof setArb extends fc.Arbitrary<infer T> ? T : never;

function matchCall(m: MatchRecipe): MatchCall {
  switch (m.k) {
    case 'tcp':
      return call(tcpMatch, { sptLo: m.spt[0], sptHi: m.spt[1], dptLo: m.dpt[0], dptHi: m.dpt[1], option: m.option, flgMask: m.flgMask, flgCmp: m.flgCmp, inv: m.inv & ~(m.option === 0 ? TcpInv.OPTION : 0), given: 0 });
    case 'udp':
      return call(udpMatch, { sptLo: m.spt[0], sptHi: m.spt[1], dptLo: m.dpt[0], dptHi: m.dpt[1], inv: m.inv, given: 0 });
    case 'mark':
      return call(markIs, { value: m.value & m.mask, mask: m.mask });
    case 'nth':
      return call(nth, { every: m.every });
    case 'rand':
      return call(randomBelow, { p: m.p });
    case 'comment':
      return call(commentMatch, commentData);
    case 'hot':
      return call(hotdropper, null);
    case 'xmark':
      return call(m.conn ? connmarkMatch : markMatch, { mark: m.value, mask: m.mask, invert: m.invert, given: true });
    case 'ct': {
      const addr = { addr: 0, mask: 0, addr6: null };
      let matchFlags = CtFlag.STATE;
      let invertFlags = m.inv ? CtFlag.STATE : 0;
      if (!m.alias && m.proto !== null) {
        matchFlags |= CtFlag.PROTO;
        if (m.invProto) invertFlags |= CtFlag.PROTO;
      }
      if (!m.alias && m.status !== null) matchFlags |= CtFlag.STATUS;
      const d: ConntrackData = {
        matchFlags,
        invertFlags,
        stateMask: m.alias ? m.stateMask & 31 || 1 : m.stateMask,
        statusMask: m.status ?? 0,
        l4proto: m.proto ?? 0,
        origSrc: addr,
        origDst: addr,
        replSrc: addr,
        replDst: addr,
        ports: [0, 0xffff, 0, 0xffff, 0, 0xffff, 0, 0xffff],
        expiresMin: 0,
        expiresMax: 0,
        stateAlias: m.alias,
      };
      return call(m.alias ? stateMatchModule : conntrackMatchModule, d);
    }
    case 'addrtype':
      return call(addrtypeMatch, { source: m.source, dest: m.dest, flags: m.flags, given: 0 });
    case 'statistic':
      return call(statisticMatch, {
        mode: m.nth ? StatisticMode.NTH : StatisticMode.RANDOM,
        invert: m.invert,
        probability: Math.round(m.p * 2147483648),
        every: m.every - 1,
        packet: 0,
        count: m.every - 1,
        given: 0,
      });
  }
}

function target(t: TargetRecipe, chainIdx: number, users: string[], builtin: boolean): Target {
  switch (t.k) {
    case 'accept':
      return ACCEPT;
    case 'drop':
      return DROP;
    case 'queue':
      return QUEUE;
    case 'return':
      return RETURN;
    case 'none':
      return NONE;
    case 'mark':
      return t.value === 1 ? ext(markTarget, { kind: TargetKind.MARK, value: t.value, mask: t.mask, given: 1 }) : ext(setMark, { value: t.value, mask: t.mask });
    case 'fixed':
      return ext(fixed, { v: t.v });
    case 'connmark':
      return ext(connmarkTarget, { kind: TargetKind.CONNMARK, mode: t.mode, ctmark: t.value, ctmask: t.mask, nfmask: t.mask, shiftDir: 0, shiftBits: 0, given: 1 });
    case 'jump':
    case 'goto': {
      // user chain i may only reach chains after it: no loops (the kernel refuses them)
      const first = builtin ? 0 : chainIdx + 1;
      if (first >= users.length) return NONE;
      const to = users[first + (t.to % (users.length - first))]!;
      return t.k === 'jump' ? jump(to) : goto(to);
    }
  }
}

function ruleSpec(r: RuleRecipe, chainIdx: number, users: string[], builtin: boolean): RuleSpec {
  const spec: RuleSpec = { proto: r.proto, invProto: r.proto !== 0 && r.invProto, m: r.matches.map(matchCall), j: target(r.target, chainIdx, users, builtin) };
  if (r.src !== null) Object.assign(spec, { src: (r.src.a & r.src.mask) >>> 0, srcMask: r.src.mask, invSrc: r.src.inv });
  if (r.dst !== null) Object.assign(spec, { dst: (r.dst.a & r.dst.mask) >>> 0, dstMask: r.dst.mask, invDst: r.dst.inv });
  if (r.inIf !== null) Object.assign(spec, r.inIf.exact ? { inIface: r.inIf.name, invIn: r.inIf.inv } : { inIface: r.inIf.prefix, inWildcard: true, invIn: r.inIf.inv });
  if (r.outIf !== null) Object.assign(spec, r.outIf.exact ? { outIface: r.outIf.name, invOut: r.outIf.inv } : { outIface: r.outIf.prefix, outWildcard: true, invOut: r.outIf.inv });
  if (r.frag === 1) spec.fragment = true;
  if (r.frag === 2) Object.assign(spec, { fragment: true, invFragment: true });
  return spec;
}

function serviceSpec(s: ServiceRecipe, chainIdx: number, users: string[], builtin: boolean): RuleSpec {
  const proto = s.udp ? 17 : 6;
  const mod = s.udp ? udpMatch : tcpMatch;
  const spt = s.sport ?? [0, 0xffff];
  const data = s.udp
    ? { sptLo: spt[0], sptHi: spt[1], dptLo: s.dport, dptHi: s.dport, inv: 0, given: 0 }
    : { sptLo: spt[0], sptHi: spt[1], dptLo: s.dport, dptHi: s.dport, option: 0, flgMask: 0, flgCmp: 0, inv: 0, given: 0 };
  const m = s.comment ? [call(commentMatch, commentData), call(mod, data)] : [call(mod, data)];
  const spec: RuleSpec = { proto, m, j: target(s.target, chainIdx, users, builtin) };
  Object.assign(spec, s.exactDst ? { dst: s.vip, dstMask: 0xffffffff } : { dst: s.vip & 0xffffff00, dstMask: 0xffffff00 });
  if (s.inIf !== null) Object.assign(spec, s.inIf.exact ? { inIface: s.inIf.name, invIn: s.inIf.inv } : { inIface: s.inIf.prefix, inWildcard: true, invIn: s.inIf.inv });
  return spec;
}

const HOOK_OF_BUILTIN: Record<string, number[]> = { filter: [1, 2, 3], mangle: [0, 1, 2, 3, 4] };

function build(recipe: SetRecipe): { rs: RuleSet; hooks: number[] } {
  const b = new RuleSetBuilder();
  const builtins = recipe.table === 'filter' ? ['INPUT', 'FORWARD', 'OUTPUT'] : ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];
  const policies: Record<string, 'ACCEPT' | 'DROP'> = {};
  for (const c of builtins) policies[c] = recipe.policyDrop ? 'DROP' : 'ACCEPT';
  const t = b.table(recipe.table, policies);
  const users = recipe.users.map((_, i) => `U${i}`);
  t.user(...users);
  const fill = (chain: string, c: SetRecipe['users'][number], idx: number, builtin: boolean): void => {
    const at = Math.min(c.servicesAt, c.rules.length);
    c.rules.forEach((r, i) => {
      if (i === at) for (const s of c.services) t.add(chain, serviceSpec(s, idx, users, builtin));
      t.add(chain, ruleSpec(r, idx, users, builtin));
    });
    if (at >= c.rules.length) for (const s of c.services) t.add(chain, serviceSpec(s, idx, users, builtin));
  };
  recipe.builtins.forEach((c, i) => fill(builtins[i % builtins.length]!, c, -1, true));
  recipe.users.forEach((c, i) => fill(users[i]!, c, i, false));
  return { rs: b.build(), hooks: HOOK_OF_BUILTIN[recipe.table]! };
}

const packetArb = fc.record({
  hookPick: fc.nat(4),
  saddr: fc.constantFrom(...ADDRS, 0x0b000001),
  daddr: fc.constantFrom(...ADDRS, 0x0a000003),
  proto: fc.constantFrom(6, 6, 17, 17, 1, 47),
  sport: fc.constantFrom(...PORTS, 40000),
  dport: fc.constantFrom(...PORTS, 9999),
  flags: fc.constantFrom(0x02, 0x12, 0x10, 0x11, 0x04),
  frag: fc.constantFrom(0, 0, 0, 0, 8, 1480),
  l4Len: fc.constantFrom(40, 40, 40, 20, 8, 4, 0),
  inIf: fc.constantFrom(-1, 0, 1, 2, 3, 4, 5, 6),
  outIf: fc.constantFrom(-1, 0, 1, 2, 3, 4, 5, 6),
  mark: fc.constantFrom(0, 1, 0x4000, 0x4001),
  len: fc.integer({ min: 20, max: 1500 }),
  ct: fc.constantFrom(-1, 3, 3, 3),
  ctInfo: fc.integer({ min: 0, max: 4 }),
  untracked: fc.constantFrom(0, 0, 0, 1),
  ctStatus: fc.constantFrom(0, CtStatus.SRC_NAT, CtStatus.DST_NAT | CtStatus.SEEN_REPLY, CtStatus.ASSURED | CtStatus.SRC_NAT | CtStatus.DST_NAT),
  ctMark: fc.constantFrom(0, 1, 0x4000),
  ctProto: fc.constantFrom(6, 17),
});
type PacketRecipe = typeof packetArb extends fc.Arbitrary<infer T> ? T : never;

function packet(p: PacketRecipe, ifIds: number[]): Skb {
  const skb = tcpPacket({ saddr: p.saddr, daddr: p.daddr, proto: p.proto, sport: p.sport, dport: p.dport, len: p.len, mark: p.mark, fragOffset: p.frag });
  const m = skb.meta;
  m.tcpFlags = p.flags;
  m.l4Len = p.frag === 0 ? p.l4Len : 0;
  if (p.frag === 0 && p.l4Len === 0) m.l4Off = -1;
  skb.inIf = p.inIf < 0 ? -1 : ifIds[p.inIf]!;
  skb.outIf = p.outIf < 0 ? -1 : ifIds[p.outIf]!;
  skb.ct = p.ct;
  skb.ctInfo = p.ctInfo;
  skb.untracked = p.untracked;
  skb.ctStatus = p.ctStatus;
  skb.ctMark = p.ctMark;
  skb.ctProto = p.ctProto;
  return skb;
}

interface Engine {
  engine: RuleEngine;
  env: ReturnType<typeof makeEnv>;
  ifIds: number[];
}

function loadAs(rs: RuleSet, mode: 'interpreted' | 'literal' | 'template', minRun = 2): Engine {
  const interner = new Interner();
  const engine = loadEngine(rs, {
    interner,
    engine: mode === 'interpreted' ? 'interpreted' : 'compiled',
    compile: { literalMaxSlots: mode === 'template' ? 0 : 1 << 20, literalMaxChains: 1 << 20, minRun: minRun },
  });
  // the packets' interfaces: the pool plus one name no rule mentions, interned after the load
  const ifIds: number[] = [...IFACES, 'br-late'].map((n) => interner.intern(n));
  // a FIB stand-in: 10.0.0.1 and 127/8 are local; 10.0.0.2 is local only on the device with the second id
  const host: RuleHost = {
    addrType: (addr, limitIf) => {
      if (addr >>> 24 === 127 || addr === 0x0a000001) return AddrType.LOCAL;
      if (addr === 0x0a000002 && (limitIf === -1 || limitIf === ifIds[1])) return AddrType.LOCAL;
      return addr === 0xffffffff ? AddrType.BROADCAST : AddrType.UNICAST;
    },
  };
  return { engine, env: makeEnv((id) => interner.name(id), 7, Verdict.ACCEPT, host), ifIds };
}

function observe(e: Engine, table: string, hook: number, skb: Skb, res: RuleResult): unknown[] {
  const v = runTable(e.engine.table(table)!, hook, skb, e.env, res);
  return [v, res.verdict, res.decision, res.slot, res.ruleId, res.hotdrop, res.overflow, res.rulesVisited, skb.mark, skb.ctMark, res.describe()];
}

describe('compiled ≡ interpreted (fast-check)', () => {
  it('agree on verdicts, deciding entries, visits, marks and counters', () => {
    let indexedSeen = 0;
    fc.assert(
      fc.property(setArb, fc.array(packetArb, { minLength: 1, maxLength: 25 }), (recipe, packets) => {
        const { rs, hooks } = build(recipe);
        const engines = [loadAs(rs, 'interpreted'), loadAs(rs, 'literal'), loadAs(rs, 'template')];
        if ((engines[1]!.engine.table(recipe.table)!.compiled?.runs ?? 0) > 0) indexedSeen++;
        const res = engines.map(() => new RuleResult());
        for (const p of packets) {
          const hook = hooks[p.hookPick % hooks.length]!;
          const seen = engines.map((e, i) => observe(e, recipe.table, hook, packet(p, e.ifIds), res[i]!));
          expect(seen[1]).toEqual(seen[0]);
          expect(seen[2]).toEqual(seen[0]);
        }
        const counters = engines.map((e) => {
          const c = e.engine.table(recipe.table)!.counters;
          return Array.from(c.values);
        });
        expect(counters[1]).toEqual(counters[0]);
        expect(counters[2]).toEqual(counters[0]);
      }),
      { numRuns: 600, seed: 20261121 },
    );
    expect(indexedSeen).toBeGreaterThan(50);
  });

  it('agree rule by rule: counting rules of one match each, every rule evaluated for every packet', () => {
    fc.assert(
      fc.property(fc.array(fc.array(matchArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 40 }), fc.array(packetArb, { minLength: 1, maxLength: 40 }), (rules, packets) => {
        const b = new RuleSetBuilder();
        const t = b.table('mangle');
        for (const ms of rules) t.add('PREROUTING', { m: ms.filter((m) => m.k !== 'hot').map(matchCall) });
        const rs = b.build();
        const engines = [loadAs(rs, 'interpreted'), loadAs(rs, 'literal'), loadAs(rs, 'template')];
        const res = engines.map(() => new RuleResult());
        for (const p of packets) {
          const seen = engines.map((e, i) => observe(e, 'mangle', 0, packet(p, e.ifIds), res[i]!));
          expect(seen[1]).toEqual(seen[0]);
          expect(seen[2]).toEqual(seen[0]);
        }
        const counts = engines.map((e) => Array.from(e.engine.table('mangle')!.counters.values));
        expect(counts[1]).toEqual(counts[0]);
        expect(counts[2]).toEqual(counts[0]);
      }),
      { numRuns: 600, seed: 424242 },
    );
  });

  it('agree on indexed runs of service rules, for packets aimed at the services', () => {
    const svcArb = fc.record({
      vip: fc.constantFrom(...ADDRS.slice(0, 4)),
      exactDst: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      udp: fc.boolean(),
      dport: fc.constantFrom(...PORTS),
      inIf: rarely(fc.record({ exact: fc.boolean(), name: fc.constantFrom(...IFACES), prefix: fc.constantFrom(...PREFIXES), inv: fc.boolean() })),
      comment: fc.boolean(),
      sport: rarely(portRange),
      target: targetArb,
    });
    const aimArb = fc.record({ pick: fc.nat(200), hit: fc.nat(9), p: packetArb });
    fc.assert(
      fc.property(
        fc.array(svcArb, { minLength: 16, maxLength: 60 }),
        fc.array(fc.array(ruleArb, { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        fc.array(aimArb, { minLength: 1, maxLength: 40 }),
        (services, userRules, aims) => {
          const b = new RuleSetBuilder();
          const t = b.table('mangle');
          const users = userRules.map((_, i) => `U${i}`);
          t.user(...users);
          for (const sv of services) t.add('PREROUTING', serviceSpec({ ...sv, sport: sv.sport ?? null }, -1, users, true));
          t.add('PREROUTING', { j: ACCEPT });
          userRules.forEach((rules, i) => rules.forEach((r) => t.add(users[i]!, ruleSpec(r, i, users, false))));
          const rs = b.build();
          const engines = [loadAs(rs, 'interpreted'), loadAs(rs, 'literal'), loadAs(rs, 'template')];
          expect(engines[1]!.engine.table('mangle')!.compiled!.runs).toBeGreaterThan(0);
          const res = engines.map(() => new RuleResult());
          for (const a of aims) {
            // most packets carry the exact key of one of the services
            const p = { ...a.p };
            if (a.hit < 8) {
              const sv = services[a.pick % services.length]!;
              Object.assign(p, { daddr: sv.vip, dport: sv.dport, proto: sv.udp ? 17 : 6 });
            }
            const seen = engines.map((e, i) => observe(e, 'mangle', 0, packet(p, e.ifIds), res[i]!));
            expect(seen[1]).toEqual(seen[0]);
            expect(seen[2]).toEqual(seen[0]);
          }
          const counts = engines.map((e) => Array.from(e.engine.table('mangle')!.counters.values));
          expect(counts[1]).toEqual(counts[0]);
          expect(counts[2]).toEqual(counts[0]);
        },
      ),
      { numRuns: 300, seed: 777 },
    );
  });
});
