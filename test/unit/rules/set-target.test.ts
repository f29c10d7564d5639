// The SET target (libxt_SET.c revision 3, xt_set.c set_target_v3) and the sets it changes at packet time:
// kadt elements per type (hash:ip netmask, hash:ip,port, hash:net's longest prefix, bitmap:port, list:set),
// mtype_add's --exist and timeout rules on the packet's virtual time, and `-m set` seeing the result.

import { describe, expect, it } from 'vitest';
import { parseIpsetSave, RangeSet } from '../../../src/netfilter/rules/ipset-parse.js';
import { AdtResult, IPSET_NO_TIMEOUT } from '../../../src/netfilter/rules/ipset.js';
import { BasicLoadContext, TargetEffect } from '../../../src/netfilter/rules/module.js';
import type { LoadContext } from '../../../src/netfilter/rules/module.js';
import { TargetType } from '../../../src/netfilter/rules/ast.js';
import { IssueCode } from '../../../src/netfilter/rules/issues.js';
import { TargetKind } from '../../../src/netfilter/rules/target-data.js';
import { Verdict } from '../../../src/netfilter/skb.js';
import type { Skb } from '../../../src/netfilter/skb.js';
import { RecordingTargetEnv, TestMatchEnv, matchOf, parseOne, ruleOf, skbOf } from './helpers.js';

const SAVE = `create dyn hash:ip family inet hashsize 1024 maxelem 65536
create tmo hash:ip family inet hashsize 1024 maxelem 65536 timeout 10
create masked hash:ip family inet hashsize 1024 maxelem 65536 netmask 24
create svc hash:ip,port family inet hashsize 1024 maxelem 65536 timeout 30
create nets hash:net family inet hashsize 1024 maxelem 65536
add nets 10.0.0.0/8
add nets 10.1.0.0/16 nomatch
add nets 192.168.1.0/24
create empty-nets hash:net family inet hashsize 1024 maxelem 65536
create ports bitmap:port range 1-1024
create a hash:ip family inet hashsize 1024 maxelem 65536
create b hash:ip family inet hashsize 1024 maxelem 65536
create both list:set size 8
add both a
add both b
create small hash:ip family inet hashsize 1024 maxelem 2 timeout 5
create crowd hash:ip family inet hashsize 1024 maxelem 2 forceadd
`;

const S = 1e9;
const sets = parseIpsetSave(SAVE, 'sets.txt');

/** One rule-set load: SET rules and -m set matches made with the same LoadContext share its live sets. */
function load(ctx: LoadContext = new BasicLoadContext({ ipsets: sets })) {
  const env = new TestMatchEnv();
  const tenv = new RecordingTargetEnv();
  return {
    ctx,
    set(rule: string): (skb: Skb) => number {
      const t = ruleOf(`-j SET ${rule}`, 'filter', 'INPUT', sets).target;
      if (t.type !== TargetType.EXTENSION) throw new Error('no target');
      const st = t.module.createState(t.data, ctx);
      return (skb) => t.module.target(t.data, skb, tenv, st);
    },
    has(rule: string): (skb: Skb) => boolean {
      const c = matchOf(`-m set --match-set ${rule}`, 'filter', 'INPUT', sets);
      const st = c.module.createState(c.data, ctx);
      return (skb) => c.module.match(c.data, skb, env, st);
    },
  };
}

const at = (t: number, meta: Parameters<typeof skbOf>[0] = {}): Skb => skbOf({ saddr: '10.9.9.9', daddr: '10.0.0.1', sport: 4000, dport: 80, ...meta }, { nowNs: t * S });

