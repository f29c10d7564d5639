// The kernel's NAT tuple allocator, mirroring net/netfilter/nf_nat_core.c (6.18): get_unique_tuple,
// find_appropriate_src, find_best_ips_proto (jhash2 address pick), nf_nat_l4proto_unique_tuple (port
// classes, start offset, 128-then-halving probes, at most 248), nf_nat_used_tuple, _new and _harder.
// Every "is it used" question goes to conntrack with the caller's viewer; random offsets use the seeded PRNG.

import { IpProto } from '../../decode/meta.js';
import type { Prng } from '../../util/prng.js';
import { TcpState } from '../conntrack/api.js';
import { Tuple, bySourceKey, invertTuple } from '../conntrack/tuple.js';
import { CtDir, CtStatus } from '../skb.js';
import type { NatConntrack, NatCtExtras, Viewer } from './ct-ops.js';
import { bswap32, jhash2, reciprocalScale } from './jhash.js';
import { Manip, NAT_RANGE_PROTO_RANDOM_ALL, NatRange, NatRangeFlag } from './range.js';

/** NF_NAT_MAX_ATTEMPTS and NF_NAT_HARDER_THRESH. */
const MAX_ATTEMPTS = 128;
const HARDER_THRESH = MAX_ATTEMPTS / 4;

const IPS_NAT_MASK = CtStatus.SRC_NAT | CtStatus.DST_NAT;
const USES_NAT = IPS_NAT_MASK | CtStatus.SEQ_ADJUST;
const IPPROTO_DCCP = 33;

/** l4proto->allow_clash: UDP, UDP-Lite, GRE and the generic tracker (TCP, ICMP, SCTP and DCCP do not). */
export function natAllowClash(proto: number): boolean {
  return !(
    proto === IpProto.TCP ||
    proto === IpProto.ICMP ||
    proto === IpProto.ICMPV6 ||
    proto === IpProto.SCTP ||
    proto === IPPROTO_DCCP
  );
}

/** Protocols whose port field is the NAT key (the kernel's TCP/UDP/UDPLITE/SCTP/DCCP case). */
function hasPorts(proto: number): boolean {
  return proto === IpProto.TCP || proto === IpProto.UDP || proto === IpProto.UDPLITE || proto === IpProto.SCTP || proto === IPPROTO_DCCP;
}

/** Counters of what the allocator did (for reports and tests; never consulted by the algorithm). */
export class NatAllocStats {
  /** Candidate tuples asked about (every nf_nat_used_tuple* call). */
  probes = 0;
  /** nf_nat_l4proto_unique_tuple runs, and those that ended with every probed value in use. */
  searches = 0;
  exhausted = 0;
  /** Entries evicted by nf_nat_used_tuple_harder. */
  evictions = 0;
}

/**
 * get_unique_tuple and its helpers. One instance per executor (it holds scratch tuples); not re-entrant.
 */
export class NatAllocator {
  readonly stats = new NatAllocStats();
  private readonly ops: NatConntrack;
  private readonly extras: NatCtExtras | null;
  /**
   * A key (port or ICMP id) to start from instead of a random offset: the kernel's own choice for the
   * packet being bound, pinned from a capture by the replay engine. -1 when there is none.
   */
  preferredKey = -1;
  private readonly prng: Prng;
  /** One PRNG stream per vCPU, forked from `prng` on first use (see rng()). */
  private readonly streams: Prng[] = [];
  private readonly inv = new Tuple();
  private readonly t1 = new Tuple();
  private readonly t2 = new Tuple();
  private readonly words = new Uint32Array(4);

  constructor(ops: NatConntrack, prng: Prng, extras: NatCtExtras | null = null) {
    this.ops = ops;
    this.extras = extras;
    this.prng = prng;
  }

