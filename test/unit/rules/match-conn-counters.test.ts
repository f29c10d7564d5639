// Matches on conntrack beyond the skb's snapshot: connbytes (the accounting counters, connbytes_mt) and
// connlimit (nf_conncount's per-key lists of connections, checked against conntrack on each add). The
// conntrack here is a small fake whose entries the test opens, confirms, closes and deletes.

import { describe, expect, it } from 'vitest';
import { TestMatchEnv, matchOf, parseOne, skbOf } from './helpers.js';
import { BasicLoadContext } from '../../../src/netfilter/rules/module.js';
import type { MatchCall } from '../../../src/netfilter/rules/ast.js';
import type { RuleConntrack } from '../../../src/netfilter/rules/rule-conntrack.js';
import type { Tuple } from '../../../src/netfilter/conntrack/tuple.js';
import { NONE } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';

interface FakeEntry {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  proto: number;
  confirmed: boolean;
  closed: boolean;
  alive: boolean;
  acct: [number, number, number, number];
}

/** Entries by index; find() looks at ORIGINAL tuples of live, confirmed entries only. */
class FakeConntrack implements RuleConntrack {
  entries: FakeEntry[] = [];
  accounting = true;
  open(src: string, sport: number, dst: string, dport: number): number {
    this.entries.push({ src: parseIpv4(src), dst: parseIpv4(dst), sport, dport, proto: 6, confirmed: false, closed: false, alive: true, acct: [0, 0, 0, 0] });
    return this.entries.length - 1;
  }
  acct(ct: number, dir: number, bytes: boolean): number {
    return this.accounting ? this.entries[ct]!.acct[dir * 2 + (bytes ? 1 : 0)]! : -1;
  }
  originalTuple(ct: number, out: Tuple): void {
    const e = this.entries[ct]!;
    out.set(e.src, e.dst, e.sport, e.dport, e.proto).zone = 0;
  }
  packetTuple(): boolean {
    return false;
  }
  find(tu: Tuple): number {
    return this.entries.findIndex((e) => e.alive && e.confirmed && e.src === tu.src && e.dst === tu.dst && e.sport === tu.sport && e.dport === tu.dport && e.proto === tu.proto);
  }
  isConfirmed(ct: number): boolean {
    return this.entries[ct]!.confirmed;
  }
  closed(ct: number): boolean {
    return this.entries[ct]!.closed;
  }
}

function bound(m: MatchCall, ct: FakeConntrack): (ctIndex: number, f?: Record<string, unknown>, skb?: Record<string, number>) => { hit: boolean; hotdrop: number } {
  const st = m.module.createState(m.data, new BasicLoadContext());
  return (ctIndex, f = {}, skb = {}) => {
    const env = new TestMatchEnv({ conntrack: ct });
    const e = ctIndex >= 0 ? ct.entries[ctIndex]! : null;
    const p = skbOf({ saddr: e?.src ?? '10.0.0.9', daddr: e?.dst ?? '10.0.0.1', ...f }, { ct: ctIndex >= 0 ? ctIndex : NONE, ...skb });
    const hit = m.module.match(m.data, p, env, st);
    return { hit, hotdrop: env.hotdrop };
  };
}

const JIFFY = 4_000_000; // HZ 250