describe('SET parse and print (libxt_SET.c revision 3)', () => {
  const sv = (rule: string) => {
    const r = parseOne(`-j SET ${rule}`, 'filter', 'INPUT', sets);
    if (r.issues.length > 0) return `rejected: ${r.issues.map((i) => `${i.code} ${i.message}`).join('; ')}`;
    const t = r.ruleset.rules[0]!.target;
    return t.type === TargetType.EXTENSION ? t.module.print(t.data, { family: 4 }) : '';
  };
  it('prints the save form: add-set, exist, timeout, del-set', () => {
    expect(sv('--add-set dyn src')).toBe('--add-set dyn src');
    expect(sv('--add-set svc src,dst --exist --timeout 30 --del-set dyn dst')).toBe('--add-set svc src,dst --exist --timeout 30 --del-set dyn dst');
    expect(sv('--del-set dyn dst --timeout 0x10 --add-set svc dst,src')).toBe('--add-set svc dst,src --timeout 16 --del-set dyn dst');
    expect(sv('--del-set both src')).toBe('--del-set both src');
    // parse_dirs compares three characters; --exist may repeat
    expect(sv('--add-set svc srcport,dsthost --exist --exist')).toBe('--add-set svc src,dst --exist');
    // the old-style parser passes a ! on and the target ignores it
    expect(sv('! --add-set dyn src')).toBe('--add-set dyn src');
  });
  it('is a pure target that continues', () => {
    const t = ruleOf('-j SET --add-set dyn src', 'filter', 'INPUT', sets).target;
    expect(t.type === TargetType.EXTENSION && t.module.effect).toBe(TargetEffect.PURE);
    expect(t.type === TargetType.EXTENSION && t.data).toMatchObject({ kind: TargetKind.SET, addName: 'dyn', addFlags: 1, addDims: 1, timeout: -1 });
    const l = load();
    expect(l.set('--add-set dyn src')(at(0))).toBe(Verdict.CONTINUE);
  });
  it('refuses what libxt_SET.c and get_set_byname refuse', () => {
    const code = (rule: string) => parseOne(`-j SET ${rule}`, 'filter', 'INPUT', sets).issues.map((i) => [i.code, i.message]);
    expect(code('')).toEqual([[IssueCode.MISSING_OPTION, "SET: You must specify either `--add-set' or `--del-set' or `--map-set'"]]);
    expect(code('--del-set dyn src --exist')[0]![1]).toBe("SET: Flag `--exist' can be used with `--add-set' only");
    expect(code('--del-set dyn src --timeout 5')[0]![1]).toBe("SET: Option `--timeout' can be used with `--add-set' only");
    expect(code('--add-set dyn src --timeout 4294967295')[0]![1]).toMatch(/Invalid value for option --timeout or out of range 0-4294967294/);
    expect(code('--add-set dyn src --timeout x')[0]![0]).toBe(IssueCode.BAD_VALUE);
    expect(code('--add-set nosuch src')[0]![0]).toBe(IssueCode.IPSET_UNKNOWN);
    expect(code('--add-set dyn sideways')[0]![1]).toMatch(/'src' or 'dst'/);
    expect(code('--add-set dyn src,src,src,src,src,src,src')[0]![1]).toMatch(/Can't be more src\/dst options than 6/);
    expect(code('--add-set dyn src --add-set tmo src')[0]).toEqual([IssueCode.OPTION_REPEATED, 'SET: --add-set can be specified only once']);
    expect(code(`--add-set ${'x'.repeat(32)} src`)[0]![1]).toMatch(/too long, max 31 characters/);
    expect(code('--add-set dyn')[0]![0]).toBe(IssueCode.MISSING_VALUE);
    expect(code('--add-set dyn src --map-mark')[0]![1]).toBe("SET: Flag `--map-mark' can be used with `--map-set' only");
    const map = code('--map-set dyn src --map-mark');
    expect(map[0]![0]).toBe(IssueCode.UNSUPPORTED_TARGET);
    expect(map[0]![1]).toMatch(/--map-set is not modelled: .*skbinfo/);
  });
});

describe('SET changes the load\'s sets at packet time; -m set sees it', () => {
  it('hash:ip add and delete; another load starts from the sets as supplied', () => {
    const l = load();
    const has = l.has('dyn src');
    expect(has(at(0))).toBe(false);
    l.set('--add-set dyn src')(at(0));
    expect(has(at(1))).toBe(true);
    expect(has(at(1, { saddr: '10.9.9.8' }))).toBe(false);
    l.set('--del-set dyn src')(at(2));
    expect(has(at(3))).toBe(false);
    l.set('--add-set dyn src')(at(4));
    expect(load().has('dyn src')(at(5))).toBe(false);
    expect((sets.get('dyn') as RangeSet).size).toBe(0);
  });

  it('the set timeout counts on skb.nowNs in jiffies: in at the deadline, gone one jiffy later', () => {
    const l = load();
    const has = l.has('tmo src');
    l.set('--add-set tmo src')(at(0));
    expect(has(at(10))).toBe(true); // jiffies 2500 = deadline: time_after() is false
    expect(has(at(10.004))).toBe(false);
  });

  it('--timeout overrides the default; 0 is permanent; a set without timeouts ignores it', () => {
    const l = load();
    l.set('--add-set tmo src --timeout 2')(at(0));
    expect(l.has('tmo src')(at(2))).toBe(true);
    expect(l.has('tmo src')(at(2.01))).toBe(false);
    l.set('--add-set tmo dst --timeout 0')(at(0));
    expect(l.has('tmo dst')(at(1e6))).toBe(true);
    l.set('--add-set dyn src --timeout 1')(at(0));
    expect(l.has('dyn src')(at(1e6))).toBe(true);
  });

  it('re-adding leaves an element alone; --exist restarts its timeout', () => {
    const l = load();
    const plain = l.set('--add-set tmo src');
    const exist = l.set('--add-set tmo src --exist');
    plain(at(0));
    plain(at(8));
    expect(l.has('tmo src')(at(10.01))).toBe(false);
    plain(at(20));
    exist(at(28));
    expect(l.has('tmo src')(at(37.9))).toBe(true);
    expect(l.has('tmo src')(at(38.01))).toBe(false);
    // an expired element is added afresh
    plain(at(40));
    expect(l.has('tmo src')(at(49))).toBe(true);
  });

  it('hash:ip netmask 24: the packet address goes in as its /24', () => {
    const l = load();
    l.set('--add-set masked src')(at(0, { saddr: '10.1.2.3' }));
    const has = l.has('masked src');
    expect(has(at(1, { saddr: '10.1.2.200' }))).toBe(true);
    expect(has(at(1, { saddr: '10.1.3.1' }))).toBe(false);
    l.set('--del-set masked src')(at(2, { saddr: '10.1.2.77' }));
    expect(has(at(3, { saddr: '10.1.2.3' }))).toBe(false);
  });

  it('hash:ip,port: address, protocol and port; too few flags and port-less fragments change nothing', () => {
    const l = load();
    l.set('--add-set svc dst,dst')(at(0));
    const has = l.has('svc dst,dst');
    expect(has(at(1))).toBe(true);
    expect(has(at(1, { ipProto: 17 }))).toBe(false);
    expect(has(at(1, { dport: 81 }))).toBe(false);
    l.set('--add-set svc dst')(at(0, { dport: 82 }));
    expect(has(at(1, { dport: 82 }))).toBe(false);
    l.set('--add-set svc dst,dst')(at(0, { dport: 83, fragOffset: 8, l4Off: -1 }));
    expect(has(at(1, { dport: 83 }))).toBe(false);
    // the set's own timeout (30 s)
    expect(has(at(30.01))).toBe(false);
  });

  it('hash:net adds the network of the longest prefix it holds (INIT_CIDR), else a /32', () => {
    const l = load();
    l.set('--add-set nets src')(at(0, { saddr: '172.16.5.9' }));
    const has = l.has('nets src');
    expect(has(at(1, { saddr: '172.16.5.200' }))).toBe(true);
    expect(has(at(1, { saddr: '172.16.6.1' }))).toBe(false);
    l.set('--add-set empty-nets src')(at(0, { saddr: '172.16.5.9' }));
    expect(l.has('empty-nets src')(at(1, { saddr: '172.16.5.9' }))).toBe(true);
    expect(l.has('empty-nets src')(at(1, { saddr: '172.16.5.10' }))).toBe(false);
    l.set('--del-set nets src')(at(2, { saddr: '192.168.1.77' }));
    expect(has(at(3, { saddr: '192.168.1.1' }))).toBe(false);
    expect(has(at(3, { saddr: '10.2.3.4' }))).toBe(true);
  });

  it('hash:net: re-adding a nomatch element leaves it; --exist makes it a normal one (flags rewritten)', () => {
    const l = load();
    const has = l.has('nets src');
    // the longest prefix held is /24: a 10.1.x address makes 10.1.x.0/24, a new element inside the nomatch /16
    l.set('--add-set nets src')(at(0, { saddr: '10.1.2.3' }));
    expect(has(at(1, { saddr: '10.1.2.4' }))).toBe(true);
    expect(has(at(1, { saddr: '10.1.3.4' }))).toBe(false);
    const rs = sets.get('nets')!.clone(250) as RangeSet;
    const skb = (a: string) => at(0, { saddr: a });
    // with /16 the longest prefix (no /24 held), the element equals the nomatch one
    rs.kdel(skb('192.168.1.1'), 1, 1);
    expect(rs.kadd(skb('10.1.9.9'), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.EXIST);
    expect(rs.test(skb('10.1.9.9'), 1, false)).toBe(false);
    expect(rs.kadd(skb('10.1.9.9'), 1, 1, IPSET_NO_TIMEOUT, true)).toBe(AdtResult.OK);
    expect(rs.test(skb('10.1.9.9'), 1, false)).toBe(true);
  });

  it('bitmap:port: TCP and UDP ports inside the range only', () => {
    const l = load();
    const add = l.set('--add-set ports dst');
    const has = l.has('ports dst');
    add(at(0, { dport: 80 }));
    add(at(0, { dport: 2000 }));
    add(at(0, { ipProto: 1, icmpType: 8, dport: 0 }));
    expect(has(at(1, { dport: 80, ipProto: 17 }))).toBe(true);
    expect(has(at(1, { dport: 2000 }))).toBe(false);
    expect(has(at(1, { ipProto: 1, icmpType: 8, dport: 0 }))).toBe(false);
  });

  it('list:set: the first member that takes the element (one already holding it answers EXIST)', () => {
    const l = load();
    l.set('--add-set both src')(at(0));
    expect(l.has('a src')(at(1))).toBe(true);
    expect(l.has('b src')(at(1))).toBe(false);
    l.set('--add-set both src')(at(2));
    expect(l.has('b src')(at(3))).toBe(true);
    l.set('--del-set both src')(at(4));
    expect(l.has('a src')(at(5))).toBe(false);
    expect(l.has('both src')(at(5))).toBe(true);
  });

  it('maxelem: a full set refuses until elements expire; forceadd makes room', () => {
    const small = sets.get('small')!.clone(250);
    const ip = (t: number, a: string) => at(t, { saddr: a });
    expect(small.kadd(ip(0, '1.1.1.1'), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.OK);
    expect(small.kadd(ip(1, '1.1.1.2'), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.OK);
    expect(small.kadd(ip(2, '1.1.1.3'), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.FULL);
    expect(small.kadd(ip(2, '1.1.1.1'), 1, 1, IPSET_NO_TIMEOUT, true)).toBe(AdtResult.OK);
    expect(small.kadd(ip(6.5, '1.1.1.3'), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.OK);
    const crowd = sets.get('crowd')!.clone(250);
    for (const a of ['2.2.2.1', '2.2.2.2', '2.2.2.3']) expect(crowd.kadd(ip(0, a), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.OK);
    expect(crowd.test(ip(0, '2.2.2.1'), 1, false)).toBe(false);
    expect(crowd.test(ip(0, '2.2.2.3'), 1, false)).toBe(true);
  });

  it('ip_set_add / ip_set_del outcomes', () => {
    const dyn = sets.get('dyn')!.clone(250);
    const svc = sets.get('svc')!.clone(250);
    const ports = sets.get('ports')!.clone(250);
    expect(svc.kadd(at(0), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.TYPE_MISMATCH);
    expect(svc.kadd(at(0, { ipProto: 0 }), 0, 2, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.INVALID);
    expect(dyn.kadd(at(0, { saddr: '0.0.0.0' }), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.INVALID);
    expect(ports.kadd(at(0, { dport: 1025 }), 0, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.RANGE);
    expect(dyn.kdel(at(0), 1, 1)).toBe(AdtResult.EXIST);
    expect(dyn.kadd(at(0), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.OK);
    expect(dyn.kadd(at(0), 1, 1, IPSET_NO_TIMEOUT, false)).toBe(AdtResult.EXIST);
    expect(dyn.kdel(at(0), 1, 1)).toBe(AdtResult.OK);
  });
});

describe('ipset save contents the kernel way', () => {
  it('element timeouts count from virtual time 0; ranges go in element by element', () => {
    const cat = parseIpsetSave(
      'create t hash:ip family inet timeout 100\nadd t 1.2.3.4 timeout 5\nadd t 1.2.3.5 timeout 0\n' +
        'create r hash:ip family inet\nadd r 10.0.0.1-10.0.0.3\n' +
        'create n hash:net family inet\nadd n 10.0.0.1-10.0.0.6\n' +
        'create p hash:ip,port family inet\nadd p 10.0.0.1,tcp:80-82\n',
    ).fork(250);
    const t = cat.get('t')!;
    expect(t.test(at(5, { saddr: '1.2.3.4' }), 1, false)).toBe(true);
    expect(t.test(at(5.01, { saddr: '1.2.3.4' }), 1, false)).toBe(false);
    expect(t.test(at(1e5, { saddr: '1.2.3.5' }), 1, false)).toBe(true);
    const r = cat.get('r') as RangeSet;
    expect(r.size).toBe(3);
    expect(r.kdel(at(0, { saddr: '10.0.0.2' }), 1, 1)).toBe(AdtResult.OK);
    expect(r.test(at(0, { saddr: '10.0.0.2' }), 1, false)).toBe(false);
    expect(r.test(at(0, { saddr: '10.0.0.3' }), 1, false)).toBe(true);
    // ip_set_range_to_cidr: .1/32 .2/31 .4/31 .6/32
    expect((cat.get('n') as RangeSet).size).toBe(4);
    expect((cat.get('p') as RangeSet).size).toBe(3);
  });
  it('a netmask set holds networks: a saved element covers its whole block', () => {
    const m = parseIpsetSave('create m hash:ip family inet netmask 24\nadd m 10.5.5.0\n').fork(250);
    expect(m.get('m')!.test(at(0, { saddr: '10.5.5.9' }), 1, false)).toBe(true);
    expect(m.get('m')!.test(at(0, { saddr: '10.5.6.9' }), 1, false)).toBe(false);
  });
  it('refuses what ipset would', () => {
    expect(() => parseIpsetSave('create t hash:ip\nadd t 1.2.3.4 timeout 5\n')).toThrow(/without timeout support/);
    expect(() => parseIpsetSave('create t hash:ip maxelem 2\nadd t 10.0.0.0/30\n')).toThrow(/maxelem 2/);
    expect(() => parseIpsetSave('create t bitmap:port\n')).toThrow(/needs a range/);
    expect(() => parseIpsetSave('create t bitmap:port range 1-100\nadd t 200\n')).toThrow(/outside the range/);
    expect(() => parseIpsetSave('create t hash:net\nadd t 10.0.0.0/0\n')).toThrow(/prefix length/);
    expect(() => parseIpsetSave('create t hash:ip bitmask 255.0.255.0\n')).toThrow(/not modelled/);
  });
});
