// Generated rule sets are canonical iptables-save text: the parser loads them without an issue and the
// printer gives back the very same bytes; generation is deterministic.
import { describe, expect, it } from 'vitest';
import { parseRuleSet } from '../../../src/netfilter/rules/parse.js';
import { printRuleSet } from '../../../src/netfilter/rules/print.js';
import { dockerRules } from '../../../src/netfilter/rules/gen/docker.js';
import { synthesizeDocker } from '../../../src/netfilter/rules/gen/docker-synth.js';
import { kubeRules, synthesizeKube } from '../../../src/netfilter/rules/gen/kube.js';

function roundTrip(text: string): void {
  const r = parseRuleSet(text);
  expect(r.issues.map((i) => `${i.line}:${i.column} ${i.code} ${i.message}`)).toEqual([]);
  expect(printRuleSet(r.ruleset)).toBe(text);
}

describe('generated rule sets round-trip through the parser and printer', () => {
  it.each([
    ['classic', true, 1, 0],
    ['classic', true, 3, 12],
    ['classic', false, 5, 40],
    ['modern', true, 3, 12],
    ['modern', false, 2, 7],
  ] as const)('docker %s userland-proxy=%s bridges=%i ports=%i', (layout, userlandProxy, bridges, ports) => {
    const text = dockerRules(synthesizeDocker({ layout, userlandProxy, bridges, ports }));
    roundTrip(text);
    expect(dockerRules(synthesizeDocker({ layout, userlandProxy, bridges, ports }))).toBe(text);
  });

  it.each([
    [1, 1, false],
    [30, 3, true],
    [12, 0, true],
    [600, 2, true],
  ])('kube services=%i endpoints=%i nodeports=%s', (services, endpoints, nodePorts) => {
    roundTrip(kubeRules(synthesizeKube({ services, endpoints, nodePorts })));
  });
});
