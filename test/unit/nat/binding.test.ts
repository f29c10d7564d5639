// nf_nat_setup_info / get_unique_tuple against kernel recordings (the oracle's 05, 06 and 12 scenarios on
// 6.18) and the reference's verified examples. Expected values come from the recordings, from the
// reference, or are hand-derived from the kernel algorithm (ranges, probe counts); none from our code.
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src/decode/meta.js';
import { TcpState } from '../../../src/netfilter/conntrack/api.js';
import { Tuple } from '../../../src/netfilter/conntrack/tuple.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { natRangeFrom } from '../../../src/netfilter/nat/range.js';
import { CtDir, CtInfo, CtStatus, Hook, Verdict } from '../../../src/netfilter/skb.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { Prng } from '../../../src/util/prng.js';
import { FakeCt, skbFor, tup } from './fake-ct.js';

const HOST_EXT = ip('198.51.100.1');
const host = {
  masqueradeSource: (outIf: number) => (outIf === 1 ? HOST_EXT : 0),
  redirectAddress: (inIf: number) => (inIf === 1 ? HOST_EXT : inIf === 2 ? ip('172.17.0.1') : 0),
};

function world(seed = 1) {
  const ct = new FakeCt();
  const nat = new Nat({ conntrack: ct, prng: new Prng(seed), host, extras: ct });
  return { ct, nat };
}

type World = ReturnType<typeof world>;

/** A NEW forwarded flow: PRE_ROUTING (DNAT `dnat` or null binding), POST_ROUTING (MASQUERADE `masq` or null). */
function forward(w: World, orig: Tuple, opts: { dnat?: ReturnType<typeof natRangeFrom>; masq?: ReturnType<typeof natRangeFrom>; confirm?: boolean } = {}) {
  const c = w.ct.newEntry(orig);
  if (orig.proto === IpProto.TCP) w.ct.entries[c]!.tcpState = TcpState.SYN_SENT;
  const skb = skbFor(c, CtInfo.NEW);
  skb.outIf = 1;
  const v1 = opts.dnat ? w.nat.dnat(skb, opts.dnat) : w.nat.nullBinding(skb, Hook.PRE_ROUTING);
  const v2 = opts.masq ? w.nat.masquerade(skb, opts.masq, 0) : w.nat.nullBinding(skb, Hook.POST_ROUTING);
  if (opts.confirm !== false) w.ct.confirm(c);
  return { c, skb, v1, v2, reply: w.ct.getTuple(c, CtDir.REPLY, new Tuple()) };
}

const MASQ = natRangeFrom({});

describe('oracle 12-dnat-multi-backend (6.18)', () => {
  it('DNAT to an address range picks the backend by jhash2 of the source', () => {
    const w = world();
    const range = natRangeFrom({ minAddr: ip('172.17.0.2'), maxAddr: ip('172.17.0.4'), minPort: 80 });
    // conntrack-L.txt: reply src for clients .10 .11 .12 .13 (sport 41200 -> 198.51.100.1:9200)
    const want = ['172.17.0.3', '172.17.0.2', '172.17.0.2', '172.17.0.4'];
    ['198.51.100.10', '198.51.100.11', '198.51.100.12', '198.51.100.13'].forEach((src, i) => {
      const f = forward(w, tup(src, '198.51.100.1', 41200, 9200, IpProto.TCP), { dnat: range });
      expect(f.v1).toBe(Verdict.ACCEPT);
      expect(f.reply).toEqual(tup(want[i]!, src, 80, 41200, IpProto.TCP));
    });
  });

  it('DNAT to a port range starts at its first port and takes the next on a clash, counting no `found`', () => {
    const w = world();
    const range = natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 8000, maxPort: 8002 });
    // connection order from steps.txt; results from conntrack-L.txt; conntrack -S found delta 0
    const flows: Array<[number, number, number]> = [
      [41000, 9000, 8000],
      [41000, 9001, 8001],
      [41000, 9002, 8002],
      [41001, 9000, 8000],
    ];
    for (const [sport, dport, want] of flows) {
      const f = forward(w, tup('198.51.100.10', '198.51.100.1', sport, dport, IpProto.TCP), { dnat: range });
      expect(f.reply.sport).toBe(want);
      expect(f.reply.src).toBe(ip('172.17.0.2'));
      expect(w.ct.entries[f.c]!.status & CtStatus.DST_NAT).toBe(CtStatus.DST_NAT);
    }
    // the last attempts of a new TCP connection use nf_nat_used_tuple_harder, which does not count `found`
    expect(w.ct.found).toBe(0);
  });
});

