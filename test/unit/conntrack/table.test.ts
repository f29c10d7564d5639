import { describe, expect, it } from 'vitest';
import { Tuple, icmpInvertType, invertTuple } from '../../../src/netfilter/conntrack/api.js';
import { createConntrack } from '../../../src/netfilter/conntrack/conntrack.js';
import { reciprocalScale } from '../../../src/netfilter/conntrack/tuple.js';
import { NONE, Verdict } from '../../../src/netfilter/skb.js';
import { NfError } from '../../../src/util/errors.js';
import { SEC, skbOf, udp } from './pkt.js';
import { newCt, pass, statsOf } from './run.js';

const C = '172.17.0.2';
const S = '198.51.100.10';
const flowAt = (sport: number, t: number) => skbOf(udp(C, sport, S, 9999, 10), t * SEC);
const replyAt = (sport: number, t: number) => skbOf(udp(S, 9999, C, sport, 10), t * SEC);

describe('tuples', () => {
  it('inverts ports and addresses, and ICMP request types to reply types', () => {
    const t = new Tuple(0x0a000001, 0x0a000002, 1234, 80, 6);
    const r = new Tuple();
    expect(invertTuple(t, r)).toBe(true);
    expect([r.src, r.dst, r.sport, r.dport, r.proto]).toEqual([0x0a000002, 0x0a000001, 80, 1234, 6]);
    const echo = new Tuple(1, 2, 4660, (8 << 8) | 0, 1);
    expect(invertTuple(echo, r)).toBe(true);
    expect([r.sport, r.icmpType, r.icmpCode]).toEqual([4660, 0, 0]);
    expect([8, 0, 13, 14, 15, 16, 17, 18].map(icmpInvertType)).toEqual([0, 8, 14, 13, 16, 15, 18, 17]);
    expect([3, 9, 11, 19, 255].map(icmpInvertType)).toEqual([-1, -1, -1, -1, -1]);
    expect(invertTuple(new Tuple(1, 2, 0, 3 << 8, 1), r)).toBe(false);
  });

  it('scales a 32-bit hash to a bucket exactly as (hash * n) >> 32', () => {
    for (const [h, n] of [
      [0xffffffff, 262144],
      [0x80000000, 3],
      [0x12345678, 16777216],
      [0xdeadbeef, 1000003],
      [1, 1],
    ] as const) {
      expect(reciprocalScale(h, n)).toBe(Number((BigInt(h) * BigInt(n)) >> 32n));
    }
  });
});

describe('table limits: nf_conntrack_max and early_drop', () => {
  it('evicts every non-ASSURED entry of the bucket when the table is full', () => {
    // one bucket: every tuple lands in it, so the scan order does not depend on the hash
    const ct = newCt({ sysctls: { conntrackMax: 3, conntrackBuckets: 1 } });
    for (let i = 0; i < 3; i++) pass(ct, flowAt(6000 + i, 0));
    expect(ct.count()).toBe(3);
    const fourth = flowAt(7000, 1);
    expect(pass(ct, fourth)).toBe(Verdict.ACCEPT);
    expect(statsOf(ct)).toMatchObject({ early_drop: 3, drop: 0 });
    expect(ct.dump(1 * SEC).map((e) => e.original.sport)).toEqual([7000]);
    expect(ct.count()).toBe(1);
  });

  it('keeps ASSURED entries and drops the new packet when nothing can be evicted', () => {
    const ct = newCt({ sysctls: { conntrackMax: 2, conntrackBuckets: 1 } });
    for (const p of [6000, 6001]) {
      pass(ct, flowAt(p, 0));
      pass(ct, replyAt(p, 0.1));
      pass(ct, flowAt(p, 3)); // replied and older than 2 s: ASSURED
    }
    const third = flowAt(7000, 4);
    expect(pass(ct, third)).toBe(Verdict.DROP);
    expect(third.ct).toBe(NONE);
    expect(statsOf(ct)).toMatchObject({ early_drop: 0, drop: 1 });
    expect(ct.dump(4 * SEC).map((e) => e.original.sport)).toEqual([6000, 6001]);
  });

  it('nf_conntrack_max = 0 means no limit: nothing is evicted', () => {
    const ct = newCt({ sysctls: { conntrackMax: 0, conntrackBuckets: 4096 } });
    for (let i = 0; i < 300; i++) expect(pass(ct, flowAt(10000 + i, 0))).toBe(Verdict.ACCEPT);
    expect([ct.count(), statsOf(ct).early_drop, statsOf(ct).drop]).toEqual([300, 0, 0]);
  });

  it('refuses to insert into a chain longer than the random 50–79 limit (chaintoolong, insert_failed)', () => {
    // one bucket holds both tuples of every entry: the chain grows by two per confirmed entry
    const ct = newCt({ sysctls: { conntrackMax: 0, conntrackBuckets: 1 } });
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (pass(ct, flowAt(10000 + i, 0)) === Verdict.ACCEPT) accepted++;
    const s = statsOf(ct);
    // a walk fails once more than limit + 1 nodes precede the end: 2n > 51 at the earliest, 2n > 80 at the latest
    expect(accepted).toBeGreaterThanOrEqual(26);
    expect(accepted).toBeLessThanOrEqual(41);
    expect([s.chaintoolong, s.insert_failed, s.drop]).toEqual([100 - accepted, 100 - accepted, 0]);
    expect(ct.count()).toBe(accepted);
  });

  it('validates options eagerly with a typed error', () => {
    expect(() => createConntrack({ cpus: 0 })).toThrow(NfError);
    expect(() => createConntrack({ sysctls: { conntrackMax: -1 } })).toThrow(/conntrackMax/);
    expect(() => createConntrack({ sysctls: { conntrackBuckets: 0 } })).toThrow(/conntrackBuckets/);
    expect(() => createConntrack({ serviceNs: -1 })).toThrow(/serviceNs/);
  });
});

describe('expiry on virtual time', () => {
  it('an entry is gone only when now > last refresh + timeout', () => {
    const ct = newCt();
    pass(ct, flowAt(6000, 0));
    const at = flowAt(6000, 30); // exactly at the deadline: still there
    pass(ct, at);
    expect(ct.dump(30 * SEC)[0]!.createdNs).toBe(0);
    // refreshed at 30 s: now gone after 60 s, and a new entry is created
    const late = skbOf(udp(C, 6000, S, 9999, 10), 60 * SEC + 1);
    pass(ct, late);
    const list = ct.dump(60 * SEC + 1);
    expect(list.map((e) => [e.createdNs, e.original.packets])).toEqual([[60 * SEC + 1, 1]]);
    expect(ct.count()).toBe(1);
  });

  it('dumps skip expired entries and the bounded GC reaps them', () => {
    const ct = newCt();
    pass(ct, flowAt(6000, 0));
    expect(ct.dump(31 * SEC)).toEqual([]);
    expect(ct.count()).toBe(1); // not yet reaped
    for (let i = 0; i < 4; i++) pass(ct, flowAt(7000 + i, 100));
    expect(ct.count()).toBe(4);
  });

  it('reuses freed records: creating and releasing many entries does not grow the table', () => {
    const ct = newCt({ sysctls: { conntrackMax: 16 } });
    for (let i = 0; i < 1000; i++) {
      const p = flowAt(10000 + i, i);
      ct.in(p, 0);
      expect(p.ct).not.toBe(NONE);
      ct.release(p);
    }
    expect(ct.count()).toBe(0);
    expect(ct.table.highWater()).toBe(1);
  });
});
