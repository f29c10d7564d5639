import { describe, expect, it } from 'vitest';
import { Tuple } from '../../../src/netfilter/conntrack/api.js';
import { CtInfo, CtStatus, NONE, Verdict } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';
import { F, skbOf, tcp, udp } from './pkt.js';
import { flow, newCt, statsOf } from './run.js';

const US = 1000;
const C = 10 * US; // service time
const EXT = '198.51.100.10';
const HOST = parseIpv4('198.51.100.1');

/** Two modeled CPUs, c = 10 µs: packets less than c apart on different CPUs cannot see each other. */
const twoCpus = () => newCt({ cpus: 2, serviceNs: C });

describe('__nf_conntrack_confirm clash handling', () => {
  it('UDP, identical tuples on two CPUs: the later packet joins the winner (clash_resolve)', () => {
    const ct = twoCpus();
    const a = skbOf(udp('172.17.0.2', 5000, EXT, 9999, 16), 0, 0);
    const b = skbOf(udp('172.17.0.2', 5000, EXT, 9999, 16), 5 * US, 1);
    ct.in(a, 0);
    // a's entry is confirmed at its finish (10 µs); b starts at 5 µs and cannot see it yet
    expect(ct.confirm(a, a.nowNs + C)).toBe(Verdict.ACCEPT);
    ct.in(b, 0);
    expect(b.ct).not.toBe(a.ct);
    expect(b.ctInfo).toBe(CtInfo.NEW);
    expect(ct.confirm(b, b.nowNs + C)).toBe(Verdict.ACCEPT);
    expect(b.ct).toBe(a.ct);
    expect(statsOf(ct, 1)).toMatchObject({ clash_resolve: 1, insert_failed: 0, drop: 0 });
    const list = ct.dump(1e9);
    // the kernel merges the loser's counters into the winner (nf_ct_acct_merge): packets=2 bytes=2×44
    expect(list.map((e) => [e.original.packets, e.original.bytes])).toEqual([[2, 88]]);
    expect(ct.count()).toBe(1);
  });

  it('UDP, ORIGINAL clashes but the REPLY is unique (DNAT to another backend): reply-only NAT_CLASH entry', () => {
    const ct = twoCpus();
    const a = skbOf(udp('172.17.0.2', 5000, '10.96.0.10', 53, 30), 0, 0);
    const b = skbOf(udp('172.17.0.2', 5000, '10.96.0.10', 53, 30), 5 * US, 1);
    ct.in(a, 0);
    ct.setReplyTuple(a.ct, new Tuple(parseIpv4('10.244.0.5'), parseIpv4('172.17.0.2'), 53, 5000, 17));
    ct.confirm(a, a.nowNs + C);
    ct.in(b, 0);
    ct.setReplyTuple(b.ct, new Tuple(parseIpv4('10.244.0.6'), parseIpv4('172.17.0.2'), 53, 5000, 17));
    const loser = b.ct;
    expect(ct.confirm(b, b.nowNs + C)).toBe(Verdict.ACCEPT);
    expect(b.ct).toBe(loser);
    expect(ct.status(loser, b) & (CtStatus.NAT_CLASH | CtStatus.FIXED_TIMEOUT | CtStatus.CONFIRMED)).toBe(
      CtStatus.NAT_CLASH | CtStatus.FIXED_TIMEOUT | CtStatus.CONFIRMED,
    );
    expect(statsOf(ct, 1)).toMatchObject({ clash_resolve: 1, insert_failed: 0 });
    // hidden from conntrack -L, but counted and found by its reply tuple for one second
    expect(ct.dump(20 * US).length).toBe(1);
    expect(ct.count()).toBe(2);
    const replyB = new Tuple(parseIpv4('10.244.0.6'), parseIpv4('172.17.0.2'), 53, 5000, 17);
    expect(ct.findHash(replyB, { vcpu: 0, nowNs: 0.5e9 })).toBe(loser * 2 + 1);
    expect(ct.findHash(replyB, { vcpu: 0, nowNs: 1.5e9 })).toBe(-1);
    // its ORIGINAL tuple keeps leading to the winner
    const orig = new Tuple(parseIpv4('172.17.0.2'), parseIpv4('10.96.0.10'), 5000, 53, 17);
    expect(ct.findHash(orig, { vcpu: 0, nowNs: 0.5e9 })).toBe(a.ct * 2);
  });

  it('UDP, two flows given the same SNAT reply tuple: the later one is dropped (insert_failed, drop)', () => {
    const ct = twoCpus();
    const sameReply = new Tuple(parseIpv4(EXT), HOST, 9999, 20000, 17);
    const a = skbOf(udp('172.17.0.2', 20000, EXT, 9999, 12), 0, 0);
    const b = skbOf(udp('172.17.0.3', 20000, EXT, 9999, 12), 5 * US, 1);
    ct.in(a, 0);
    ct.setReplyTuple(a.ct, sameReply);
    ct.confirm(a, a.nowNs + C);
    ct.in(b, 0);
    // NAT on CPU 1 at 5 µs does not see a's binding yet: the tuple looks free
    expect(ct.tupleTaken(sameReply, b.ct, b)).toBe(false);
    ct.setReplyTuple(b.ct, sameReply);
    expect(ct.confirm(b, b.nowNs + C)).toBe(Verdict.DROP);
    expect(b.ct).toBe(NONE);
    expect(statsOf(ct, 1)).toMatchObject({ insert_failed: 1, drop: 1, clash_resolve: 0, found: 0 });
    expect(statsOf(ct, 0)).toMatchObject({ insert_failed: 0, drop: 0 });
    expect(ct.count()).toBe(1);
    expect(flow(ct.dump(1e9)[0]!, 0)).toBe('172.17.0.2:20000>198.51.100.10:9999');
  });

  it('TCP has no clash resolution: an identical SYN confirmed second is dropped', () => {
    const ct = twoCpus();
    const a = skbOf(tcp('172.17.0.2', 20001, EXT, 8000, { flags: F.SYN, seq: 1 }), 0, 0);
    const b = skbOf(tcp('172.17.0.2', 20001, EXT, 8000, { flags: F.SYN, seq: 1 }), 5 * US, 1);
    ct.in(a, 0);
    ct.confirm(a, a.nowNs + C);
    ct.in(b, 0);
    expect(b.ct).not.toBe(a.ct);
    expect(ct.confirm(b, b.nowNs + C)).toBe(Verdict.DROP);
    expect(statsOf(ct, 1)).toMatchObject({ insert_failed: 1, drop: 1, clash_resolve: 0 });
  });

  it('packets at least c apart see each other: no race, one entry, no counters move', () => {
    const ct = twoCpus();
    const a = skbOf(udp('172.17.0.2', 5000, EXT, 9999, 16), 0, 0);
    const b = skbOf(udp('172.17.0.2', 5000, EXT, 9999, 16), 10 * US, 1);
    ct.in(a, 0);
    ct.confirm(a, a.nowNs + C);
    ct.in(b, 0);
    expect(b.ct).toBe(a.ct);
    expect(b.ctInfo).toBe(CtInfo.NEW); // no reply yet
    expect(ct.confirm(b, b.nowNs + C)).toBe(Verdict.ACCEPT);
    expect([statsOf(ct, 0), statsOf(ct, 1)].map((s) => s.clash_resolve + s.insert_failed)).toEqual([0, 0]);
  });

  it('only the original direction confirms; a dying unconfirmed entry fails with insert_failed', () => {
    const ct = twoCpus();
    const a = skbOf(udp('172.17.0.2', 5000, EXT, 9999, 16), 0, 0);
    ct.in(a, 0);
    const rst = skbOf(udp(EXT, 9999, '172.17.0.2', 5000, 16), 0, 0);
    ct.attachReverse(rst, a);
    expect(rst.ctInfo).toBe(CtInfo.RELATED_REPLY);
    expect(ct.confirm(rst, C)).toBe(Verdict.ACCEPT);
    expect(ct.isConfirmed(a.ct)).toBe(false);
    expect(ct.kill(a.ct, a)).toBe(true);
    expect(ct.confirm(a, C)).toBe(Verdict.DROP);
    expect(statsOf(ct, 0)).toMatchObject({ insert_failed: 1, drop: 0 });
    expect(ct.count()).toBe(0);
  });
});