describe('oracle 05-same-sport-masq-default: MASQUERADE port choice', () => {
  it('the first flow keeps its port, the clashing ones move into 1024-65535; found = 5', () => {
    const w = world(7);
    const dst = '198.51.100.10';
    const udp = ['172.17.0.2', '172.17.0.3', '172.17.0.4', '172.18.0.2'].map((s) =>
      forward(w, tup(s, dst, 5000, 9999, IpProto.UDP), { masq: MASQ }),
    );
    const tcp = ['172.17.0.2', '172.17.0.3', '172.17.0.4'].map((s) => forward(w, tup(s, dst, 6000, 80, IpProto.TCP), { masq: MASQ }));
    expect(udp[0]!.reply).toEqual(tup(dst, '198.51.100.1', 9999, 5000, IpProto.UDP));
    expect(tcp[0]!.reply.dport).toBe(6000);
    const udpPorts = udp.map((f) => f.reply.dport);
    for (const [flows, orig] of [
      [udp.slice(1), 5000],
      [tcp.slice(1), 6000],
    ] as const) {
      for (const f of flows) {
        expect(f.reply.dport).toBeGreaterThanOrEqual(1024);
        expect(f.reply.dport).not.toBe(orig);
        expect(f.reply.dst).toBe(HOST_EXT);
      }
    }
    expect(new Set(udpPorts).size).toBe(4);
    // conntrack-S-delta.json: found 5 (one taken probe per remapped flow)
    expect(w.ct.found).toBe(5);
  });

  it('--random and --random-fully never keep the free port', () => {
    for (const flag of ['random', 'randomFully'] as const) {
      const w = world(3);
      const f = forward(w, tup('172.17.0.2', '198.51.100.10', 5000, 9999, IpProto.UDP), { masq: natRangeFrom({ [flag]: true }) });
      expect(f.reply.dport).not.toBe(5000);
      expect(f.reply.dport).toBeGreaterThanOrEqual(1024);
      expect(w.ct.found).toBe(0);
    }
  });
});

describe('oracle 06-icmp-ping-out: ICMP ids through MASQUERADE', () => {
  it('c1 keeps id 4660, c2 and c4 are remapped, c1 id 4661 kept; found = 2', () => {
    const w = world(11);
    const ping = (src: string, id: number) => forward(w, tup(src, '198.51.100.10', id, 8 << 8, IpProto.ICMP), { masq: MASQ });
    const c1 = ping('172.17.0.2', 4660);
    const c2 = ping('172.17.0.3', 4660);
    const c4 = ping('172.18.0.2', 4660);
    const c1b = ping('172.17.0.2', 4661);
    expect(c1.reply).toEqual(tup('198.51.100.10', '198.51.100.1', 4660, 0 << 8, IpProto.ICMP));
    expect(c2.reply.sport).not.toBe(4660);
    expect(c4.reply.sport).not.toBe(4660);
    expect(c4.reply.sport).not.toBe(c2.reply.sport);
    expect(c1b.reply.sport).toBe(4661);
    expect(w.ct.found).toBe(2);
  });
});

