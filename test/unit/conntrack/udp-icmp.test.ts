import { describe, expect, it } from 'vitest';
import { CtInfo, CtStatus, Hook, NONE, Verdict } from '../../../src/netfilter/skb.js';
import { formatConntrackEntry } from '../../../src/report/conntrack-text.js';
import { SEC, icmp, icmpError, ipv4, skbOf, udp } from './pkt.js';
import { entry, flow, newCt, pass, statsOf } from './run.js';

const C = '172.17.0.2';
const S = '198.51.100.10';

describe('UDP tracker (6.x stream rule)', () => {
  const out = (t: number, len = 10) => skbOf(udp(C, 5000, S, 9999, len), t * SEC);
  const back = (t: number, len = 10) => skbOf(udp(S, 9999, C, 5000, len), t * SEC);

  it('unreplied 30 s; replied but younger than 2 s refreshed with 30 s; then 120 s and ASSURED', () => {
    const ct = newCt();
    pass(ct, out(0));
    let e = entry(ct, 0.5 * SEC, 5000)!;
    expect([e.timeout, e.status & CtStatus.SEEN_REPLY, e.status & CtStatus.ASSURED]).toEqual([29, 0, 0]);

    const r = back(0.5);
    pass(ct, r);
    expect(r.ctInfo).toBe(CtInfo.ESTABLISHED_REPLY);
    e = entry(ct, 0.5 * SEC, 5000)!;
    expect([e.timeout, e.status & CtStatus.SEEN_REPLY, e.status & CtStatus.ASSURED]).toEqual([30, CtStatus.SEEN_REPLY, 0]);

    const o = out(1.5);
    pass(ct, o);
    expect(o.ctInfo).toBe(CtInfo.ESTABLISHED);
    e = entry(ct, 1.5 * SEC, 5000)!;
    expect([e.timeout, e.status & CtStatus.ASSURED]).toEqual([30, 0]);

    pass(ct, back(2.5));
    e = entry(ct, 2.5 * SEC, 5000)!;
    expect([e.timeout, e.status & CtStatus.ASSURED]).toEqual([120, CtStatus.ASSURED]);
    // packets and bytes per direction (IP total length: 20 + 8 + 10)
    expect([e.original.packets, e.original.bytes, e.reply.packets, e.reply.bytes]).toEqual([2, 76, 2, 76]);
  });

  it('a first reply arriving after 2 s is still refreshed with 30 s; the next packet makes the stream', () => {
    const ct = newCt();
    pass(ct, out(0));
    pass(ct, back(3));
    expect(entry(ct, 3 * SEC, 5000)!.timeout).toBe(30);
    expect(entry(ct, 3 * SEC, 5000)!.status & CtStatus.ASSURED).toBe(0);
    pass(ct, out(4));
    expect(entry(ct, 4 * SEC, 5000)!.timeout).toBe(120);
  });

  it('rejects bad checksums at PRE_ROUTING, accepts checksum 0, and rejects bad length fields', () => {
    const ct = newCt();
    const bad = skbOf(udp(C, 5001, S, 9999, 10, { badCsum: true }), 0);
    pass(ct, bad);
    expect(bad.ct).toBe(NONE);
    const badOut = skbOf(udp(C, 5001, S, 9999, 10, { badCsum: true }), 0);
    pass(ct, badOut, Hook.LOCAL_OUT);
    expect(badOut.ct).not.toBe(NONE);
    const zero = skbOf(udp(C, 5002, S, 9999, 10, { zeroCsum: true }), 0);
    pass(ct, zero);
    expect(zero.ct).not.toBe(NONE);
    const long = skbOf(udp(C, 5003, S, 9999, 10, { lenField: 19, zeroCsum: true }), 0);
    pass(ct, long);
    expect(long.ct).toBe(NONE);
    const short = skbOf(udp(C, 5004, S, 9999, 10, { lenField: 7, zeroCsum: true }), 0);
    pass(ct, short);
    expect(short.ct).toBe(NONE);
    expect(statsOf(ct).invalid).toBe(3);
    expect(ct.count()).toBe(2);
  });
});