  /**
   * get_unique_tuple: choose the tuple `out` that entry `ct` (unconfirmed) will look like after this manip,
   * starting from `orig` (the inverse of its current REPLY tuple). May leave a used tuple when everything
   * probed is taken: the packet then loses at confirm, as in the kernel. HOT (per NEW connection).
   */
  getUniqueTuple(out: Tuple, orig: Tuple, range: NatRange, ct: number, manip: number, viewer: Viewer): void {
    const randomAll = (range.flags & NAT_RANGE_PROTO_RANDOM_ALL) !== 0;

    // 1) SRC manip: keep the current source if it fits and is free, else reuse this source's mapping.
    if (manip === Manip.SRC && !randomAll) {
      if (this.inRange(orig, range)) {
        if (!this.usedTupleNew(orig, ct, viewer)) {
          out.copyFrom(orig);
          return;
        }
      } else if (this.findAppropriateSrc(orig, out, range, viewer)) {
        if (!this.usedTuple(out, ct, viewer)) return;
      }
    }

    // 2) Pick the address (deterministic hash over the range).
    out.copyFrom(orig);
    this.findBestIpsProto(out, range, manip);

    // 3) Keep the port/id when it is in range and unique (or the range is a single value).
    if (!randomAll) {
      if ((range.flags & NatRangeFlag.PROTO_SPECIFIED) !== 0) {
        if (
          (range.flags & NatRangeFlag.PROTO_OFFSET) === 0 &&
          l4protoInRange(out, manip, range.minProto, range.maxProto) &&
          (range.minProto === range.maxProto || !this.usedTuple(out, ct, viewer))
        ) {
          return;
        }
      } else if (!this.usedTuple(out, ct, viewer)) {
        return;
      }
    }

    // 4) Last chance: search the port/id space.
    this.l4protoUniqueTuple(out, range, manip, ct, viewer);
  }

  /** nf_in_range: would source-mapping to `t` satisfy `range`? (address, then source port/id) */
  inRange(t: Tuple, range: NatRange): boolean {
    if ((range.flags & NatRangeFlag.MAP_IPS) !== 0 && !(t.src >= range.minAddr && t.src <= range.maxAddr)) return false;
    if ((range.flags & NatRangeFlag.PROTO_SPECIFIED) === 0) return true;
    return l4protoInRange(t, Manip.SRC, range.minProto, range.maxProto);
  }

  /**
   * find_appropriate_src: an existing mapping of the same original source (proto, address, port/id)
   * whose mapped source satisfies `range`; writes it (with orig's destination) into `out`.
   */
  findAppropriateSrc(orig: Tuple, out: Tuple, range: NatRange, viewer: Viewer): boolean {
    const ops = this.ops;
    const reply = this.t1;
    const src = orig.src;
    const sport = orig.sport;
    // hash_by_src and nf_ct_zone_equal: the protocol with the ORIGINAL zone id of the entry being NATed
    const proto = bySourceKey(orig.proto, orig.zone);
    for (let e = ops.bySourceFirst(src, sport, proto, viewer); e >= 0; e = ops.bySourceNext(e, src, sport, proto, viewer)) {
      ops.getTuple(e, CtDir.REPLY, reply);
      invertInto(reply, out);
      out.dst = orig.dst;
      out.dport = orig.dport;
      if (this.inRange(out, range)) return true;
    }
    return false;
  }

  /**
   * find_best_ips_proto: with MAP_IPS, set the manipulated address: the single address, or
   * min + reciprocal_scale(jhash2(src, 4 words, (PERSISTENT ? 0 : dst) ^ zone), max - min + 1).
   */
  findBestIpsProto(t: Tuple, range: NatRange, manip: number): void {
    if ((range.flags & NatRangeFlag.MAP_IPS) === 0) return;
    if (range.minAddr === range.maxAddr) {
      if (manip === Manip.SRC) t.src = range.minAddr;
      else t.dst = range.minAddr;
      return;
    }
    // The kernel hashes union nf_inet_addr (4 words, IPv4 in word 0, raw network order as x86 reads it).
    const w = this.words;
    w[0] = bswap32(t.src);
    w[1] = 0;
    w[2] = 0;
    w[3] = 0;
    const zone = 0;
    const initval = ((range.flags & NatRangeFlag.PERSISTENT) !== 0 ? 0 : bswap32(t.dst)) ^ zone;
    const j = jhash2(w, 0, 4, initval);
    const dist = (range.maxAddr - range.minAddr + 1) >>> 0;
    const addr = (range.minAddr + reciprocalScale(j, dist)) >>> 0;
    if (manip === Manip.SRC) t.src = addr;
    else t.dst = addr;
  }

