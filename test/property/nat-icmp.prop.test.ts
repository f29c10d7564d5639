// Properties of nf_nat_icmp_reply_translation on random ICMP errors: quoted TCP/UDP/ICMP-echo packets
// with IP and TCP options, quoted at every length from "IP header + 8 bytes" to the whole packet, outer
// headers with options, and captures cut short. The translated error must equal the error the other side
// of the NAT would have produced (built independently, checksums by RFC 1071); too-short quotes drop.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../src/decode/meta.js';
import { Tuple } from '../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../src/netfilter/nat/nat.js';
import { CtInfo, CtStatus, Hook, Verdict } from '../../src/netfilter/skb.js';
import { Prng } from '../../src/util/prng.js';
import { FakeCt } from '../unit/nat/fake-ct.js';
import { build, icmpErrorAround, pktSpec, u16, u32, type PktSpec } from '../unit/nat/gen.js';
import { metaFor, skbOn, toHexString } from '../unit/nat/pkt-helpers.js';

const host = { masqueradeSource: () => 0, redirectAddress: () => 0 };

interface Case {
  /** The error as it arrives, the error as the kernel should leave it, the entry, the hook. */
  arriving: Uint8Array;
  expected: Uint8Array;
  ct: FakeCt;
  ctIdx: number;
  hook: number;
  /** Offset of the quoted L4 header in both errors and the quoted length. */
  quotedL4: number;
  minLen: number;
}

function tupleOf(s: PktSpec): Tuple {
  return s.proto === IpProto.ICMP ? new Tuple(s.src, s.dst, s.sport, 8 << 8, s.proto) : new Tuple(s.src, s.dst, s.sport, s.dport, s.proto);
}

/**
 * Quote `from` (q bytes) in an error and expect `to` quoted instead. A TCP quote shorter than a full header
 * keeps its checksum bytes: the kernel only rewrites the port then.
 */
function quotes(from: Uint8Array, to: Uint8Array, q: number, proto: number): [Uint8Array, Uint8Array] {
  const a = from.slice(0, q);
  const b = to.slice(0, q);
  const ihl = (from[0]! & 15) * 4;
  if (proto === IpProto.TCP && q < ihl + 20) for (let i = ihl + 16; i < q; i++) b[i] = a[i]!;
  return [a, b];
}

const caseArb = fc
  .record({
    spec: pktSpec,
    scenario: fc.constantFrom('snat-pre', 'dnat-post'),
    addr: u32,
    port: u16,
    router: u32,
    outerOpts: fc.integer({ min: 0, max: 10 }),
    quoteFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    capFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    type: fc.constantFrom([3, 3], [3, 1], [11, 0], [12, 0]),
  })
  .map((r): Case => {
    const s: PktSpec = { ...r.spec, icmpType: 8 };
    const icmp = s.proto === IpProto.ICMP;
    const ct = new FakeCt();
    let inside: PktSpec;
    let outside: PktSpec;
    let ctIdx: number;
    let arriving: (q: Uint8Array) => Uint8Array;
    let expected: (q: Uint8Array) => Uint8Array;
    let from: Uint8Array;
    let to: Uint8Array;
    let hook: number;
    if (r.scenario === 'snat-pre') {
      // s leaves through SNAT as (addr, port); a router answers the translated packet
      inside = s;
      outside = { ...s, src: r.addr, sport: r.port };
      const reply = icmp ? new Tuple(s.dst, r.addr, r.port, 0, s.proto) : new Tuple(s.dst, r.addr, s.dport, r.port, s.proto);
      ctIdx = ct.addConfirmed(tupleOf(inside), reply, CtStatus.SRC_NAT);
      from = build(outside);
      to = build(inside);
      arriving = (q) => icmpErrorAround(r.router, r.addr, r.type[0]!, r.type[1]!, r.outerOpts, q);
      expected = (q) => icmpErrorAround(r.router, s.src, r.type[0]!, r.type[1]!, r.outerOpts, q);
      hook = Hook.PRE_ROUTING;
    } else {
      // s arrives for (dst, dport) and is DNATed to backend (addr, port); the backend answers what it got
      outside = s;
      inside = icmp ? { ...s, dst: r.addr, sport: r.port } : { ...s, dst: r.addr, dport: r.port };
      const reply = icmp ? new Tuple(r.addr, s.src, r.port, 0, s.proto) : new Tuple(r.addr, s.src, r.port, s.sport, s.proto);
      ctIdx = ct.addConfirmed(tupleOf(outside), reply, CtStatus.DST_NAT);
      from = build(inside);
      to = build(outside);
      arriving = (q) => icmpErrorAround(r.addr, s.src, r.type[0]!, r.type[1]!, r.outerOpts, q);
      expected = (q) => icmpErrorAround(s.dst, s.src, r.type[0]!, r.type[1]!, r.outerOpts, q);
      hook = Hook.POST_ROUTING;
    }
    const ihl = 20 + s.ipOpts * 4;
    const minQ = ihl + 8;
    const q = minQ + Math.floor(r.quoteFrac * (from.length - minQ));
    const [qa, qb] = quotes(from, to, q, s.proto);
    const outerIhl = 20 + r.outerOpts * 4;
    const err = arriving(qa);
    // Capture cut: anywhere after the quoted transport header; inside it only at 16-bit boundaries, and
    // not before a UDP checksum whose absence ("none") could not be known.
    const l4 = outerIhl + 8 + ihl;
    const minLen = s.proto === IpProto.UDP && s.udpNoCsum ? l4 + 8 : l4;
    let cap = minLen + Math.floor(r.capFrac * (err.length - minLen));
    if (cap < l4 + 8) cap -= (cap - l4) & 1;
    return { arriving: err, expected: expected(qb), ct, ctIdx, hook, quotedL4: l4, minLen: cap };
  });