describe('ICMP tracker', () => {
  it('tracks echo request/reply pairs for 30 s with the kernel tuple (type, code, id)', () => {
    const ct = newCt();
    const req = skbOf(icmp(C, S, 8, 0, 4660, 1), 0);
    pass(ct, req);
    expect(req.ctInfo).toBe(CtInfo.NEW);
    const rep = skbOf(icmp(S, C, 0, 0, 4660, 1), 0.01 * SEC);
    pass(ct, rep);
    expect(rep.ctInfo).toBe(CtInfo.ESTABLISHED_REPLY);
    const e = entry(ct, 0.5 * SEC, 4660)!;
    expect([e.timeout, e.original.icmpType, e.original.icmpCode, e.reply.icmpType, e.reply.icmpId]).toEqual([29, 8, 0, 0, 4660]);
    expect([e.original.packets, e.original.bytes, e.reply.packets]).toEqual([1, 84, 1]);
    expect(e.status & CtStatus.SEEN_REPLY).toBe(CtStatus.SEEN_REPLY);
  });

  it('inverts timestamp requests, and finds nothing to create for a lone reply or an unpaired type', () => {
    const ct = newCt();
    const ts = skbOf(icmp(C, S, 13, 0, 7, 1, new Uint8Array(12)), 0);
    pass(ct, ts);
    expect(ts.ct).not.toBe(NONE);
    expect(ct.dump(0)[0]!.reply.icmpType).toBe(14);
    const lone = skbOf(icmp(S, C, 0, 0, 99, 1), 0);
    expect(pass(ct, lone)).toBe(Verdict.ACCEPT);
    expect(lone.ct).toBe(NONE);
    const advert = skbOf(icmp(S, C, 9, 0, 0, 0), 0);
    pass(ct, advert);
    expect(advert.ct).toBe(NONE);
    expect(statsOf(ct)).toMatchObject({ invalid: 2, error: 0 });
    expect(ct.count()).toBe(1);
  });

  it('attaches ICMP errors to the quoted flow as RELATED / RELATED_REPLY without counting them', () => {
    const ct = newCt();
    const dgram = udp(C, 5000, S, 9999, 10);
    pass(ct, skbOf(dgram, 0));
    // the server answers port unreachable: the quoted packet is the ORIGINAL one → reply direction
    const unreach = skbOf(icmpError(S, C, 3, 3, dgram), 0.001 * SEC);
    expect(pass(ct, unreach)).toBe(Verdict.ACCEPT);
    expect(unreach.ctInfo).toBe(CtInfo.RELATED_REPLY);
    const e = entry(ct, 0.001 * SEC, 5000)!;
    expect(unreach.ct).toBe(e.id);
    expect([e.reply.packets, e.status & CtStatus.SEEN_REPLY]).toEqual([0, 0]);
    expect(flow(e, 0)).toBe('172.17.0.2:5000>198.51.100.10:9999');

    // an error about a server → client packet, sent by the client: ORIGINAL direction → RELATED
    const fromServer = udp(S, 9999, C, 5000, 10);
    const related = skbOf(icmpError(C, S, 3, 3, fromServer), 0.002 * SEC);
    pass(ct, related);
    expect(related.ctInfo).toBe(CtInfo.RELATED);
    expect(statsOf(ct)).toMatchObject({ error: 0, invalid: 0 });
  });

  it('counts error for errors about unknown flows, a wrong outer destination, bad checksums and unknown types', () => {
    const ct = newCt();
    const dgram = udp(C, 5000, S, 9999, 10);
    pass(ct, skbOf(dgram, 0));
    const unknown = skbOf(icmpError(S, C, 3, 3, udp(C, 5999, S, 9999, 10)), 0);
    pass(ct, unknown);
    expect(unknown.ct).toBe(NONE);
    const elsewhere = skbOf(icmpError(S, '10.9.9.9', 3, 3, dgram), 0);
    pass(ct, elsewhere);
    expect(elsewhere.ct).toBe(NONE);
    const badSum = skbOf(icmp(C, S, 8, 0, 1, 1, new Uint8Array(8), true), 0);
    pass(ct, badSum);
    expect(badSum.ct).toBe(NONE);
    const mystery = skbOf(icmp(C, S, 42, 0, 1, 1), 0);
    pass(ct, mystery);
    expect(mystery.ct).toBe(NONE);
    expect(statsOf(ct)).toMatchObject({ error: 4, invalid: 0 });
  });
});

describe('GRE, generic protocols and fragments', () => {
  const gre = (src: string, dst: string) => ipv4(src, dst, 47, new Uint8Array([0, 0, 0x08, 0x00, 0x45, 0, 0, 20]));

  it('GRE: 30 s unreplied, 180 s and ASSURED once replied; printed with keys', () => {
    const ct = newCt();
    pass(ct, skbOf(gre(C, S), 0));
    expect(entry(ct, 0.5 * SEC, 0)!.timeout).toBe(29);
    pass(ct, skbOf(gre(S, C), 1 * SEC));
    pass(ct, skbOf(gre(C, S), 2 * SEC));
    const e = entry(ct, 2 * SEC, 0)!;
    expect([e.timeout, e.status & CtStatus.ASSURED]).toEqual([180, CtStatus.ASSURED]);
    expect(formatConntrackEntry(e, { acct: true })).toBe(
      'ipv4     2 gre      47 180 src=172.17.0.2 dst=198.51.100.10 srckey=0x0 dstkey=0x0 packets=2 bytes=56 src=198.51.100.10 dst=172.17.0.2 srckey=0x0 dstkey=0x0 packets=1 bytes=28 [ASSURED] mark=0 use=1',
    );
  });

  it('other protocols use the generic tracker: 600 s, no ports', () => {
    const ct = newCt();
    pass(ct, skbOf(ipv4(C, S, 50, new Uint8Array(16)), 0));
    const e = ct.dump(0.5 * SEC)[0]!;
    expect(formatConntrackEntry(e, { acct: false })).toBe('ipv4     2 unknown  50 599 src=172.17.0.2 dst=198.51.100.10 [UNREPLIED] src=198.51.100.10 dst=172.17.0.2 mark=0 use=1');
  });

  it('fragments: a non-first fragment at PRE_ROUTING is INVALID; locally generated fragments are not tracked', () => {
    const ct = newCt();
    const later = skbOf(ipv4(C, S, 17, new Uint8Array(16), { frag: 0x0010 }), 0);
    pass(ct, later);
    expect(later.ct).toBe(NONE);
    const local = skbOf(ipv4(C, S, 17, udp(C, 5000, S, 9999, 20).subarray(20, 36), { frag: 0x2000 }), 0);
    pass(ct, local, Hook.LOCAL_OUT);
    expect(local.ct).toBe(NONE);
    expect(statsOf(ct)).toMatchObject({ invalid: 1 });
  });
});
