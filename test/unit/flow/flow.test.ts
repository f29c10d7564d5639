// Flow identity: the RPS steering hash (symmetric, seeded, ports only where they belong, an even spread),
// Community ID v1 on published vectors and its ordering rules, and FlowSet's exact and estimated counts.

import { describe, expect, it } from 'vitest';
import { flowHash } from '../../../src/flow/hash.js';
import { communityIdV1, communityIdOf } from '../../../src/flow/community-id.js';
import { FlowSet } from '../../../src/flow/flow-set.js';
import { L3, PacketMeta } from '../../../src/decode/meta.js';
import { LinkType } from '../../../src/capture/types.js';
import { Verify } from '../../../src/decode/decode.js';
import { Prng } from '../../../src/util/prng.js';
import { frame, type FrameName } from '../decode/frames.js';
import { decode } from '../decode/helpers.js';

/** The same frame seen in the other direction: addresses and ports (or MACs) swapped. */
function mirrored(name: FrameName, l3: number, l4: number): Uint8Array {
  const b = frame(name);
  const swap = (a: number, c: number, n: number): void => {
    for (let i = 0; i < n; i++) {
      const t = b[a + i]!;
      b[a + i] = b[c + i]!;
      b[c + i] = t;
    }
  };
  swap(0, 6, 6);
  if (b[l3]! >>> 4 === 4) swap(l3 + 12, l3 + 16, 4);
  else swap(l3 + 8, l3 + 24, 16);
  if (l4 >= 0) swap(l4, l4 + 2, 2);
  return b;
}

function meta(name: FrameName, bytes = frame(name)): PacketMeta {
  return decode(bytes, LinkType.ETHERNET, { verify: Verify.NONE }).m;
}

describe('flowHash', () => {
  it('is symmetric for TCP, UDP, IPv6 and ARP', () => {
    const cases: Array<[FrameName, number, number]> = [
      ['ETH_IPV4_TCP_ACK_TS', 14, 34],
      ['ETH_IPV4_UDP', 14, 34],
      ['ETH_IPV6_HBH_TCP', 14, 62],
      ['ETH_ARP_REQUEST', 14, -1],
    ];
    for (const [name, l3, l4] of cases) {
      const a = meta(name);
      const b = meta(name, mirrored(name, l3, l4));
      expect(b.sport === a.dport && b.dport === a.sport).toBe(true);
      expect(flowHash(b, 99)).toBe(flowHash(a, 99));
    }
  });

  it('depends on the seed and on the ports', () => {
    const a = meta('ETH_IPV4_TCP_ACK_TS');
    expect(flowHash(a, 1)).not.toBe(flowHash(a, 2));
    const other = frame('ETH_IPV4_TCP_ACK_TS');
    other[35] ^= 1; // source port 40001
    expect(flowHash(meta('ETH_IPV4_TCP_ACK_TS', other), 1)).not.toBe(flowHash(a, 1));
  });

  it('uses addresses and protocol only for ICMP (the echo id does not matter)', () => {
    const a = meta('ETH_IPV4_ICMP_ECHO');
    const b = frame('ETH_IPV4_ICMP_ECHO');
    b[38] = 0x99; // identifier
    expect(flowHash(meta('ETH_IPV4_ICMP_ECHO', b), 5)).toBe(flowHash(a, 5));
  });

  it('returns 31-bit non-negative integers spread evenly over 4 CPUs', () => {
    const rng = new Prng(7);
    const m = new PacketMeta();
    m.l3 = L3.IPV4;
    m.l3Off = 14;
    m.l4Off = 34;
    m.ipProto = 6;
    const buckets = [0, 0, 0, 0];
    for (let i = 0; i < 40000; i++) {
      m.saddr = 0x0a000000 | (rng.u32() & 0xffff);
      m.daddr = 0xc0a80001;
      m.sport = 1024 + (rng.u32() % 60000);
      m.dport = 443;
      const h = flowHash(m, 1234);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 31).toBe(true);
      buckets[Math.floor((h / 2 ** 31) * 4)]! += 1;
    }
    for (const n of buckets) expect(Math.abs(n - 10000)).toBeLessThan(500);
  });
});

const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