describe('port classes without a range (reference 6.2 step 4)', () => {
  for (const [port, lo, hi] of [
    [100, 1, 511],
    [700, 600, 1023],
    [40000, 1024, 65535],
  ] as const) {
    it(`a clashing source port ${port} moves into ${lo}-${hi}`, () => {
      const w = world(port);
      forward(w, tup('10.0.1.2', '10.0.2.2', port, 80, IpProto.UDP), { masq: MASQ });
      const f = forward(w, tup('10.0.1.3', '10.0.2.2', port, 80, IpProto.UDP), { masq: MASQ });
      expect(f.reply.dport).toBeGreaterThanOrEqual(lo);
      expect(f.reply.dport).toBeLessThanOrEqual(hi);
      expect(f.reply.dport).not.toBe(port);
    });
  }

  it('a DST manip without a port range never changes the port, even when used (SRC null binding then does)', () => {
    const w = world();
    const range = natRangeFrom({ minAddr: ip('172.17.0.2') });
    forward(w, tup('10.0.1.2', '10.0.2.2', 1234, 80, IpProto.TCP), { dnat: range });
    const c = w.ct.newEntry(tup('10.0.1.2', '10.0.2.3', 1234, 80, IpProto.TCP));
    const skb = skbFor(c, CtInfo.NEW);
    expect(w.nat.dnat(skb, range)).toBe(Verdict.ACCEPT);
    // the candidate 10.0.1.2:1234 -> 172.17.0.2:80 is taken, but DNAT keeps port 80
    expect(w.ct.getTuple(c, CtDir.REPLY, new Tuple())).toEqual(tup('172.17.0.2', '10.0.1.2', 80, 1234, IpProto.TCP));
    expect(w.ct.found).toBe(1);
    // POST_ROUTING's null binding resolves the clash by moving the source port (reference 6.1)
    expect(w.nat.nullBinding(skb, Hook.POST_ROUTING)).toBe(Verdict.ACCEPT);
    const reply = w.ct.getTuple(c, CtDir.REPLY, new Tuple());
    expect(reply.dport).not.toBe(1234);
    expect(reply.dport).toBeGreaterThanOrEqual(1024);
    expect(w.ct.entries[c]!.status & (CtStatus.SRC_NAT | CtStatus.DST_NAT)).toBe(CtStatus.SRC_NAT | CtStatus.DST_NAT);
  });
});

describe('port ranges (--to-ports / --to-destination ip:a-b)', () => {
  it('--to-ports 5000-5010 remaps an out-of-range port into the range and keeps an in-range unique one', () => {
    const w = world(5);
    const range = natRangeFrom({ minPort: 5000, maxPort: 5010 });
    const a = forward(w, tup('10.0.1.2', '10.0.2.2', 40001, 80, IpProto.TCP), { masq: range });
    expect(a.reply.dport).toBeGreaterThanOrEqual(5000);
    expect(a.reply.dport).toBeLessThanOrEqual(5010);
    const b = forward(w, tup('10.0.1.2', '10.0.2.2', 5005, 80, IpProto.TCP), { masq: range });
    expect(b.reply.dport).toBe(5005);
  });

  it('DNAT :8000-8010 without --random starts at 8000; with --random it draws an offset', () => {
    const w = world();
    const f = forward(w, tup('10.0.1.2', '10.0.2.1', 40000, 80, IpProto.UDP), { dnat: natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 8000, maxPort: 8010 }) });
    expect(f.reply.sport).toBe(8000);
    const w2 = world();
    forward(w2, tup('10.0.1.2', '10.0.2.1', 40000, 80, IpProto.UDP), { dnat: natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 8000, maxPort: 8010, random: true }) });
    // the first probe of a random search is min + off % size for a drawn off: the probe log shows it
    const firstProbe = w2.ct.queries[w2.ct.queries.length - 1]!;
    expect(firstProbe.src).toBe(ip('172.17.0.2'));
    expect(firstProbe.sport).toBeGreaterThanOrEqual(8000);
    expect(firstProbe.sport).toBeLessThanOrEqual(8010);
  });

  it('a port shift (/base) maps port - base onto the range', () => {
    const w = world();
    const range = natRangeFrom({ minAddr: ip('172.17.0.2'), minPort: 2000, maxPort: 2999, basePort: 1000 });
    const f = forward(w, tup('10.0.1.2', '10.0.2.1', 40000, 1500, IpProto.TCP), { dnat: range });
    expect(f.reply.sport).toBe(2500);
  });

  it('find_appropriate_src reuses the mapping of the same source for other destinations', () => {
    const w = world(9);
    const range = natRangeFrom({ minPort: 5000, maxPort: 5999 });
    const first = forward(w, tup('10.0.1.2', '10.0.2.2', 40001, 80, IpProto.TCP), { masq: range });
    const mapped = first.reply.dport;
    for (const d of ['10.0.2.3', '10.0.2.4', '10.0.2.5']) {
      const f = forward(w, tup('10.0.1.2', d, 40001, 80, IpProto.TCP), { masq: range });
      expect(f.reply.dport).toBe(mapped);
    }
  });
});