describe('connbytes', () => {
  const ct = new FakeConntrack();
  const c = ct.open('10.0.0.2', 1000, '10.0.0.1', 80);
  ct.entries[c]!.acct = [3, 300, 2, 1000];
  const hit = (rule: string): boolean => bound(matchOf(`-m connbytes ${rule}`), ct)(c).hit;

  it('compares packets, bytes or the average packet size per direction, bounds included', () => {
    expect(hit('--connbytes 3:3 --connbytes-mode packets --connbytes-dir original')).toBe(true);
    expect(hit('--connbytes 4 --connbytes-mode packets --connbytes-dir original')).toBe(false);
    expect(hit('--connbytes 5:5 --connbytes-mode packets --connbytes-dir both')).toBe(true);
    expect(hit('--connbytes 1000 --connbytes-mode bytes --connbytes-dir reply')).toBe(true);
    expect(hit('--connbytes 1301 --connbytes-mode bytes --connbytes-dir both')).toBe(false);
    // avgpkt: 300 / 3 = 100 original; 1300 / 5 = 260 both; 1000 / 2 = 500 reply
    expect(hit('--connbytes 100:100 --connbytes-mode avgpkt --connbytes-dir original')).toBe(true);
    expect(hit('--connbytes 260:260 --connbytes-mode avgpkt --connbytes-dir both')).toBe(true);
    expect(hit('--connbytes 501 --connbytes-mode avgpkt --connbytes-dir reply')).toBe(false);
  });
  it('inverted: outside the range', () => {
    expect(hit('! --connbytes 3:10 --connbytes-mode packets --connbytes-dir original')).toBe(false);
    expect(hit('! --connbytes 4:10 --connbytes-mode packets --connbytes-dir original')).toBe(true);
    expect(hit('! --connbytes 3 --connbytes-mode packets --connbytes-dir original')).toBe(false);
    expect(hit('! --connbytes 4 --connbytes-mode packets --connbytes-dir original')).toBe(true);
  });
  it('never matches without an entry or without accounting', () => {
    expect(bound(matchOf('-m connbytes --connbytes 0 --connbytes-mode packets --connbytes-dir both'), ct)(-1).hit).toBe(false);
    const off = new FakeConntrack();
    off.accounting = false;
    const o = off.open('10.0.0.2', 1, '10.0.0.1', 2);
    expect(bound(matchOf('-m connbytes --connbytes 0 --connbytes-mode packets --connbytes-dir both'), off)(o).hit).toBe(false);
  });
  it('parses as libxt_connbytes: base-0 numbers, `!` printed before the option', () => {
    const print = (r: string): string => {
      const res = parseOne(`-m connbytes ${r}`);
      expect(res.issues).toEqual([]);
      return res.ruleset.rules[0]!.matches[0]!.module.print(res.ruleset.rules[0]!.matches[0]!.data as never, { family: 2 });
    };
    expect(print('--connbytes 010:0x20 --connbytes-dir both --connbytes-mode bytes')).toBe('--connbytes 8:32 --connbytes-mode bytes --connbytes-dir both');
    expect(print('! --connbytes 5:9 --connbytes-dir reply --connbytes-mode avgpkt')).toBe('! --connbytes 5:9 --connbytes-mode avgpkt --connbytes-dir reply');
    expect(parseOne('-m connbytes --connbytes 5:4 --connbytes-dir reply --connbytes-mode packets').issues.length).toBe(1);
  });
});

