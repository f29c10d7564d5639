// ipset contents for -m set: the `ipset save` reader and membership as xt_set tests it (per-dimension
// src/dst flags, protocol-qualified ports, most specific net wins, nomatch, list:set).

import { describe, expect, it } from 'vitest';
import { parseIpsetSave } from '../../../src/netfilter/rules/ipset-parse.js';
import { TestMatchEnv, evalMatch as evalWith, matchOf, skbOf } from './helpers.js';
import { BasicLoadContext } from '../../../src/netfilter/rules/module.js';
import type { MatchCall } from '../../../src/netfilter/rules/ast.js';
import type { Skb } from '../../../src/netfilter/skb.js';
import { RuleError } from '../../../src/util/errors.js';

const SAVE = `create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536
add KUBE-CLUSTER-IP 10.96.0.1,tcp:443
add KUBE-CLUSTER-IP 10.96.0.10,udp:53
create allow hash:net family inet hashsize 1024 maxelem 65536
add allow 10.0.0.0/8
add allow 10.1.0.0/16 nomatch
add allow 10.1.2.0/24
create web bitmap:port range 0-65535
add web 80-81
create pair hash:ip,port,ip family inet
add pair 10.0.0.1,tcp:80,10.0.0.2
create both list:set size 8
add both allow
add both web
`;

describe('ipset save reader and set match', () => {
  const sets = parseIpsetSave(SAVE, 'sets.txt');
  const env = new TestMatchEnv();
  // the engine hands the same catalog to createState through its LoadContext
  const ctx = new BasicLoadContext({ ipsets: sets });
  const evalMatch = (c: MatchCall, skb: Skb, e: TestMatchEnv): boolean => evalWith(c, skb, e, ctx);
  const m = (rule: string) => matchOf(rule, 'filter', 'INPUT', sets);

  it('reads every set', () => {
    expect(sets.names()).toEqual(['KUBE-CLUSTER-IP', 'allow', 'both', 'pair', 'web']);
  });
  it('hash:ip,port needs address, protocol and port', () => {
    const dst = m('-m set --match-set KUBE-CLUSTER-IP dst,dst');
    expect(evalMatch(dst, skbOf({ daddr: '10.96.0.1', dport: 443, ipProto: 6 }), env)).toBe(true);
    expect(evalMatch(dst, skbOf({ daddr: '10.96.0.1', dport: 443, ipProto: 17 }), env)).toBe(false);
    expect(evalMatch(dst, skbOf({ daddr: '10.96.0.10', dport: 53, ipProto: 17 }), env)).toBe(true);
    expect(evalMatch(m('-m set ! --match-set KUBE-CLUSTER-IP dst,dst'), skbOf({ daddr: '10.96.0.1', dport: 80 }), env)).toBe(true);
  });
  it('hash:net: the most specific element decides, nomatch excludes', () => {
    const src = m('-m set --match-set allow src');
    expect(evalMatch(src, skbOf({ saddr: '10.9.9.9' }), env)).toBe(true);
    expect(evalMatch(src, skbOf({ saddr: '10.1.9.9' }), env)).toBe(false);
    expect(evalMatch(src, skbOf({ saddr: '10.1.2.9' }), env)).toBe(true);
    expect(evalMatch(src, skbOf({ saddr: '11.0.0.1' }), env)).toBe(false);
  });
  it('--return-nomatch turns a nomatch element into a match and a normal one into none (types with nets only)', () => {
    // ip_set_test: with IPSET_FLAG_RETURN_NOMATCH on an IPSET_TYPE_NOMATCH set, ret > 0 and -ENOTEMPTY swap
    const rn = m('-m set --match-set allow src --return-nomatch');
    expect(evalMatch(rn, skbOf({ saddr: '10.1.9.9' }), env)).toBe(true); // the nomatch /16
    expect(evalMatch(rn, skbOf({ saddr: '10.9.9.9' }), env)).toBe(false); // the plain /8
    expect(evalMatch(rn, skbOf({ saddr: '10.1.2.9' }), env)).toBe(false); // the plain /24 inside the nomatch /16
    expect(evalMatch(rn, skbOf({ saddr: '11.0.0.1' }), env)).toBe(false); // in no element
    // hash:ip,port has no nomatch entries: the flag changes nothing
    expect(evalMatch(m('-m set --match-set KUBE-CLUSTER-IP dst,dst --return-nomatch'), skbOf({ daddr: '10.96.0.1', dport: 443, ipProto: 6 }), env)).toBe(true);
    // a list asks its members with the flag
    expect(evalMatch(m('-m set --match-set both src --return-nomatch'), skbOf({ saddr: '10.1.9.9', sport: 1 }), env)).toBe(true);
  });
  it('bitmap:port, three dimensions with mixed sides, list:set', () => {
    expect(evalMatch(m('-m set --match-set web dst'), skbOf({ dport: 81, ipProto: 17 }), env)).toBe(true);
    const pair = m('-m set --match-set pair src,dst,dst');
    expect(evalMatch(pair, skbOf({ saddr: '10.0.0.1', dport: 80, daddr: '10.0.0.2' }), env)).toBe(true);
    expect(evalMatch(pair, skbOf({ saddr: '10.0.0.2', dport: 80, daddr: '10.0.0.1' }), env)).toBe(false);
    const both = m('-m set --match-set both src');
    expect(evalMatch(both, skbOf({ saddr: '10.2.0.1', sport: 1 }), env)).toBe(true);
    expect(evalMatch(both, skbOf({ saddr: '11.0.0.1', sport: 80 }), env)).toBe(true);
  });
  it('prints the save form', () => {
    const c = m('-m set ! --match-set KUBE-CLUSTER-IP dst,dst --return-nomatch ! --update-counters');
    expect(c.module.print(c.data, { family: 4 })).toBe('! --match-set KUBE-CLUSTER-IP dst,dst --return-nomatch ! --update-counters');
  });
  it('reports ipset file errors with their line', () => {
    expect(() => parseIpsetSave('create a hash:ip\nadd a 300.1.1.1\n', 'f')).toThrow(RuleError);
    try {
      parseIpsetSave('create a hash:ip\nadd b 1.1.1.1\n', 'f');
    } catch (e) {
      expect((e as RuleError).line).toBe(2);
      expect((e as RuleError).code).toBe('ERR_IPSET_SYNTAX');
    }
    expect(() => parseIpsetSave('create a hash:mac\n')).toThrow(/not supported/);
  });
});
