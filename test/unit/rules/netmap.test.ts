// NETMAP parse and print as iptables 1.8 does them (libipt_NETMAP.c / libip6t_NETMAP.c: XTTYPE_HOSTMASK, the
// address masked, `--to net/len` or `/dotted` for a mask with holes), its table and hook limits
// (xt_NETMAP.c's xt_target entries), and the record the datapath gets.

import { describe, expect, it } from 'vitest';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { ruleBodyText } from '../../../src/netfilter/rules/print.js';
import { Family, TargetType } from '../../../src/netfilter/rules/ast.js';
import { IssueCode } from '../../../src/netfilter/rules/issues.js';
import { NatFlag, TargetKind } from '../../../src/netfilter/rules/target-data.js';
import { parseInetAton } from '../../../src/netfilter/rules/target/xt_NETMAP.js';
import { Verdict } from '../../../src/netfilter/skb.js';
import { dnatReachOf } from '../../../src/netfilter/rules/nat-reach.js';
import { RecordingTargetEnv, ruleOf, runTarget, skbOf } from './helpers.js';

function saved(rule: string, chain = 'PREROUTING', family: 4 | 6 = Family.IPV4): string {
  const r = parseRuleSet(`*nat\n-A ${chain} ${rule}\nCOMMIT\n`, { family });
  if (r.issues.length > 0) return `rejected: ${r.issues.map((i) => `${i.code} ${i.message}`).join('; ')}`;
  return ruleBodyText(r.ruleset.rules[0]!, family).slice(1);
}

describe('NETMAP parse and print', () => {
  it('saves --to as network/prefix, the host bits cleared', () => {
    expect(saved('-j NETMAP --to 1.2.3.0/24')).toBe('-j NETMAP --to 1.2.3.0/24');
    expect(saved('-j NETMAP --to 1.2.3.4')).toBe('-j NETMAP --to 1.2.3.4/32');
    expect(saved('-j NETMAP --to 1.2.3.4/24')).toBe('-j NETMAP --to 1.2.3.0/24');
    expect(saved('-j NETMAP --to 10.0.0.0/255.255.0.0', 'POSTROUTING')).toBe('-j NETMAP --to 10.0.0.0/16');
    expect(saved('-j NETMAP --to 10.0.0.0/255.0.255.0', 'OUTPUT')).toBe('-j NETMAP --to 10.0.0.0/255.0.255.0');
    expect(saved('-j NETMAP --to 10.9.9.9/0', 'INPUT')).toBe('-j NETMAP --to 0.0.0.0/0');
    expect(saved('-d 192.0.2.0/24 -j NETMAP --to=198.51.100.0/0x18')).toBe('-d 192.0.2.0/24 -j NETMAP --to 198.51.100.0/24');
  });
  it('reads hosts as getaddrinfo does (inet_aton forms)', () => {
    expect(parseInetAton('10.1')).toBe(0x0a000001);
    expect(parseInetAton('0x7f.1')).toBe(0x7f000001);
    expect(parseInetAton('010.0.0.1')).toBe(0x08000001);
    expect(parseInetAton('167772161')).toBe(0x0a000001);
    expect(parseInetAton('256.1.1.1')).toBe(-1);
    expect(parseInetAton('1.2.3.')).toBe(-1);
    expect(parseInetAton('08.1.1.1')).toBe(-1);
    expect(saved('-j NETMAP --to 10.1/16')).toBe('-j NETMAP --to 10.0.0.0/16');
  });
  it('ip6tables: prefix or full address as /128', () => {
    expect(saved('-j NETMAP --to dead::/64', 'PREROUTING', Family.IPV6)).toBe('-j NETMAP --to dead::/64');
    expect(saved('-j NETMAP --to dead::beef', 'POSTROUTING', Family.IPV6)).toBe('-j NETMAP --to dead::beef/128');
    expect(saved('-j NETMAP --to dead::beef/64', 'POSTROUTING', Family.IPV6)).toBe('-j NETMAP --to dead::/64');
  });
  it('refuses a missing, bad, inverted or repeated --to', () => {
    const issue = (rule: string, table = 'nat', chain = 'PREROUTING') =>
      parseRuleSet(`*${table}\n-A ${chain} ${rule}\nCOMMIT\n`, { family: Family.IPV4 }).issues.map((i) => [i.code, i.message]);
    expect(issue('-j NETMAP')).toEqual([[IssueCode.MISSING_OPTION, 'NETMAP: option "--to" must be specified']]);
    expect(issue('-j NETMAP --to 300.1.1.1')[0]![0]).toBe(IssueCode.BAD_VALUE);
    expect(issue('-j NETMAP --to example.com/24')[0]![1]).toMatch(/cannot be resolved offline/);
    expect(issue('-j NETMAP --to 10.0.0.0/abc')[0]![1]).toMatch(/neither a valid network mask nor valid CIDR \(0-32\)/);
    expect(issue('-j NETMAP ! --to 10.0.0.0/8')[0]![0]).toBe(IssueCode.INVERT);
    expect(issue('-j NETMAP --to 10.0.0.0/8 --to 10.0.0.0/8')[0]![0]).toBe(IssueCode.OPTION_REPEATED);
    expect(issue('-j NETMAP --to 10.0.0.0/8', 'filter', 'INPUT')[0]![0]).toBe(IssueCode.WRONG_TABLE);
    expect(issue('-j NETMAP --to 10.0.0.0/8', 'mangle', 'PREROUTING')[0]![0]).toBe(IssueCode.WRONG_TABLE);
  });
  it('is valid from all four nat hooks', () => {
    for (const chain of ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']) expect(saved('-j NETMAP --to 10.0.0.0/8', chain)).toBe('-j NETMAP --to 10.0.0.0/8');
  });
});

describe('NETMAP record for the datapath', () => {
  it('carries the network as first and last address with MAP_IPS, and takes its verdict from the datapath', () => {
    const env = new RecordingTargetEnv(Verdict.ACCEPT);
    const r = ruleOf('-j NETMAP --to 172.17.0.0/24', 'nat', 'PREROUTING');
    expect(runTarget(r, skbOf(), env)).toBe(Verdict.ACCEPT);
    expect(env.stateCalls).toEqual([
      { kind: TargetKind.NETMAP, flags: NatFlag.MAP_IPS, minAddr: 0xac110000, maxAddr: 0xac1100ff, minProto: 0, maxProto: 0, net6: null },
    ]);
    expect(r.target.type).toBe(TargetType.EXTENSION);
  });
});

describe('NETMAP steers -m statistic like a DNAT', () => {
  it('a jump reaching NETMAP could have produced any destination inside its network', () => {
    const t = ruleOf('-j NETMAP --to 172.17.0.0/24', 'nat', 'PREROUTING').target;
    const data = t.type === TargetType.EXTENSION ? t.data : null;
    const reach = dnatReachOf({ chains: [{ start: 0, tail: 1 }], jumpChain: new Int32Array([-1]), targetData: [data] }, 0);
    expect(reach?.contains(0xac110063, 53)).toBe(true);
    expect(reach?.contains(0xac110163, 53)).toBe(false);
  });
});