describe('communityIdV1', () => {
  it('matches an independently computed vector (Tenzir documentation: 1.2.3.4:4584 -> 43.3.132.3:3483 TCP)', () => {
    expect(communityIdV1(v4('1.2.3.4'), v4('43.3.132.3'), 6, 4584, 3483)).toBe('1:koNcqhFRD5kb254ZrLsdv630jCM=');
    expect(communityIdV1(v4('43.3.132.3'), v4('1.2.3.4'), 6, 3483, 4584)).toBe('1:koNcqhFRD5kb254ZrLsdv630jCM=');
  });

  it('orders equal addresses by port', () => {
    const a = communityIdV1(v4('192.168.0.254'), v4('192.168.0.254'), 6, 56162, 3306, 1);
    expect(communityIdV1(v4('192.168.0.254'), v4('192.168.0.254'), 6, 3306, 56162, 1)).toBe(a);
  });

  it('maps ICMP echo request and reply to one flow; one-way types are not reordered', () => {
    const req = communityIdV1(v4('10.0.0.1'), v4('10.0.0.2'), 1, 8, 0);
    expect(communityIdV1(v4('10.0.0.2'), v4('10.0.0.1'), 1, 0, 0)).toBe(req);
    // port unreachable is one-way: the two directions are different flows
    expect(communityIdV1(v4('10.0.0.2'), v4('10.0.0.1'), 1, 3, 3)).not.toBe(communityIdV1(v4('10.0.0.1'), v4('10.0.0.2'), 1, 3, 3));
  });

  it('rejects impossible input with ""', () => {
    expect(communityIdV1(v4('1.2.3.4'), v4('5.6.7.8'), 65535, 0, 0)).toBe('');
    expect(communityIdV1(v4('1.2.3.4'), new Uint8Array(16), 6, 1, 2)).toBe('');
  });

  it('communityIdOf: decoded packets; null without an IP header or a needed transport header', () => {
    const a = meta('ETH_IPV4_TCP_ACK_TS');
    expect(communityIdOf(a)).toBe(communityIdV1(v4('10.0.0.1'), v4('10.0.0.2'), 6, 40000, 80));
    expect(communityIdOf(meta('ETH_ARP_REQUEST'))).toBeNull();
    expect(communityIdOf(meta('ETH_IPV4_FRAG_SECOND'))).toBeNull();
    expect(communityIdOf(meta('ETH_IPV6_HBH_TCP'))).toMatch(/^1:[A-Za-z0-9+/]{27}=$/);
  });
});

describe('FlowSet', () => {
  it('counts bidirectional flows exactly and skips what is not a flow of its own', () => {
    const s = new FlowSet();
    s.add(meta('ETH_IPV4_TCP_ACK_TS'));
    s.add(meta('ETH_IPV4_TCP_ACK_TS', mirrored('ETH_IPV4_TCP_ACK_TS', 14, 34)));
    s.add(meta('ETH_IPV4_TCP_SYN')); // same 5-tuple as the ACK
    s.add(meta('ETH_IPV4_UDP'));
    s.add(meta('ETH_IPV4_ICMP_ECHO'));
    s.add(meta('ETH_IPV4_ICMP_UNREACH_UDP')); // an error belongs to the UDP flow
    s.add(meta('ETH_IPV4_FRAG_SECOND')); // no transport header
    s.add(meta('ETH_ARP_REQUEST'));
    s.add(meta('ETH_IPV6_HBH_TCP'));
    s.add(meta('ETH_IPV6_HBH_TCP', mirrored('ETH_IPV6_HBH_TCP', 14, 62)));
    expect(s.count()).toEqual({ flows: 4, exact: true, cap: 1 << 19 });
  });

  it('separates ICMP echo flows by identifier', () => {
    const s = new FlowSet();
    s.add(meta('ETH_IPV4_ICMP_ECHO'));
    const b = frame('ETH_IPV4_ICMP_ECHO');
    b[38] = 0x99;
    s.add(meta('ETH_IPV4_ICMP_ECHO', b));
    expect(s.count().flows).toBe(2);
  });

  it('grows its tables and stays exact up to the cap', () => {
    const s = new FlowSet(50000);
    const m = new PacketMeta();
    m.l3 = L3.IPV4;
    m.ipHdrLen = 20;
    m.l4Off = 34;
    m.ipProto = 17;
    for (let i = 0; i < 30000; i++) {
      m.saddr = 0x0a000000 + i;
      m.daddr = 0x0a000000 + 2 * i + 1;
      m.sport = i & 0xffff;
      m.dport = 53;
      s.add(m);
      s.add(m);
    }
    expect(s.count()).toEqual({ flows: 30000, exact: true, cap: 50000 });
  });

  it('beyond the cap: an estimate within 3%, flagged as such', () => {
    const s = new FlowSet(1000);
    const m = new PacketMeta();
    m.l3 = L3.IPV4;
    m.ipHdrLen = 20;
    m.l4Off = 34;
    m.ipProto = 6;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      m.saddr = (0x0a000000 + (i >>> 8)) >>> 0;
      m.daddr = 0xc0a80001;
      m.sport = 1024 + (i & 0xff);
      m.dport = 443;
      s.add(m);
    }
    const r = s.count();
    expect(r.exact).toBe(false);
    expect(Math.abs(r.flows - n) / n).toBeLessThan(0.03);
  });
});