  /**
   * nf_nat_l4proto_unique_tuple: probe the key field (port of the manipulated side, or ICMP id) from a
   * start offset; keeps the last probed value when every probe is in use.
   */
  l4protoUniqueTuple(t: Tuple, range: NatRange, manip: number, ct: number, viewer: Viewer): void {
    const proto = t.proto;
    const flags = range.flags;
    let keySrc: boolean;
    let min: number;
    let size: number;
    if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
      keySrc = true; // the id sits in the source half in both directions
      if ((flags & NatRangeFlag.PROTO_SPECIFIED) === 0) {
        min = 0;
        size = 65536;
      } else {
        min = range.minProto;
        size = (range.maxProto - range.minProto + 1) >>> 0; // unsigned int, wraps like the kernel
      }
    } else if (hasPorts(proto)) {
      keySrc = manip === Manip.SRC;
      if ((flags & NatRangeFlag.PROTO_SPECIFIED) === 0) {
        if (manip === Manip.DST) return; // a DST rewrite without a port range never changes the port
        const port = keySrc ? t.sport : t.dport;
        if (port < 1024) {
          // loose convention: < 512 is credential passing
          if (port < 512) {
            min = 1;
            size = 511;
          } else {
            min = 600;
            size = 1023 - 600 + 1;
          }
        } else {
          min = 1024;
          size = 65535 - 1024 + 1;
        }
      } else {
        min = range.minProto;
        let max = range.maxProto;
        if (max < min) {
          const s = max;
          max = min;
          min = s;
        }
        size = max - min + 1;
      }
    } else {
      return; // GRE without a PPTP master and unknown protocols keep their tuple
    }

    this.stats.searches++;
    // u16 off: PROTO_OFFSET shifts by the base; random for --random*/SRC; 0 for DST since 6.8
    let off: number;
    if ((flags & NatRangeFlag.PROTO_OFFSET) !== 0) off = ((keySrc ? t.sport : t.dport) - range.baseProto) & 0xffff;
    else if ((flags & NAT_RANGE_PROTO_RANDOM_ALL) !== 0 || manip !== Manip.DST) {
      // a choice pinned from a capture (what the kernel drew for this very packet) replaces the draw
      const pk = this.preferredKey;
      off = pk >= min && pk - min < size ? pk - min : this.rng(viewer.vcpu).u16();
    } else off = 0;

