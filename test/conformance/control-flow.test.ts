// Hand-written cases for each control-flow rule of ipt_do_table (reference section 2.1), run against the
// reference interpreter and the compiler in both code shapes (one function per chain, shared templates).
// Expected values are worked out by hand from the kernel's algorithm.
import { describe, expect, it } from 'vitest';
import { Interner } from '../../src/util/intern.js';
import { Hook, Verdict } from '../../src/netfilter/skb.js';
import { loadEngine, runTable, traceTable, RuleResult, Decision } from '../../src/netfilter/rules/engine.js';
import type { LoadOptions } from '../../src/netfilter/rules/engine.js';
import type { RuleSet } from '../../src/netfilter/rules/ast.js';
import { RecordingTraceSink } from '../../src/netfilter/rules/trace.js';
import {
  ACCEPT, DROP, QUEUE, RETURN, RuleSetBuilder, call, ext, fixed, goto, hotdropTrue, hotdropper, jump, makeEnv, markIs, setMark, spy, tcpPacket,
} from '../unit/rules-engine/ast-builder.js';

type Mode = 'interpreted' | 'literal' | 'template';
const MODES: Mode[] = ['interpreted', 'literal', 'template'];

function load(rs: RuleSet, mode: Mode, extra: Partial<LoadOptions> = {}) {
  const interner = new Interner();
  const opts: LoadOptions = {
    interner,
    engine: mode === 'interpreted' ? 'interpreted' : 'compiled',
    compile: { literalMaxSlots: mode === 'template' ? 0 : 1 << 20, literalMaxChains: 1 << 20, minRun: 0 },
    ...extra,
  };
  const engine = loadEngine(rs, opts);
  return { engine, interner, env: makeEnv((id) => interner.name(id)) };
}

/** Counters of a table as [slot] → [pkts, bytes] for the rules of `chain` (and its tail). */
function chainCounts(engine: ReturnType<typeof load>['engine'], table: string, chain: string): number[] {
  const p = engine.table(table)!;
  const c = p.layout.chains.find((x) => x.name === chain)!;
  const out: number[] = [];
  for (let s = c.start; s <= c.tail; s++) out.push(p.counters.packetsAt(s));
  return out;
}

