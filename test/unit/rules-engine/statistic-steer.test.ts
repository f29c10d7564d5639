// `-m statistic --mode random` steered by the kernel's observed DNAT (rules/nat-reach.ts): a kube-proxy
// endpoint cascade picks the endpoint the capture shows, in every engine variant; without an observation
// the seeded draws decide (a rule evaluated still makes its draw); rules whose jump leads to no DNAT ignore it.
import { describe, expect, it } from 'vitest';
import { Interner } from '../../../src/util/intern.js';
import { Hook, Verdict } from '../../../src/netfilter/skb.js';
import { loadRuleSet } from '../../../src/netfilter/rules/parse.js';
import { loadEngine, runTable, RuleResult } from '../../../src/netfilter/rules/engine.js';
import type { LoadOptions } from '../../../src/netfilter/rules/engine.js';
import type { NatTargetData, StatefulTargetData } from '../../../src/netfilter/rules/target-data.js';
import { DnatReach } from '../../../src/netfilter/rules/nat-reach.js';
import { NatFlag, TargetKind } from '../../../src/netfilter/rules/target-data.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { makeEnv, tcpPacket } from './ast-builder.js';

const RULES = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SVC - [0:0]
:KUBE-SEP-A - [0:0]
:KUBE-SEP-B - [0:0]
:KUBE-SEP-C - [0:0]
:MARKER - [0:0]
-A PREROUTING -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j KUBE-SVC
-A KUBE-SVC -m statistic --mode random --probability 0.5 -j MARKER
-A KUBE-SVC -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A
-A KUBE-SVC -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B
-A KUBE-SVC -j KUBE-SEP-C
-A KUBE-SEP-A -p tcp -j DNAT --to-destination 10.244.0.2:8080
-A KUBE-SEP-B -p tcp -j DNAT --to-destination 10.244.0.3:8080
-A KUBE-SEP-C -p tcp -j DNAT --to-destination 10.244.0.4:8080
-A MARKER -j MARK --set-xmark 0x1/0x1
COMMIT
`;

const variants: [string, Partial<LoadOptions>][] = [
  ['interpreted', { engine: 'interpreted' }],
  ['compiled', { engine: 'compiled' }],
  ['compiled, templates', { engine: 'compiled', compile: { literalMaxSlots: 0 } }],
];

/** Walk one NEW packet to the service; the DNAT destination asked for and the mark. */
function walk(extra: Partial<LoadOptions>, observed: [string, number] | null, seed: number): { dnat: string; mark: number; next: number } {
  const interner = new Interner();
  const engine = loadEngine(loadRuleSet(RULES), { interner, ...extra });
  const env = makeEnv((id) => interner.name(id), seed);
  const dnat: string[] = [];
  const target = { stateful: (d: StatefulTargetData) => (dnat.push(`${(d as NatTargetData).minAddr >>> 0}`), Verdict.ACCEPT), event: () => undefined };
  if (observed !== null) env.match.observedDnat.set(parseIpv4(observed[0]), observed[1]);
  const skb = tcpPacket({ saddr: parseIpv4('10.244.0.9'), daddr: parseIpv4('10.96.0.50'), dport: 80, len: 60 });
  runTable(engine.table('nat')!, Hook.PRE_ROUTING, skb, { match: env.match, target }, new RuleResult());
  const addr = Number(dnat[0]);
  return { dnat: `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`, mark: skb.mark, next: env.match.random32() };
}

describe.each(variants)('statistic --mode random steered by the observed DNAT (%s)', (_name, extra) => {
  it('takes the branch that leads to the observed endpoint, whatever the seed', () => {
    for (const ep of ['10.244.0.2', '10.244.0.3', '10.244.0.4']) {
      for (const seed of [1, 2, 3, 4, 5]) expect(walk(extra, [ep, 8080], seed).dnat).toBe(ep);
    }
  });

  it('leaves a random rule whose jump reaches no DNAT to its draw', () => {
    const marks = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => walk(extra, ['10.244.0.3', 8080], seed).mark));
    expect(marks).toEqual(new Set([0, 1]));
  });

  it('without an observation the seeded draws decide; observing that same choice changes no draw', () => {
    const picked = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const free = walk(extra, null, seed);
      picked.add(free.dnat);
      expect(walk(extra, [free.dnat, 8080], seed)).toEqual(free);
    }
    expect(picked).toEqual(new Set(['10.244.0.2', '10.244.0.3', '10.244.0.4']));
  });

  it('an observed destination no branch reaches falls through to the last endpoint', () => {
    expect(walk(extra, ['192.0.2.1', 80], 1).dnat).toBe('10.244.0.4');
  });
});

describe('DnatReach', () => {
  const range = (lo: string, hi: string, plo: number, phi: number, flags: number): NatTargetData => ({
    kind: TargetKind.DNAT, manip: 1, flags, minAddr: parseIpv4(lo), maxAddr: parseIpv4(hi), minProto: plo, maxProto: phi, baseProto: 0, minAddr6: null, maxAddr6: null,
  });
  it('tests addresses only with MAP_IPS and ports only with PROTO_SPECIFIED', () => {
    const r = new DnatReach([range('172.17.0.2', '172.17.0.4', 8000, 8002, NatFlag.MAP_IPS | NatFlag.PROTO_SPECIFIED)]);
    expect(r.contains(parseIpv4('172.17.0.3'), 8001)).toBe(true);
    expect(r.contains(parseIpv4('172.17.0.5'), 8001)).toBe(false);
    expect(r.contains(parseIpv4('172.17.0.3'), 8003)).toBe(false);
    const addrOnly = new DnatReach([range('200.0.0.1', '200.0.0.1', 0, 0, NatFlag.MAP_IPS)]);
    expect(addrOnly.contains(parseIpv4('200.0.0.1'), 12345)).toBe(true);
    const portOnly = new DnatReach([range('0.0.0.0', '0.0.0.0', 53, 53, NatFlag.PROTO_SPECIFIED)]);
    expect(portOnly.contains(parseIpv4('9.9.9.9'), 53)).toBe(true);
    expect(portOnly.contains(parseIpv4('9.9.9.9'), 54)).toBe(false);
  });
});
