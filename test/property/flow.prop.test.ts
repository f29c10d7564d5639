// Flow properties on random tuples: the RPS hash and the Community ID are the same in both directions
// (frames built with the wire views, then decoded), and FlowSet counts what a plain Set of canonical
// tuple strings counts.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { flowHash } from '../../src/flow/hash.js';
import { communityIdV1, communityIdOf } from '../../src/flow/community-id.js';
import { FlowSet } from '../../src/flow/flow-set.js';
import { decodeFrame, Verify } from '../../src/decode/decode.js';
import { DecodeCounters } from '../../src/decode/counters.js';
import { PacketMeta } from '../../src/decode/meta.js';
import { EthernetView } from '../../src/wire/ethernet.js';
import { Ipv4View } from '../../src/wire/ipv4.js';
import { Ipv6View } from '../../src/wire/ipv6.js';
import { putBe16 } from '../../src/util/bytes.js';

interface Tuple {
  v6: boolean;
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  sport: number;
  dport: number;
}

/** Ethernet + IP + 8 bytes of transport header (ports, or ICMP type/code) for a tuple. */
function build(t: Tuple): Uint8Array {
  const l3 = 14;
  const ipLen = t.v6 ? 40 : 20;
  const b = new Uint8Array(l3 + ipLen + 20);
  const eth = new EthernetView(b, 0);
  eth.etherType = t.v6 ? 0x86dd : 0x0800;
  if (t.v6) {
    b[l3] = 0x60;
    const v = new Ipv6View(b, l3);
    v.payloadLen = 20;
    v.nextHeader = t.proto;
    v.hopLimit = 64;
    b.set(t.src, l3 + 8);
    b.set(t.dst, l3 + 24);
  } else {
    b[l3] = 0x45;
    const v = new Ipv4View(b, l3);
    v.totalLen = 40;
    v.ttl = 64;
    v.protocol = t.proto;
    b.set(t.src, l3 + 12);
    b.set(t.dst, l3 + 16);
  }
  const l4 = l3 + ipLen;
  if (t.proto === 1 || t.proto === 58) {
    b[l4] = t.sport & 0xff;
    b[l4 + 1] = t.dport & 0xff;
  } else {
    putBe16(b, l4, t.sport);
    putBe16(b, l4 + 2, t.dport);
    if (t.proto === 6) b[l4 + 12] = 0x50;
    if (t.proto === 17) putBe16(b, l4 + 4, 20);
  }
  return b;
}

const tuple = fc
  .record({
    v6: fc.boolean(),
    a: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    b: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    same: fc.boolean(),
    proto: fc.constantFrom(6, 17, 132, 47, 1),
    sport: fc.nat(0xffff),
    dport: fc.nat(0xffff),
  })
  .map(({ v6, a, b, same, proto, sport, dport }): Tuple => {
    const n = v6 ? 16 : 4;
    const src = a.slice(0, n);
    const dst = same ? src.slice() : b.slice(0, n);
    const p = proto === 1 && v6 ? 58 : proto;
    return { v6, src, dst, proto: p, sport, dport };
  });

function reversed(t: Tuple): Tuple {
  return { ...t, src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
}

describe('flow identity is symmetric', () => {
  const m = new PacketMeta();
  const c = new DecodeCounters();
  it('flowHash(A→B) = flowHash(B→A) for any seed', () => {
    fc.assert(
      fc.property(tuple, fc.integer(), (t, seed) => {
        const ab = build(t);
        decodeFrame(m, ab, 0, ab.length, ab.length, 1, c, Verify.NONE);
        const h1 = flowHash(m, seed);
        const ba = build(reversed(t));
        decodeFrame(m, ba, 0, ba.length, ba.length, 1, c, Verify.NONE);
        expect(flowHash(m, seed)).toBe(h1);
      }),
      { numRuns: 3000 },
    );
  });

  it('Community ID(A→B) = Community ID(B→A) for protocols with ports and for port-less ones', () => {
    fc.assert(
      fc.property(tuple, fc.nat(0xffff), (t, seed) => {
        if (t.proto === 1 || t.proto === 58) return;
        expect(communityIdV1(t.dst, t.src, t.proto, t.dport, t.sport, seed)).toBe(communityIdV1(t.src, t.dst, t.proto, t.sport, t.dport, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('ICMP request/reply pairs share one Community ID; decoded packets give the same IDs as the tuple', () => {
    const pairs: Array<[number, number]> = [
      [8, 0],
      [13, 14],
      [15, 16],
      [17, 18],
      [10, 9],
    ];
    fc.assert(
      fc.property(tuple, fc.constantFrom(...pairs), fc.nat(0xffff), (t, [req, rep], seed) => {
        if (t.v6) return;
        const q: Tuple = { ...t, proto: 1, sport: req, dport: 0 };
        const r: Tuple = { ...reversed(q), sport: rep, dport: 0 };
        const idQ = communityIdV1(q.src, q.dst, 1, req, 0, seed);
        expect(communityIdV1(r.src, r.dst, 1, rep, 0, seed)).toBe(idQ);
        const bytes = build(q);
        decodeFrame(m, bytes, 0, bytes.length, bytes.length, 1, c, Verify.NONE);
        expect(communityIdOf(m, seed)).toBe(idQ);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('FlowSet', () => {
  it('counts the distinct canonical tuples a Set of strings counts', () => {
    const m = new PacketMeta();
    const c = new DecodeCounters();
    fc.assert(
      fc.property(fc.array(fc.tuple(tuple, fc.boolean()), { maxLength: 60 }), (items) => {
        const set = new FlowSet();
        const ref = new Set<string>();
        for (const [t, flip] of items) {
          if (t.proto === 1 || t.proto === 58) continue;
          const x = flip ? reversed(t) : t;
          const bytes = build(x);
          decodeFrame(m, bytes, 0, bytes.length, bytes.length, 1, c, Verify.NONE);
          set.add(m);
          const ports = t.proto === 47 ? [0, 0] : [t.sport, t.dport];
          const ends = [`${t.src.join('.')}:${ports[0]}`, `${t.dst.join('.')}:${ports[1]}`];
          const key = (a: string, b: string): string => `${t.v6}|${t.proto}|${a}|${b}`;
          ref.add(ends[0]! <= ends[1]! ? key(ends[0]!, ends[1]!) : key(ends[1]!, ends[0]!));
        }
        expect(set.count().flows).toBe(ref.size);
      }),
      { numRuns: 1000 },
    );
  });
});
