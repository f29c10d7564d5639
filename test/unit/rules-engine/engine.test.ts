// The engine's building blocks: load-time refusals (loops, IPv6, bad jumps), the compiler's fallback to the
// interpreter, counters read back and merged, the run index keeping rule order, and drop annotations.
import { describe, expect, it } from 'vitest';
import { Interner } from '../../../src/util/intern.js';
import { RuleError } from '../../../src/util/errors.js';
import { Hook, Verdict } from '../../../src/netfilter/skb.js';
import { loadEngine, runTable, RuleResult } from '../../../src/netfilter/rules/engine.js';
import { Family } from '../../../src/netfilter/rules/ast.js';
import { RunIndex, KeyShape } from '../../../src/netfilter/rules/compile/run-index.js';
import { ACCEPT, DROP, RuleSetBuilder, goto, jump, makeEnv, tcpPacket } from './ast-builder.js';
import { loadRuleSet as parseRules } from '../../../src/netfilter/rules/parse.js';
import { printRuleSet } from '../../../src/netfilter/rules/print.js';

describe('loading', () => {
  it('refuses a jump loop, naming the chain (mark_source_chains)', () => {
    const b = new RuleSetBuilder();
    b.table('filter').user('A', 'B', 'C').add('INPUT', { j: jump('A') }).add('A', { j: jump('B') }).add('B', { proto: 6, j: goto('C') }).add('C', { j: jump('A') });
    let err: unknown;
    try {
      loadEngine(b.build(), { interner: new Interner() });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleError);
    expect((err as RuleError).code).toBe('ERR_RULE_LOOP');
    expect((err as RuleError).message).toMatch(/loop/);
  });

  it('refuses ip6tables sets', () => {
    const rs = new RuleSetBuilder().build();
    expect(() => loadEngine({ ...rs, family: Family.IPV6 }, { interner: new Interner() })).toThrow(/only IPv4/);
  });

  it('refuses a jump to a builtin chain', () => {
    const b = new RuleSetBuilder();
    b.table('filter').add('INPUT', { j: jump('FORWARD') });
    expect(() => loadEngine(b.build(), { interner: new Interner() })).toThrow(RuleError);
  });

  it('interns the interface names of the rules into the datapath interner', () => {
    const b = new RuleSetBuilder();
    b.table('filter').add('FORWARD', { inIface: 'docker0', outIface: 'veth', outWildcard: true, j: ACCEPT });
    const interner = new Interner();
    interner.intern('eth0');
    loadEngine(b.build(), { interner });
    expect(interner.lookup('docker0')).toBe(1);
    expect(interner.lookup('veth')).toBe(-1); // a prefix is not an interface name
  });

  it('falls back to the interpreter, with the typed reason, when chains nest deeper than the compiler allows', () => {
    const b = new RuleSetBuilder();
    const t = b.table('filter');
    const names = Array.from({ length: 12 }, (_, i) => `C${i}`);
    t.user(...names).add('INPUT', { j: jump('C0') });
    for (let i = 0; i + 1 < names.length; i++) t.add(names[i]!, { j: jump(names[i + 1]!) });
    t.add(names[names.length - 1]!, { j: DROP });
    const interner = new Interner();
    const engine = loadEngine(b.build(), { interner, compile: { maxDepth: 5 } });
    const p = engine.table('filter')!;
    expect(p.engine).toBe('interpreted');
    expect(p.fallback?.code).toBe('ERR_COMPILE_DEPTH');
    expect(p.layout.maxDepth).toBe(12); // INPUT → C0 → … → C11
    const res = new RuleResult();
    expect(runTable(p, Hook.LOCAL_IN, tcpPacket({}), makeEnv((id) => interner.name(id)), res)).toBe(Verdict.DROP);
    expect(res.describe()).toBe('filter:C11:rule 1');
  });
});

