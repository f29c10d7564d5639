// A small in-memory conntrack double for NAT tests: entries with both tuples, status bits, confirmation,
// TCP state and td_end, the by-source list (newest first), tupleTaken with the kernel's rules, and a log
// of every tupleTaken query so tests can inspect the allocator's probe sequence.

import { Tuple, invertTuple } from '../../../src/netfilter/conntrack/tuple.js';
import type { NatConntrack, NatCtExtras, Viewer } from '../../../src/netfilter/nat/ct-ops.js';
import { CtStatus, Skb } from '../../../src/netfilter/skb.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';

export interface FakeEntry {
  orig: Tuple;
  reply: Tuple;
  status: number;
  tcpState: number;
  tdEnd: number;
  killed: boolean;
  vcpu: number;
  visibleNs: number;
}

export class FakeCt implements NatConntrack, NatCtExtras {
  readonly capacity = 256;
  readonly entries: FakeEntry[] = [];
  readonly bySrc: number[] = [];
  /** Every tupleTaken query (copies), in order, and every findHash query. */
  readonly queries: Tuple[] = [];
  readonly finds: Tuple[] = [];
  found = 0;
  /** When set, every tupleTaken answers "taken" (a completely full port space). */
  allTaken = false;
  kills = 0;

  /** A new unconfirmed entry for `orig` (reply = inverse), as init_conntrack makes it. */
  newEntry(orig: Tuple, vcpu = 0, nowNs = 0): number {
    const reply = new Tuple();
    if (!invertTuple(orig, reply)) throw new Error('not invertible');
    this.entries.push({ orig: new Tuple().copyFrom(orig), reply, status: 0, tcpState: 0, tdEnd: 0, killed: false, vcpu, visibleNs: nowNs });
    return this.entries.length - 1;
  }

  /** A confirmed entry with the given tuples and status, visible to everyone from `visibleNs`. */
  addConfirmed(orig: Tuple, reply: Tuple, status = 0, visibleNs = 0, vcpu = 0): number {
    this.entries.push({
      orig: new Tuple().copyFrom(orig),
      reply: new Tuple().copyFrom(reply),
      status: status | CtStatus.CONFIRMED,
      tcpState: 0,
      tdEnd: 0,
      killed: false,
      vcpu,
      visibleNs,
    });
    return this.entries.length - 1;
  }

  confirm(ct: number, visibleNs = 0): void {
    const e = this.entries[ct]!;
    e.status |= CtStatus.CONFIRMED;
    e.visibleNs = visibleNs;
  }

  private visible(i: number, viewer: Viewer): boolean {
    const e = this.entries[i]!;
    if (e.killed || (e.status & CtStatus.CONFIRMED) === 0) return false;
    return viewer.vcpu === e.vcpu || viewer.nowNs >= e.visibleNs;
  }

  // --- NatConntrack ---------------------------------------------------------------------------------
  status(ct: number): number {
    return this.entries[ct]!.status;
  }
  setStatusBits(ct: number, bits: number): void {
    this.entries[ct]!.status |= bits;
  }
  isConfirmed(ct: number): boolean {
    return (this.entries[ct]!.status & CtStatus.CONFIRMED) !== 0;
  }
  tcpState(ct: number): number {
    return this.entries[ct]!.tcpState;
  }
  getTuple(ct: number, dir: number, out: Tuple): Tuple {
    const e = this.entries[ct]!;
    return out.copyFrom(dir === 0 ? e.orig : e.reply);
  }
  tupleTaken(tuple: Tuple, ignoredCt: number, viewer: Viewer): boolean {
    this.queries.push(new Tuple().copyFrom(tuple));
    if (this.allTaken) {
      this.found++;
      return true;
    }
    const ign = ignoredCt >= 0 ? this.entries[ignoredCt]! : null;
    for (let i = 0; i < this.entries.length; i++) {
      if (i === ignoredCt || !this.visible(i, viewer)) continue;
      const e = this.entries[i]!;
      if (!e.orig.equals(tuple) && !e.reply.equals(tuple)) continue;
      if (ign !== null && e.orig.equals(ign.orig)) continue;
      this.found++;
      return true;
    }
    return false;
  }
  setReplyTuple(ct: number, reply: Tuple): void {
    this.entries[ct]!.reply.copyFrom(reply);
  }
  bySourceAdd(ct: number): void {
    this.bySrc.unshift(ct);
  }
  bySourceFirst(src: number, sport: number, proto: number, viewer: Viewer): number {
    return this.scanBySrc(0, src, sport, proto, viewer);
  }
  bySourceNext(ct: number, src: number, sport: number, proto: number, viewer: Viewer): number {
    return this.scanBySrc(this.bySrc.indexOf(ct) + 1, src, sport, proto, viewer);
  }
  private scanBySrc(from: number, src: number, sport: number, proto: number, viewer: Viewer): number {
    for (let k = from; k < this.bySrc.length; k++) {
      const i = this.bySrc[k]!;
      const o = this.entries[i]!.orig;
      if (o.src === src && o.sport === sport && o.proto === proto && this.visible(i, viewer)) return i;
    }
    return -1;
  }
  syncSkb(skb: Skb): void {
    if (skb.ct < 0) return;
    const e = this.entries[skb.ct]!;
    skb.ctStatus = e.status;
    skb.ctOrigSrc = e.orig.src;
    skb.ctOrigDst = e.orig.dst;
    skb.ctOrigSport = e.orig.sport;
    skb.ctOrigDport = e.orig.dport;
    skb.ctReplSrc = e.reply.src;
    skb.ctReplDst = e.reply.dst;
    skb.ctReplSport = e.reply.sport;
    skb.ctReplDport = e.reply.dport;
  }

  // --- NatCtExtras ----------------------------------------------------------------------------------
  findHash(tuple: Tuple, viewer: Viewer): number {
    this.finds.push(new Tuple().copyFrom(tuple));
    for (let i = 0; i < this.entries.length; i++) {
      if (!this.visible(i, viewer)) continue;
      const e = this.entries[i]!;
      if (e.orig.equals(tuple)) return i * 2;
      if (e.reply.equals(tuple)) return i * 2 + 1;
    }
    return -1;
  }
  tcpOrigTdEnd(ct: number): number {
    return this.entries[ct]!.tdEnd;
  }
  kill(ct: number): boolean {
    const e = this.entries[ct]!;
    if (e.killed) return false;
    e.killed = true;
    this.kills++;
    return true;
  }
}

/** A tuple from dotted addresses. */
export function tup(src: string, dst: string, sport: number, dport: number, proto: number): Tuple {
  return new Tuple(parseIpv4(src), parseIpv4(dst), sport, dport, proto);
}

/** An skb attached to entry `ct` with `ctinfo`, on vCPU `vcpu` at time `nowNs`. */
export function skbFor(ct: number, ctinfo: number, vcpu = 0, nowNs = 0): Skb {
  const skb = new Skb();
  skb.ct = ct;
  skb.ctInfo = ctinfo;
  skb.vcpu = vcpu;
  skb.nowNs = nowNs;
  return skb;
}
