// Generators' building blocks: kube-proxy chain names, the statistic probability encoding, comment quoting,
// iptables-save chain ordering, and the shape of the synthesized kube-proxy / Docker rule sets.
import { describe, expect, it } from 'vitest';
import { base32, endpointChainName, serviceChainName } from '../../../src/netfilter/rules/gen/kube-names.js';
import { SaveTable, kubeProbabilityText, printProbability, quoteComment, storedProbability } from '../../../src/netfilter/rules/gen/save-text.js';
import { kubeRules, synthesizeKube } from '../../../src/netfilter/rules/gen/kube.js';
import { dockerRules } from '../../../src/netfilter/rules/gen/docker.js';
import { synthesizeDocker } from '../../../src/netfilter/rules/gen/docker-synth.js';

describe('kube-proxy chain names', () => {
  it('matches the names verified against kube-proxy', () => {
    expect(serviceChainName('kube-system/kube-dns:dns', 'udp')).toBe('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(serviceChainName('default/kubernetes:https', 'tcp')).toBe('KUBE-SVC-NPX46M4PTMTKRN6Y');
  });
  it('base32 follows RFC 4648 test vectors (without padding)', () => {
    const enc = (s: string) => base32(new TextEncoder().encode(s));
    expect(enc('')).toBe('');
    expect(enc('f')).toBe('MY');
    expect(enc('fo')).toBe('MZXQ');
    expect(enc('foo')).toBe('MZXW6');
    expect(enc('foob')).toBe('MZXW6YQ');
    expect(enc('fooba')).toBe('MZXW6YTB');
    expect(enc('foobar')).toBe('MZXW6YTBOI');
  });
  it('endpoint chains are 25 characters and depend on the endpoint', () => {
    const a = endpointChainName('default/web:http', 'tcp', '10.244.1.5:8080');
    const b = endpointChainName('default/web:http', 'tcp', '10.244.2.6:8080');
    expect(a).toMatch(/^KUBE-SEP-[A-Z2-7]{16}$/);
    expect(a).not.toBe(b);
  });
});

describe('statistic probability', () => {
  // values verified with iptables 1.8.9 (reference section 2.7)
  it.each([
    ['0.5', '0.50000000000'],
    ['0.3333333333', '0.33333333349'],
    ['0.2', '0.20000000019'],
    ['0.1666666667', '0.16666666651'],
    ['0.1428571429', '0.14285714272'],
    ['0.1', '0.10000000009'],
    ['0.01', '0.00999999978'],
  ])('--probability %s is saved as %s', (given, saved) => {
    expect(printProbability(storedProbability(given))).toBe(saved);
  });
  it('kube-proxy formats 1/n with ten decimals', () => {
    expect(kubeProbabilityText(3)).toBe('0.3333333333');
    expect(kubeProbabilityText(7)).toBe('0.1428571429');
    expect(storedProbability('0.5')).toBe(0x40000000);
  });
});

describe('save text', () => {
  it('quotes comments the way iptables-save does', () => {
    expect(quoteComment('abc_D-9')).toBe('abc_D-9');
    expect(quoteComment('default/web:http')).toBe('"default/web:http"');
    expect(quoteComment('dot.name')).toBe('"dot.name"');
    expect(quoteComment('')).toBe('""');
    expect(quoteComment('say "hi"')).toBe('"say \\"hi\\""');
  });
  it('prints builtins in hook order, then user chains by byte order', () => {
    const t = new SaveTable('filter', { FORWARD: 'DROP' }).chain('b').chain('A').chain('a');
    t.append('a', '-j RETURN').append('FORWARD', '-j a').insert('FORWARD', '-j A');
    expect(t.render()).toBe(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:A - [0:0]\n:a - [0:0]\n:b - [0:0]\n' +
        '-A FORWARD -j A\n-A FORWARD -j a\n-A a -j RETURN\nCOMMIT\n',
    );
  });
});

describe('kube-proxy generator', () => {
  it('builds S × E with the probabilities 1/(n-i) and the final unconditional jump', () => {
    const text = kubeRules(synthesizeKube({ services: 5, endpoints: 3, nodePorts: true }));
    const svc = serviceChainName('default/kubernetes:https', 'tcp');
    const lines = text.split('\n').filter((l) => l.startsWith(`-A ${svc} `));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      `-A ${svc} ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-MARK-MASQ`,
    );
    expect(lines[1]).toContain('--probability 0.33333333349 -j KUBE-SEP-');
    expect(lines[2]).toContain('--probability 0.50000000000 -j KUBE-SEP-');
    expect(lines[3]).not.toContain('statistic');
    expect(lines[3]).toContain('-m comment --comment "default/kubernetes:https -> 10.244.0.4:6443" -j KUBE-SEP-');
    // 5 services + the NODEPORTS tail rule
    expect(text.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES ') && l.includes('-j KUBE-SVC-'))).toHaveLength(5);
    expect(text).toContain('-A KUBE-NODEPORTS -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp --dport 30001 -j KUBE-EXT-TCOU7JCQXEZGVUNU');
    expect(text).toContain(':KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]');
  });
  it('drops the per-endpoint comments above 1000 endpoints', () => {
    const small = kubeRules(synthesizeKube({ services: 500, endpoints: 2, nodePorts: false }));
    const big = kubeRules(synthesizeKube({ services: 501, endpoints: 2, nodePorts: false }));
    expect(small).toMatch(/-A KUBE-SEP-\S+ -s \S+ -m comment --comment/);
    expect(big).not.toMatch(/-A KUBE-SEP-\S+ -s \S+ -m comment --comment/);
    expect(big).not.toMatch(/-A KUBE-SVC-\S+ -m comment --comment "[^"]* -> /);
    expect(big).toMatch(/-A KUBE-SEP-\S+ -p tcp -m tcp -j DNAT --to-destination 10\.244\.\d+\.\d+:\d+\n/);
  });
  it('services without endpoints get only the filter REJECT', () => {
    const text = kubeRules(synthesizeKube({ services: 2, endpoints: 0, nodePorts: true }));
    expect(text).toContain(
      '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https has no endpoints" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable',
    );
    expect(text).not.toContain('KUBE-SVC-');
    expect(text).toContain('-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/kubernetes:https has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30000 -j REJECT');
  });
  it('is deterministic', () => {
    const o = { services: 300, endpoints: 4, nodePorts: true };
    expect(kubeRules(synthesizeKube(o))).toBe(kubeRules(synthesizeKube(o)));
  });
});

describe('Docker generator', () => {
  it('puts newer bridges first in FORWARD and after the two daemon jumps', () => {
    const text = dockerRules(synthesizeDocker({ bridges: 3, ports: 0, layout: 'classic', userlandProxy: true }));
    const fwd = text.split('\n').filter((l) => l.startsWith('-A FORWARD '));
    expect(fwd[0]).toBe('-A FORWARD -j DOCKER-USER');
    expect(fwd[1]).toBe('-A FORWARD -j DOCKER-ISOLATION-STAGE-1');
    expect(fwd).toHaveLength(2 + 3 * 4);
    expect(fwd[fwd.length - 1]).toBe('-A FORWARD -i docker0 -o docker0 -j ACCEPT');
    expect(text).toContain(':FORWARD DROP [0:0]');
  });
  it('rejects counts that do not fit', () => {
    expect(() => synthesizeDocker({ bridges: 0, ports: 1, layout: 'classic', userlandProxy: true })).toThrow(/bridges/);
    expect(() => synthesizeDocker({ bridges: 40, ports: 40 * 300, layout: 'classic', userlandProxy: true })).toThrow(/do not fit/);
  });
});