describe('counters', () => {
  it('are read back by rule id and policy, merge by addition, and serve the printer', () => {
    const b = new RuleSetBuilder();
    b.table('filter', { FORWARD: 'DROP' }).add('FORWARD', { proto: 17, j: ACCEPT });
    const rs = b.build();
    const mk = () => {
      const interner = new Interner();
      return { e: loadEngine(rs, { interner }), env: makeEnv((id) => interner.name(id)) };
    };
    const a = mk();
    const c = mk();
    const res = new RuleResult();
    runTable(a.e.table('filter')!, Hook.FORWARD, tcpPacket({ proto: 17, len: 100 }), a.env, res);
    runTable(a.e.table('filter')!, Hook.FORWARD, tcpPacket({ len: 40 }), a.env, res);
    runTable(c.e.table('filter')!, Hook.FORWARD, tcpPacket({ proto: 17, len: 28 }), c.env, res);
    a.e.table('filter')!.counters.addSnapshot(c.e.table('filter')!.counters.snapshot());
    expect(a.e.ruleCounters(0)).toEqual({ pkts: 2n, bytes: 128n });
    expect(a.e.policyCounters('filter', 'FORWARD')).toEqual({ pkts: 1n, bytes: 40n });
    expect(a.e.policyCounters('filter', 'NOPE')).toBeNull();
    expect(a.e.rule(rs.rules[0]!)).toEqual({ pkts: 2n, bytes: 128n });
    a.e.resetCounters();
    expect(a.e.ruleCounters(0)).toEqual({ pkts: 0n, bytes: 0n });
  });
});

describe('iptables-save -c from the engine', () => {
  it('prints rule and policy counters the engine counted', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ':X - [0:0]', '-A FORWARD -p tcp -m tcp --dport 80 -j X', '-A FORWARD -p udp -j ACCEPT', '-A X -s 10.0.0.1/32 -j ACCEPT', 'COMMIT', ''].join('\n');
    const rs = parseRules(text);
    const interner = new Interner();
    const engine = loadEngine(rs, { interner });
    const env = makeEnv((id) => interner.name(id));
    const res = new RuleResult();
    const p = engine.table('filter')!;
    runTable(p, Hook.FORWARD, tcpPacket({ dport: 80, len: 60 }), env, res); // X rule 1 accepts
    runTable(p, Hook.FORWARD, tcpPacket({ dport: 80, len: 52, saddr: 0x0a000009 }), env, res); // X returns → policy
    runTable(p, Hook.FORWARD, tcpPacket({ proto: 17, len: 100 }), env, res);
    runTable(p, Hook.FORWARD, tcpPacket({ dport: 22, len: 40 }), env, res); // policy
    expect(printRuleSet(rs, { counters: engine })).toBe(
      ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD DROP [2:92]', ':OUTPUT ACCEPT [0:0]', ':X - [0:0]',
        '[2:112] -A FORWARD -p tcp -m tcp --dport 80 -j X', '[1:100] -A FORWARD -p udp -j ACCEPT', '[1:60] -A X -s 10.0.0.1/32 -j ACCEPT', 'COMMIT', ''].join('\n'),
    );
  });
});

describe('RunIndex', () => {
  it('returns every candidate of a key in rule order, and nothing for other keys', () => {
    const keys = [
      { shape: KeyShape.DADDR_PROTO_DPORT, daddr: 0x0a600001, proto: 6, dport: 80 },
      { shape: KeyShape.DADDR_PROTO_DPORT, daddr: 0x0a600002, proto: 6, dport: 80 },
      { shape: KeyShape.DADDR_PROTO_DPORT, daddr: 0x0a600001, proto: 17, dport: 80 },
      { shape: KeyShape.DADDR_PROTO_DPORT, daddr: 0x0a600001, proto: 6, dport: 80 },
      { shape: KeyShape.DADDR_PROTO_DPORT, daddr: 0xc0a80001, proto: 6, dport: 443 },
    ];
    const ix = new RunIndex(100, keys, KeyShape.DADDR_PROTO_DPORT);
    const all = (d: number, p: number, port: number): number[] => {
      const out: number[] = [];
      for (let s = ix.first(d, p, port); s >= 0; s = ix.after(s)) out.push(s);
      return out;
    };
    expect(all(0x0a600001, 6, 80)).toEqual([100, 103]);
    expect(all(0x0a600002, 6, 80)).toEqual([101]);
    expect(all(0x0a600001, 17, 80)).toEqual([102]);
    expect(all(0xc0a80001, 6, 443)).toEqual([104]);
    expect(all(0x0a600001, 6, 81)).toEqual([]);
    expect(all(0x0a600003, 6, 80)).toEqual([]);
  });

  it('handles thousands of keys (collisions resolved, order kept)', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => ({ shape: KeyShape.PROTO_DPORT, daddr: 0, proto: 6, dport: i % 2500 }));
    const ix = new RunIndex(0, keys, KeyShape.PROTO_DPORT);
    for (let port = 0; port < 2500; port += 97) {
      const first = ix.first(0xdeadbeef, 6, port);
      expect(first).toBe(port);
      expect(ix.after(first)).toBe(port + 2500);
      expect(ix.after(port + 2500)).toBe(-1);
    }
    expect(ix.first(0, 17, 5)).toBe(-1);
  });
});