describe('ICMP error translation properties', () => {
  it('a translated error equals the error the other side would have seen', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const n = new Nat({ conntrack: c.ct, prng: new Prng(1), host, extras: c.ct });
        const b = c.arriving.slice();
        expect(n.hookFn(skbOn(metaFor(b), c.ctIdx, CtInfo.RELATED_REPLY), c.hook, null)).toBe(Verdict.ACCEPT);
        expect(toHexString(b)).toBe(toHexString(c.expected));
      }),
      { numRuns: 1000 },
    );
  });

  it('with the capture cut short, the captured bytes and the ICMP checksum are still what the kernel writes', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const n = new Nat({ conntrack: c.ct, prng: new Prng(1), host, extras: c.ct });
        const b = c.arriving.slice();
        const cap = c.minLen;
        expect(n.hookFn(skbOn(metaFor(b, cap), c.ctIdx, CtInfo.RELATED_REPLY), c.hook, null)).toBe(Verdict.ACCEPT);
        expect(toHexString(b.slice(0, cap))).toBe(toHexString(c.expected.slice(0, cap)));
      }),
      { numRuns: 1000 },
    );
  });

  it('a quote with fewer than 8 bytes of the transport header is dropped', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 7 }), (c, keep) => {
        const n = new Nat({ conntrack: c.ct, prng: new Prng(1), host, extras: c.ct });
        const cut = c.arriving.slice(0, c.quotedL4 + keep);
        cut[2] = cut.length >>> 8;
        cut[3] = cut.length & 0xff;
        // recompute the ICMP checksum of the shorter message so that only the length can matter
        const ihl = (cut[0]! & 15) * 4;
        if (c.quotedL4 + keep < ihl + 8 + 20) return; // the outer check (8 + 20 bytes) is tested elsewhere
        cut[ihl + 2] = 0;
        cut[ihl + 3] = 0;
        let sum = 0;
        for (let i = ihl; i < cut.length; i += 2) sum += (cut[i]! << 8) + (i + 1 < cut.length ? cut[i + 1]! : 0);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        const cs = ~sum & 0xffff;
        cut[ihl + 2] = cs >>> 8;
        cut[ihl + 3] = cs & 0xff;
        expect(n.hookFn(skbOn(metaFor(cut), c.ctIdx, CtInfo.RELATED_REPLY), c.hook, null)).toBe(Verdict.DROP);
      }),
      { numRuns: 300 },
    );
  });
});