describe('connlimit', () => {
  it('counts the connections of the masked source, its own included, and forgets closed and deleted ones', () => {
    const ct = new FakeConntrack();
    const m = bound(matchOf('-m connlimit --connlimit-above 2 --connlimit-mask 24'), ct);
    const a = ct.open('10.0.0.2', 1001, '10.0.0.1', 80);
    expect(m(a, {}, { nowNs: 0 }).hit).toBe(false); // 1
    ct.entries[a]!.confirmed = true;
    const b = ct.open('10.0.0.3', 1002, '10.0.0.1', 80); // same /24
    expect(m(b, {}, { nowNs: 10 * JIFFY }).hit).toBe(false); // 2
    ct.entries[b]!.confirmed = true;
    const c = ct.open('10.0.0.4', 1003, '10.0.0.1', 80);
    expect(m(c, {}, { nowNs: 20 * JIFFY }).hit).toBe(true); // 3 > 2
    // c was refused: its entry never gets confirmed and is gone; a closes
    ct.entries[c]!.alive = false;
    ct.entries[a]!.closed = true;
    const d = ct.open('10.0.0.5', 1004, '10.0.0.1', 80);
    // the GC drops c (not found, added on this CPU) and a (TCP closed): b and d remain
    expect(m(d, {}, { nowNs: 30 * JIFFY }).hit).toBe(false);
    // another /24 has its own list
    const e = ct.open('10.0.1.5', 1005, '10.0.0.1', 80);
    expect(m(e, {}, { nowNs: 30 * JIFFY }).hit).toBe(false);
  });
  it('skips the GC within the jiffy of the last one, so a stale connection still counts', () => {
    const ct = new FakeConntrack();
    const m = bound(matchOf('-m connlimit --connlimit-above 1'), ct);
    const a = ct.open('10.0.0.2', 1, '10.0.0.1', 80);
    expect(m(a, {}, { nowNs: 0 }).hit).toBe(false);
    ct.entries[a]!.alive = false; // gone before it was confirmed
    const b = ct.open('10.0.0.2', 2, '10.0.0.1', 80);
    // same jiffy as the list's creation (last_gc = jiffies at nf_conncount_list_init): no GC, a still counts
    expect(m(b, {}, { nowNs: JIFFY - 1 }).hit).toBe(true);
    const c = ct.open('10.0.0.2', 3, '10.0.0.1', 80);
    // next jiffy: a and b (both unconfirmed and unknown to conntrack) are evicted, c alone
    expect(m(c, {}, { nowNs: JIFFY }).hit).toBe(false);
  });
  it('keeps a connection added by another CPU in the last two jiffies (it may not be confirmed yet)', () => {
    const ct = new FakeConntrack();
    const m = bound(matchOf('-m connlimit --connlimit-above 1'), ct);
    const a = ct.open('10.0.0.2', 1, '10.0.0.1', 80);
    expect(m(a, {}, { nowNs: 0, vcpu: 1 }).hit).toBe(false);
    const b = ct.open('10.0.0.2', 2, '10.0.0.1', 80);
    expect(m(b, {}, { nowNs: 1 * JIFFY, vcpu: 0 }).hit).toBe(true); // a kept: age 1 < 2, other CPU
    const c = ct.open('10.0.0.2', 3, '10.0.0.1', 80);
    // two jiffies after a: a evicted; b was added by CPU 0 itself: evicted too
    expect(m(c, {}, { nowNs: 2 * JIFFY, vcpu: 0 }).hit).toBe(false);
  });
  it('does not add a confirmed connection again, and --connlimit-upto / --connlimit-daddr', () => {
    const ct = new FakeConntrack();
    const upto = bound(matchOf('-m connlimit --connlimit-upto 1 --connlimit-daddr'), ct);
    const a = ct.open('10.0.0.2', 1, '10.0.0.1', 80);
    expect(upto(a, {}, { nowNs: 0 }).hit).toBe(true); // 1 <= 1
    ct.entries[a]!.confirmed = true;
    expect(upto(a, {}, { nowNs: 5 * JIFFY }).hit).toBe(true); // still 1
    const b = ct.open('10.0.0.7', 1, '10.0.0.1', 80); // other source, same destination
    expect(upto(b, {}, { nowNs: 6 * JIFFY }).hit).toBe(false); // 2 > 1
  });
  it('hot-drops a packet whose connection cannot be counted', () => {
    const ct = new FakeConntrack();
    const m = bound(matchOf('-m connlimit --connlimit-above 1'), ct);
    expect(m(-1, {}, { nowNs: 0 })).toEqual({ hit: false, hotdrop: 1 });
  });
  it('prints as libxt_connlimit revision 1', () => {
    const print = (r: string): string => {
      const res = parseOne(`-m connlimit ${r}`);
      expect(res.issues).toEqual([]);
      const call = res.ruleset.rules[0]!.matches[0]!;
      return call.module.print(call.data as never, { family: 2 });
    };
    expect(print('! --connlimit-upto 3')).toBe('--connlimit-above 3 --connlimit-mask 32 --connlimit-saddr');
    expect(print('! --connlimit-above 3')).toBe('--connlimit-upto 3 --connlimit-mask 32 --connlimit-saddr');
    expect(print('--connlimit-above 0x10 --connlimit-mask 33 --connlimit-daddr')).toBe('--connlimit-above 16 --connlimit-mask 32 --connlimit-daddr');
    expect(parseOne('-m connlimit --connlimit-above 4294967296').issues.length).toBe(1);
    expect(parseOne('-m connlimit --connlimit-mask 24').issues.length).toBe(1);
  });
});