    let attempts = size < MAX_ATTEMPTS ? size : MAX_ATTEMPTS;
    for (;;) {
      for (let i = 0; i < attempts; i++) {
        const key = (min + (off % size)) & 0xffff;
        if (keySrc) t.sport = key;
        else t.dport = key;
        if (!this.usedTupleHarder(t, ct, attempts - i, viewer)) return;
        off = (off + 1) & 0xffff;
      }
      if (attempts >= size || attempts < 16) {
        this.stats.exhausted++;
        return;
      }
      attempts = attempts >>> 1;
      off = this.rng(viewer.vcpu).u16();
    }
  }

  /**
   * get_random_u16() for a packet on `vcpu`: every vCPU draws from its own stream, forked from the seed
   * PRNG, so that the draws a packet sees depend only on its vCPU's own packet order, never on how vCPUs
   * are spread over worker threads (the determinism contract). The fork happens once per vCPU.
   */
  private rng(vcpu: number): Prng {
    let p = this.streams[vcpu];
    if (p === undefined) {
      p = this.prng.fork(`nat-vcpu-${vcpu}`);
      this.streams[vcpu] = p;
    }
    return p;
  }

  /** nf_nat_used_tuple: is the reply of `t` taken by another (visible, confirmed) entry? */
  usedTuple(t: Tuple, ct: number, viewer: Viewer): boolean {
    this.stats.probes++;
    invertInto(t, this.inv);
    return this.ops.tupleTaken(this.inv, ct, viewer);
  }

  /**
   * nf_nat_used_tuple_new (6.12+, with the 2025 direction-check fix): like usedTuple, but a clash with an
   * un-NATed entry that is our exact reverse (both sides un-NATed, clash-tolerant protocol) is left to
   * conntrack's clash resolution instead of rewriting our source port.
   */
  usedTupleNew(t: Tuple, ct: number, viewer: Viewer): boolean {
    if (!this.usedTuple(t, ct, viewer)) return false;
    const ops = this.ops;
    const extras = this.extras;
    if (!natAllowClash(t.proto)) return true;
    if ((ops.status(ct, viewer) & USES_NAT) !== 0) return true;
    if (extras === null) return true;
    const h = extras.findHash(t, viewer);
    if (h < 0) return false; // the clashing entry went away
    const other = h >> 1;
    if ((ops.status(other, viewer) & USES_NAT) !== 0) return true;
    ops.getTuple(other, CtDir.ORIGINAL, this.t1);
    ops.getTuple(ct, CtDir.REPLY, this.t2);
    return !this.t1.equals(this.t2);
  }

  /**
   * nf_nat_used_tuple_harder: during the last NF_NAT_HARDER_THRESH probes a new TCP connection (SYN_SENT)
   * may evict a colliding SNAT'd entry that is closing (TIME_WAIT or later) and whose originator sequence
   * the new one has passed.
   */
  usedTupleHarder(t: Tuple, ct: number, attemptsLeft: number, viewer: Viewer): boolean {
    const ops = this.ops;
    const extras = this.extras;
    if (
      attemptsLeft > HARDER_THRESH ||
      t.proto !== IpProto.TCP ||
      extras === null ||
      ops.tcpState(ct, viewer) !== TcpState.SYN_SENT
    ) {
      return this.usedTuple(t, ct, viewer);
    }
    this.stats.probes++;
    invertInto(t, this.inv);
    const h = extras.findHash(this.inv, viewer);
    if (h < 0) return false;
    const other = h >> 1;
    if ((h & 1) === CtDir.ORIGINAL) return true;
    if (other === ct) return true;
    const flags = ops.status(other, viewer);
    if (!this.mayKill(other, flags, viewer)) return true;
    // nf_seq_has_advanced: (s32)(new.seen[0].td_end - old.seen[0].td_end) > 0
    if (((extras.tcpOrigTdEnd(ct, viewer) - extras.tcpOrigTdEnd(other, viewer)) | 0) <= 0) return true;
    if (extras.kill(other, viewer)) {
      this.stats.evictions++;
      return (flags & (CtStatus.OFFLOAD | CtStatus.HW_OFFLOAD)) !== 0;
    }
    return true;
  }

  /** nf_nat_may_kill: closing (TIME_WAIT or later), not fixed-timeout/dying, and source-NATed. */
  private mayKill(ct: number, flags: number, viewer: Viewer): boolean {
    if (this.ops.tcpState(ct, viewer) < TcpState.TIME_WAIT) return false;
    if ((flags & (CtStatus.FIXED_TIMEOUT | CtStatus.DYING)) !== 0) return false;
    return (flags & CtStatus.SRC_NAT) === CtStatus.SRC_NAT;
  }
}

/**
 * l4proto_in_range: is the manipulable part of `t` within [min, max]? ICMP: the id; port protocols: the
 * source port for SRC, destination port for DST; anything else is always in range.
 */
export function l4protoInRange(t: Tuple, manip: number, min: number, max: number): boolean {
  const proto = t.proto;
  if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) return t.sport >= min && t.sport <= max;
  if (proto === IpProto.GRE || hasPorts(proto)) {
    const port = manip === Manip.SRC ? t.sport : t.dport;
    return port >= min && port <= max;
  }
  return true;
}

/** nf_ct_invert_tuple into `out`; an ICMP type without a reply counterpart is swapped as-is. HOT. */
export function invertInto(t: Tuple, out: Tuple): void {
  if (!invertTuple(t, out)) {
    out.set(t.dst, t.src, t.sport, t.dport, t.proto);
    out.zone = t.zone;
  }
}