describe('exhaustion: every candidate in use', () => {
  it('a 100-port range is probed once from a random start and the last probed value is kept', () => {
    const w = world(13);
    const c = w.ct.newEntry(tup('10.0.1.2', '10.0.2.2', 40001, 80, IpProto.UDP));
    const skb = skbFor(c, CtInfo.NEW);
    skb.outIf = 1;
    w.nat.nullBinding(skb, Hook.PRE_ROUTING);
    w.ct.allTaken = true;
    const before = w.ct.queries.length;
    expect(w.nat.masquerade(skb, natRangeFrom({ minPort: 5000, maxPort: 5099 }), 0)).toBe(Verdict.ACCEPT);
    const probes = w.ct.queries.slice(before).map((q) => q.dport);
    // 40001 is outside the range: no keep-the-port probe; the search probes size = 100 values
    expect(probes.length).toBe(100);
    // key = 5000 + off % 100 with a u16 off: the next probe is the next port, wrapping at the range end
    // (or, when off itself wraps 65535 -> 0, going from 5000 + 65535 % 100 = 5035 to 5000)
    for (let i = 1; i < probes.length; i++) {
      const prev = probes[i - 1]!;
      const next = probes[i]!;
      expect(next === 5000 + ((prev - 5000 + 1) % 100) || (prev === 5035 && next === 5000)).toBe(true);
    }
    expect(w.ct.getTuple(c, CtDir.REPLY, new Tuple()).dport).toBe(probes[99]);
    expect(w.nat.alloc.stats.exhausted).toBe(1);
  });

  it('a full 1024-65535 class is probed 128+64+32+16+8 = 248 times, each round from a new offset', () => {
    const w = world(17);
    const c = w.ct.newEntry(tup('10.0.1.2', '10.0.2.2', 40001, 80, IpProto.UDP));
    const skb = skbFor(c, CtInfo.NEW);
    skb.outIf = 1;
    w.nat.nullBinding(skb, Hook.PRE_ROUTING);
    w.ct.allTaken = true;
    const before = w.ct.queries.length;
    w.nat.masquerade(skb, MASQ, 0);
    const probes = w.ct.queries.slice(before).map((q) => q.dport);
    // one keep-the-port probe (step 3), then the search
    expect(probes[0]).toBe(40001);
    const search = probes.slice(1);
    expect(search.length).toBe(248);
    let at = 0;
    for (const round of [128, 64, 32, 16, 8]) {
      for (let i = 1; i < round; i++) {
        // key = 1024 + off % 64512, u16 off: +1, or 65535 -> 1024 (range end), or 2047 -> 1024 (off wraps)
        const prev = search[at + i - 1]!;
        const next = search[at + i]!;
        expect(next === prev + 1 || (prev === 65535 && next === 1024) || (prev === 2047 && next === 1024)).toBe(true);
      }
      at += round;
    }
    expect(w.ct.getTuple(c, CtDir.REPLY, new Tuple()).dport).toBe(search[247]);
  });
});

describe('SNAT address ranges (jhash2 of the source, keyed by destination unless --persistent)', () => {
  // expected addresses printed by a C program using Bob Jenkins' hashword() and the kernel's formula
  for (const [src, persistent, want] of [
    ['10.0.1.2', false, '10.0.2.107'],
    ['10.0.1.2', true, '10.0.2.194'],
    ['10.0.1.3', false, '10.0.2.155'],
    ['10.0.1.3', true, '10.0.2.165'],
  ] as const) {
    it(`${src}${persistent ? ' --persistent' : ''} -> ${want}`, () => {
      const w = world();
      const range = natRangeFrom({ minAddr: ip('10.0.2.100'), maxAddr: ip('10.0.2.199'), persistent });
      const c = w.ct.newEntry(tup(src, '10.0.2.2', 40000, 80, IpProto.TCP));
      const skb = skbFor(c, CtInfo.NEW);
      w.nat.nullBinding(skb, Hook.PRE_ROUTING);
      expect(w.nat.snat(skb, range)).toBe(Verdict.ACCEPT);
      const reply = w.ct.getTuple(c, CtDir.REPLY, new Tuple());
      expect(reply).toEqual(tup('10.0.2.2', want, 80, 40000, IpProto.TCP));
    });
  }
});