describe.each(MODES)('ipt_do_table control flow (%s)', (mode) => {
  it('end of a builtin chain → its policy, with the policy counter', () => {
    const b = new RuleSetBuilder();
    b.table('filter', { FORWARD: 'DROP' }).add('FORWARD', { proto: 17, j: ACCEPT }).add('FORWARD', { dst: 0x0a000009, dstMask: 0xffffffff, j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    const v = runTable(engine.table('filter')!, Hook.FORWARD, tcpPacket({ len: 100 }), env, res);
    expect(v).toBe(Verdict.DROP);
    expect(res.decision).toBe(Decision.POLICY);
    expect(res.describe()).toBe('filter:FORWARD:policy');
    expect(res.ruleId).toBe(-1);
    expect(res.rulesVisited).toBe(3);
    expect(engine.policyCounters('filter', 'FORWARD')).toEqual({ pkts: 1n, bytes: 100n });
    expect(chainCounts(engine, 'filter', 'FORWARD')).toEqual([0, 0, 1]);
  });

  it('ACCEPT ends the walk; counters count IP total length before the target', () => {
    const b = new RuleSetBuilder();
    b.table('filter').add('INPUT', { proto: 6, j: ACCEPT }).add('INPUT', { j: DROP });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    const p = engine.table('filter')!;
    runTable(p, Hook.LOCAL_IN, tcpPacket({ len: 1500 }), env, res);
    expect(runTable(p, Hook.LOCAL_IN, tcpPacket({ len: 40 }), env, res)).toBe(Verdict.ACCEPT);
    expect(res.describe()).toBe('filter:INPUT:rule 1');
    expect(res.ruleId).toBe(0);
    expect(res.rulesVisited).toBe(1);
    expect(engine.ruleCounters(0)).toEqual({ pkts: 2n, bytes: 1540n });
    expect(engine.ruleCounters(1)).toEqual({ pkts: 0n, bytes: 0n });
  });

  it('jump pushes, the implicit RETURN at the end of the user chain pops to the next rule', () => {
    const b = new RuleSetBuilder();
    b.table('filter')
      .user('A')
      .add('FORWARD', { j: jump('A') }) // id 0
      .add('FORWARD', { proto: 6, j: DROP }) // id 1
      .add('A', { proto: 17, j: ACCEPT }) // id 2
      .add('A', {}); // id 3: counting rule
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('filter')!, Hook.FORWARD, tcpPacket({}), env, res)).toBe(Verdict.DROP);
    expect(res.describe()).toBe('filter:FORWARD:rule 2');
    // FORWARD r1, A r1, A r2, A tail, FORWARD r2
    expect(res.rulesVisited).toBe(5);
    expect(chainCounts(engine, 'filter', 'FORWARD')).toEqual([1, 1, 0]);
    expect(chainCounts(engine, 'filter', 'A')).toEqual([0, 1, 1]);
  });

  it('explicit RETURN pops; RETURN in a builtin chain goes to the policy', () => {
    const b = new RuleSetBuilder();
    b.table('filter', { INPUT: 'DROP' })
      .user('A')
      .add('INPUT', { j: jump('A') })
      .add('INPUT', { proto: 6, j: RETURN })
      .add('INPUT', { j: ACCEPT })
      .add('A', { proto: 6, j: RETURN })
      .add('A', { j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('filter')!, Hook.LOCAL_IN, tcpPacket({}), env, res)).toBe(Verdict.DROP);
    expect(res.decision).toBe(Decision.POLICY);
    expect(res.describe()).toBe('filter:INPUT:policy');
    // INPUT r1, A r1, INPUT r2, policy
    expect(res.rulesVisited).toBe(4);
    expect(chainCounts(engine, 'filter', 'INPUT')).toEqual([1, 1, 0, 1]);
    expect(chainCounts(engine, 'filter', 'A')).toEqual([1, 0, 0]);
  });

  it('goto does not push: RETURN from the goto target returns to the jump before it', () => {
    const b = new RuleSetBuilder();
    b.table('filter')
      .user('A', 'B')
      .add('FORWARD', { j: jump('A') })
      .add('FORWARD', { j: DROP })
      .add('A', { j: goto('B') })
      .add('A', { j: ACCEPT }) // never reached: B's RETURN skips the rest of A
      .add('B', { j: RETURN });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('filter')!, Hook.FORWARD, tcpPacket({}), env, res)).toBe(Verdict.DROP);
    expect(res.describe()).toBe('filter:FORWARD:rule 2');
    expect(chainCounts(engine, 'filter', 'A')).toEqual([1, 0, 0]);
    expect(chainCounts(engine, 'filter', 'B')).toEqual([1, 0]);
  });

  it('a chain reached only by goto from the builtin chain falls to the policy when it ends', () => {
    const b = new RuleSetBuilder();
    b.table('filter', { OUTPUT: 'DROP' }).user('B').add('OUTPUT', { j: goto('B') }).add('OUTPUT', { j: ACCEPT }).add('B', { proto: 17, j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('filter')!, Hook.LOCAL_OUT, tcpPacket({}), env, res)).toBe(Verdict.DROP);
    expect(res.describe()).toBe('filter:OUTPUT:policy');
    // OUTPUT r1, B r1, B tail, OUTPUT policy
    expect(res.rulesVisited).toBe(4);
    expect(chainCounts(engine, 'filter', 'OUTPUT')).toEqual([1, 0, 1]);
    expect(chainCounts(engine, 'filter', 'B')).toEqual([0, 1]);
  });

  it('matches are AND-ed in order and stop at the first that fails', () => {
    const log: string[] = [];
    const s = spy(log);
    const b = new RuleSetBuilder();
    b.table('filter')
      .add('INPUT', { m: [call(s, { label: 'a', result: true }), call(s, { label: 'b', result: false }), call(s, { label: 'c', result: true })], j: DROP })
      .add('INPUT', { proto: 17, m: [call(s, { label: 'd', result: true })], j: DROP }) // ip part fails first: d never runs
      .add('INPUT', { m: [call(s, { label: 'e', result: true }), call(s, { label: 'f', result: true })], j: QUEUE });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('filter')!, Hook.LOCAL_IN, tcpPacket({}), env, res)).toBe(Verdict.QUEUE);
    expect(log).toEqual(['a', 'b', 'e', 'f']);
    expect(res.describe()).toBe('filter:INPUT:rule 3');
  });

  it('hotdrop drops at once, without counting the rule, even inside a sub-chain', () => {
    const b = new RuleSetBuilder();
    b.table('filter')
      .user('A')
      .add('FORWARD', { j: jump('A') })
      .add('FORWARD', { j: ACCEPT })
      .add('A', { proto: 6, m: [call(hotdropper, null)], j: ACCEPT })
      .add('A', { j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('filter')!, Hook.FORWARD, tcpPacket({}), env, res)).toBe(Verdict.DROP);
    expect(res.hotdrop).toBe(1);
    expect(res.describe()).toBe('filter:A:rule 1');
    expect(res.rulesVisited).toBe(2);
    expect(chainCounts(engine, 'filter', 'A')).toEqual([0, 0, 0]);
    expect(chainCounts(engine, 'filter', 'FORWARD')).toEqual([1, 0, 0]);
  });

  it('a match that sets hotdrop yet matches: counted, target run, then DROP', () => {
    const b = new RuleSetBuilder();
    b.table('mangle')
      .add('PREROUTING', { m: [call(hotdropTrue, null)], j: ext(setMark, { value: 7, mask: 0xffffffff }) })
      .add('PREROUTING', { j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    const skb = tcpPacket({});
    expect(runTable(engine.table('mangle')!, Hook.PRE_ROUTING, skb, env, res)).toBe(Verdict.DROP);
    expect(skb.mark).toBe(7);
    expect(res.describe()).toBe('mangle:PREROUTING:rule 1');
    expect(chainCounts(engine, 'mangle', 'PREROUTING')).toEqual([1, 0, 0]);
  });

  it('extension targets: CONTINUE goes on with the next rule (seeing the change), a verdict ends the walk', () => {
    const b = new RuleSetBuilder();
    b.table('mangle')
      .add('FORWARD', { j: ext(setMark, { value: 0x4000, mask: 0x4000 }) })
      .add('FORWARD', { m: [call(markIs, { value: 0x4000, mask: 0x4000 })], j: ext(fixed, { v: Verdict.DROP }) })
      .add('FORWARD', { j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    const skb = tcpPacket({ mark: 1 });
    expect(runTable(engine.table('mangle')!, Hook.FORWARD, skb, env, res)).toBe(Verdict.DROP);
    expect(skb.mark).toBe(0x4001);
    expect(res.describe()).toBe('mangle:FORWARD:rule 2');
    expect(res.rulesVisited).toBe(2);
  });

  it('jump stack overflow drops', () => {
    const b = new RuleSetBuilder();
    b.table('filter').user('A', 'B').add('INPUT', { j: jump('A') }).add('A', { j: jump('B') }).add('B', { j: ACCEPT });
    const small = load(b.build(), mode, { stackSize: 1 });
    const res = new RuleResult();
    expect(runTable(small.engine.table('filter')!, Hook.LOCAL_IN, tcpPacket({}), small.env, res)).toBe(Verdict.DROP);
    expect(res.overflow).toBe(1);
    expect(res.describe()).toBe('filter:A:rule 1');
    const dflt = load(b.build(), mode);
    expect(dflt.engine.table('filter')!.layout.stackSize).toBe(3);
    expect(runTable(dflt.engine.table('filter')!, Hook.LOCAL_IN, tcpPacket({}), dflt.env, res)).toBe(Verdict.ACCEPT);
    expect(res.describe()).toBe('filter:B:rule 1');
  });

  it('ip_packet_match: masks, negations, interfaces exact and by prefix, protocol, fragments', () => {
    const b = new RuleSetBuilder();
    const t = b.table('filter');
    t.add('FORWARD', { src: 0x0a000000, srcMask: 0xff000000, invSrc: true, j: DROP }) // ! -s 10/8
      .add('FORWARD', { dst: 0xc0a80000, dstMask: 0xffff0000, j: DROP }) // -d 192.168/16
      .add('FORWARD', { inIface: 'docker0', j: DROP })
      .add('FORWARD', { outIface: 'veth', outWildcard: true, invOut: true, j: DROP }) // ! -o veth+
      .add('FORWARD', { proto: 6, invProto: true, j: DROP }) // ! -p tcp
      .add('FORWARD', { fragment: true, j: DROP }) // -f
      .add('FORWARD', { inIface: 'br-', inWildcard: true, fragment: true, invFragment: true, j: ACCEPT }); // -i br-+ ! -f
    const { engine, interner, env } = load(b.build(), mode);
    const p = engine.table('filter')!;
    const res = new RuleResult();
    const veth = interner.intern('veth1234');
    const br = interner.intern('br-aaaa');
    const docker0 = interner.lookup('docker0');
    // 10.0.0.1 → 10.0.0.2 from br-aaaa to veth1234: only the last rule matches
    expect(runTable(p, Hook.FORWARD, tcpPacket({ inIf: br, outIf: veth }), env, res)).toBe(Verdict.ACCEPT);
    expect(res.ruleNum).toBe(7);
    // source outside 10/8
    expect(runTable(p, Hook.FORWARD, tcpPacket({ saddr: 0x0b000001, inIf: br, outIf: veth }), env, res)).toBe(Verdict.DROP);
    expect(res.ruleNum).toBe(1);
    expect(runTable(p, Hook.FORWARD, tcpPacket({ daddr: 0xc0a80505, inIf: br, outIf: veth }), env, res)).toBe(Verdict.DROP);
    expect(res.ruleNum).toBe(2);
    expect(runTable(p, Hook.FORWARD, tcpPacket({ inIf: docker0, outIf: veth }), env, res)).toBe(Verdict.DROP);
    expect(res.ruleNum).toBe(3);
    // no out device: "! -o veth+" matches (the empty name has no prefix veth)
    expect(runTable(p, Hook.FORWARD, tcpPacket({ inIf: br, outIf: -1 }), env, res)).toBe(Verdict.DROP);
    expect(res.ruleNum).toBe(4);
    expect(runTable(p, Hook.FORWARD, tcpPacket({ proto: 17, inIf: br, outIf: veth }), env, res)).toBe(Verdict.DROP);
    expect(res.ruleNum).toBe(5);
    expect(runTable(p, Hook.FORWARD, tcpPacket({ fragOffset: 1480, inIf: br, outIf: veth }), env, res)).toBe(Verdict.DROP);
    expect(res.ruleNum).toBe(6);
    // an interface interned after the load still meets the prefix test
    const late = interner.intern('br-late');
    expect(runTable(p, Hook.FORWARD, tcpPacket({ inIf: late, outIf: veth }), env, res)).toBe(Verdict.ACCEPT);
    expect(res.ruleNum).toBe(7);
    // a device with neither name: nothing matches but the policy
    expect(runTable(p, Hook.FORWARD, tcpPacket({ inIf: interner.intern('eth0'), outIf: veth }), env, res)).toBe(Verdict.ACCEPT);
    expect(res.decision).toBe(Decision.POLICY);
  });

  it('a table with no chain at the hook decides nothing', () => {
    const b = new RuleSetBuilder();
    b.table('nat').add('PREROUTING', { j: ACCEPT });
    const { engine, env } = load(b.build(), mode);
    const res = new RuleResult();
    expect(runTable(engine.table('nat')!, Hook.FORWARD, tcpPacket({}), env, res)).toBe(Verdict.ACCEPT);
    expect(res.decision).toBe(Decision.NONE);
    expect(res.rulesVisited).toBe(0);
  });
});

describe('TRACE vocabulary', () => {
  it('reports every matched entry as table:chain:rule/return/policy:N', () => {
    const b = new RuleSetBuilder();
    b.table('filter', { FORWARD: 'DROP' })
      .user('DOCKER-USER', 'A')
      .add('FORWARD', { j: jump('DOCKER-USER') })
      .add('FORWARD', { j: jump('A') })
      .add('FORWARD', { proto: 17, j: ACCEPT })
      .add('DOCKER-USER', { j: RETURN }) // unconditional: the kernel says "return"
      .add('A', { proto: 6 }) // counting rule
      .add('A', { proto: 17, j: ACCEPT });
    const { engine, env } = load(b.build(), 'interpreted');
    const sink = new RecordingTraceSink();
    const res = new RuleResult();
    const v = traceTable(engine.table('filter')!, Hook.FORWARD, tcpPacket({}), env, res, sink);
    expect(v).toBe(Verdict.DROP);
    expect(sink.lines()).toEqual([
      'filter:FORWARD:rule:1',
      'filter:DOCKER-USER:return:1',
      'filter:FORWARD:rule:2',
      'filter:A:rule:1',
      'filter:A:return:3',
      'filter:FORWARD:policy:4',
    ]);
    expect(sink.steps.map((s) => s.ruleId)).toEqual([0, 3, 1, 4, -1, -1]);
  });

  it('an unconditional ACCEPT in a builtin chain is reported as policy, a conditional one as rule', () => {
    const b = new RuleSetBuilder();
    b.table('filter').add('INPUT', { proto: 17, j: ACCEPT }).add('INPUT', { j: ACCEPT });
    const { engine, env } = load(b.build(), 'interpreted');
    const sink = new RecordingTraceSink();
    const res = new RuleResult();
    traceTable(engine.table('filter')!, Hook.LOCAL_IN, tcpPacket({}), env, res, sink);
    expect(sink.lines()).toEqual(['filter:INPUT:policy:2']);
    expect(res.describe()).toBe('filter:INPUT:rule 2');
    sink.clear();
    traceTable(engine.table('filter')!, Hook.LOCAL_IN, tcpPacket({ proto: 17 }), env, res, sink);
    expect(sink.lines()).toEqual(['filter:INPUT:rule:1']);
  });
});
