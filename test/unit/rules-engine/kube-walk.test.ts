// A NEW packet through a generated kube-proxy nat table, worked out by hand from the rule text: which rules
// the kernel's linear walk visits, the masquerade mark, the DNAT the endpoint chain asks for, and the
// deciding rule — the same for the interpreter and the compiler with and without the service index.
import { describe, expect, it } from 'vitest';
import { Interner } from '../../../src/util/intern.js';
import { Hook, Verdict } from '../../../src/netfilter/skb.js';
import { loadRuleSet as parseRules } from '../../../src/netfilter/rules/parse.js';
import { loadEngine, runTable, RuleResult } from '../../../src/netfilter/rules/engine.js';
import type { LoadOptions } from '../../../src/netfilter/rules/engine.js';
import type { StatefulTargetData, NatTargetData } from '../../../src/netfilter/rules/target-data.js';
import { TargetKind } from '../../../src/netfilter/rules/target-data.js';
import { kubeRules, synthesizeKube } from '../../../src/netfilter/rules/gen/kube.js';
import { endpointChainName } from '../../../src/netfilter/rules/gen/kube-names.js';
import { makeEnv, tcpPacket } from './ast-builder.js';

const text = kubeRules(synthesizeKube({ services: 5, endpoints: 1, nodePorts: false }));
const rs = parseRules(text);

const variants: [string, Partial<LoadOptions>][] = [
  ['interpreted', { engine: 'interpreted' }],
  ['compiled', { engine: 'compiled' }],
  ['compiled, indexed', { engine: 'compiled', compile: { minRun: 2 } }],
  ['compiled, templates, indexed', { engine: 'compiled', compile: { minRun: 2, literalMaxSlots: 0 } }],
];

describe.each(variants)('kube-proxy nat PREROUTING walk (%s)', (_name, extra) => {
  it('external client to kube-dns:dns-tcp: mark for masquerade, DNAT to the endpoint, 10 entries visited', () => {
    const interner = new Interner();
    const engine = loadEngine(rs, { interner, ...extra });
    const nat: StatefulTargetData[] = [];
    const env = makeEnv((id) => interner.name(id));
    const calls = { stateful: (d: StatefulTargetData) => (nat.push(d), Verdict.ACCEPT), event: () => undefined };
    const res = new RuleResult();
    // 192.168.1.5:40000 → 10.96.0.10:53 tcp, from eth0
    const skb = tcpPacket({ saddr: 0xc0a80105, daddr: 0x0a60000a, dport: 53, len: 60, inIf: interner.intern('eth0') });
    const p = engine.table('nat')!;
    expect(runTable(p, Hook.PRE_ROUTING, skb, { match: env.match, target: calls }, res)).toBe(Verdict.ACCEPT);
    // PREROUTING 1, KUBE-SERVICES 1-3, KUBE-SVC 1, KUBE-MARK-MASQ 1 + tail, KUBE-SVC 2, KUBE-SEP 1-2
    expect(res.rulesVisited).toBe(10);
    expect(skb.mark).toBe(0x4000);
    expect(nat).toHaveLength(1);
    const d = nat[0] as NatTargetData;
    expect(d.kind).toBe(TargetKind.DNAT);
    // service 2 (dns-tcp) has the third pod of the cluster: 10.244.0.4, target port 53
    expect([d.minAddr, d.minProto]).toEqual([0x0af40004, 53]);
    const sep = endpointChainName('kube-system/kube-dns:dns-tcp', 'tcp', '10.244.0.4:53');
    expect(res.describe()).toBe(`nat:${sep}:rule 2`);
    expect(rs.rules[res.ruleId]!.text).toBe(`-A ${sep} -p tcp -m comment --comment "kube-system/kube-dns:dns-tcp" -m tcp -j DNAT --to-destination 10.244.0.4:53`);
    const masq = rs.rules.find((r) => r.chain === 'KUBE-MARK-MASQ')!;
    expect(engine.ruleCounters(masq.id)).toEqual({ pkts: 1n, bytes: 60n });
  });

  it('a pod to the same service is not marked (the cluster-CIDR masquerade rule does not match)', () => {
    const interner = new Interner();
    const engine = loadEngine(rs, { interner, ...extra });
    const env = makeEnv((id) => interner.name(id));
    const res = new RuleResult();
    const skb = tcpPacket({ saddr: 0x0af40063, daddr: 0x0a60000a, dport: 53, len: 60, inIf: interner.intern('cni0') });
    expect(runTable(engine.table('nat')!, Hook.PRE_ROUTING, skb, env, res)).toBe(Verdict.ACCEPT);
    // PREROUTING 1, KUBE-SERVICES 1-3, KUBE-SVC 1-2, KUBE-SEP 1-2
    expect(res.rulesVisited).toBe(8);
    expect(skb.mark).toBe(0);
  });

  it('a packet to no service walks all of KUBE-SERVICES and ends at the policy', () => {
    const interner = new Interner();
    const engine = loadEngine(rs, { interner, ...extra });
    const env = makeEnv((id) => interner.name(id));
    const res = new RuleResult();
    const skb = tcpPacket({ saddr: 0xc0a80105, daddr: 0x08080808, dport: 443, len: 60 });
    expect(runTable(engine.table('nat')!, Hook.PRE_ROUTING, skb, env, res)).toBe(Verdict.ACCEPT);
    // PREROUTING 1, KUBE-SERVICES 1-5 and the NODEPORTS rule (not local) and its tail, PREROUTING policy
    expect(res.rulesVisited).toBe(9);
    expect(res.describe()).toBe('nat:PREROUTING:policy');
  });
});
