// Properties of the engine's pieces: the run index returns exactly what a linear scan of the run would, in
// order; the statistic probability text equals the exact decimal expansion rounded half-to-even; generated
// rule sets of any size parse cleanly, print back byte for byte and are deterministic.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyShape, RunIndex } from '../../src/netfilter/rules/compile/run-index.js';
import { printProbability } from '../../src/netfilter/rules/gen/save-text.js';
import { parseRuleSet } from '../../src/netfilter/rules/parse.js';
import { printRuleSet } from '../../src/netfilter/rules/print.js';
import { dockerRules } from '../../src/netfilter/rules/gen/docker.js';
import { synthesizeDocker } from '../../src/netfilter/rules/gen/docker-synth.js';
import { kubeRules, synthesizeKube } from '../../src/netfilter/rules/gen/kube.js';

describe('RunIndex', () => {
  it('lists the same candidates, in the same order, as a linear scan of the run', () => {
    const addr = fc.constantFrom(0x0a600001, 0x0a600002, 0xc0a80001, 0xffffffff, 0);
    const key = fc.record({ daddr: addr, proto: fc.constantFrom(6, 17), dport: fc.constantFrom(0, 53, 80, 65535) });
    fc.assert(
      fc.property(fc.boolean(), fc.nat(1000), fc.array(key, { minLength: 1, maxLength: 80 }), fc.array(key, { maxLength: 20 }), (withAddr, a, keys, queries) => {
        const shape = withAddr ? KeyShape.DADDR_PROTO_DPORT : KeyShape.PROTO_DPORT;
        const ix = new RunIndex(a, keys.map((k) => ({ shape, ...k })), shape);
        for (const q of [...queries, ...keys]) {
          const want: number[] = [];
          keys.forEach((k, i) => {
            if (k.proto === q.proto && k.dport === q.dport && (!withAddr || k.daddr === q.daddr)) want.push(a + i);
          });
          const got: number[] = [];
          for (let s = ix.first(q.daddr, q.proto, q.dport); s >= 0; s = ix.after(s)) got.push(s);
          expect(got).toEqual(want);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** v / 2^31 written out exactly (1/2^31 = 5^31 / 10^31), then rounded half-to-even at 11 decimals. */
function exactPercent11(v: number): string {
  const digits = (BigInt(v) * 5n ** 31n).toString().padStart(32, '0'); // 31 decimals after the point
  const int = digits.slice(0, digits.length - 31);
  const frac = digits.slice(digits.length - 31);
  let keep = BigInt(int + frac.slice(0, 11));
  const rest = frac.slice(11);
  const half = '5'.padEnd(rest.length, '0');
  if (rest > half || (rest === half && keep % 2n === 1n)) keep += 1n;
  const s = keep.toString().padStart(12, '0');
  return `${s.slice(0, s.length - 11)}.${s.slice(s.length - 11)}`;
}

describe('statistic probability text', () => {
  it('is the exact value rounded half to even (glibc %.11f)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (v) => {
        expect(printProbability(v)).toBe(exactPercent11(v));
      }),
      { numRuns: 2000 },
    );
    // exact ties at the 12th decimal: v multiple of 2^31 / 2^k with few digits
    for (const v of [0, 1, 2 ** 20, 2 ** 30, 2 ** 31, 3 * 2 ** 19]) expect(printProbability(v)).toBe(exactPercent11(v));
  });
});

describe('generated rule sets', () => {
  it('Docker: parse without issues, print back identically, deterministic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 60 }), fc.boolean(), fc.boolean(), (bridges, ports, modern, proxy) => {
        const o = { bridges, ports, layout: modern ? ('modern' as const) : ('classic' as const), userlandProxy: proxy };
        const text = dockerRules(synthesizeDocker(o));
        const r = parseRuleSet(text);
        expect(r.issues).toEqual([]);
        expect(printRuleSet(r.ruleset)).toBe(text);
        expect(dockerRules(synthesizeDocker(o))).toBe(text);
      }),
      { numRuns: 60 },
    );
  });

  it('kube-proxy: parse without issues, print back identically, distinct chain names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 12 }), fc.boolean(), (services, endpoints, nodePorts) => {
        const text = kubeRules(synthesizeKube({ services, endpoints, nodePorts }));
        const r = parseRuleSet(text);
        expect(r.issues).toEqual([]);
        expect(printRuleSet(r.ruleset)).toBe(text);
        const chains = text.split('\n').filter((l) => l.startsWith(':KUBE-SVC-') || l.startsWith(':KUBE-SEP-'));
        expect(new Set(chains).size).toBe(chains.length);
        expect(chains.filter((l) => l.startsWith(':KUBE-SEP-'))).toHaveLength(services * endpoints);
      }),
      { numRuns: 40 },
    );
  });
});
