// Steering `-m statistic --mode random` by what the kernel was seen to do. kube-proxy picks a service
// endpoint with a cascade of random statistic rules, each jumping to a chain that DNATs to one endpoint.
// The kernel's draws cannot be reproduced, but when the capture holds the host's outgoing copy of the
// packet, the destination it was given is known: each random rule then matches exactly when its jump leads
// to a DNAT (or a NETMAP, which maps destinations in PREROUTING and OUTPUT) that could have produced that
// destination. Without that evidence the seeded draw decides.

import { NatFlag, TargetKind } from './target-data.js';

/** The part of a DNAT or NETMAP record that says where a destination can be mapped to. */
export interface ReachRange {
  readonly kind: number;
  readonly flags: number;
  readonly minAddr: number;
  readonly maxAddr: number;
  readonly minProto: number;
  readonly maxProto: number;
}

/** The destination the kernel gave the packet being walked, when the capture shows it. One per MatchEnv. */
export class ObservedDnat {
  /** 1 when addr/port hold the kernel's choice for the current packet, else 0. */
  known = 0;
  /** Destination address (unsigned 32-bit) and port (or ICMP id) after the kernel's DNAT. */
  addr = 0;
  port = 0;

  set(addr: number, port: number): void {
    this.known = 1;
    this.addr = addr >>> 0;
    this.port = port;
  }

  clear(): void {
    this.known = 0;
  }
}

/** The DNAT (and NETMAP) ranges a rule's jump can reach. NETMAP's network is its first to last address. */
export class DnatReach {
  constructor(readonly ranges: readonly ReachRange[]) {}

  /** Could one of the ranges have mapped a packet to (addr, port)? */
  contains(addr: number, port: number): boolean {
    const a = addr >>> 0;
    for (const r of this.ranges) {
      if ((r.flags & NatFlag.MAP_IPS) !== 0 && (a < r.minAddr >>> 0 || a > r.maxAddr >>> 0)) continue;
      if ((r.flags & NatFlag.PROTO_SPECIFIED) !== 0 && (port < r.minProto || port > r.maxProto)) continue;
      return true;
    }
    return false;
  }
}

/** What reachability needs of a table: per chain its rule slots, per slot the target. */
export interface ReachTable {
  readonly chains: readonly { start: number; tail: number }[];
  /** Chain index a JUMP/GOTO slot enters (-1 otherwise). */
  readonly jumpChain: Int32Array;
  readonly targetData: readonly unknown[];
}

/**
 * The DNAT ranges reachable from user chain `chain` (its rules and, recursively, the chains they jump or go
 * to; each chain visited once), or null when there is none.
 */
export function dnatReachOf(t: ReachTable, chain: number): DnatReach | null {
  const ranges: ReachRange[] = [];
  const seen = new Set<number>();
  const todo = [chain];
  while (todo.length > 0) {
    const ci = todo.pop()!;
    if (seen.has(ci)) continue;
    seen.add(ci);
    const c = t.chains[ci]!;
    for (let s = c.start; s < c.tail; s++) {
      if (t.jumpChain[s]! >= 0) todo.push(t.jumpChain[s]!);
      const d = t.targetData[s] as ReachRange | null;
      if (d !== null && typeof d === 'object' && (d.kind === TargetKind.DNAT || d.kind === TargetKind.NETMAP)) ranges.push(d);
    }
  }
  return ranges.length === 0 ? null : new DnatReach(ranges);
}
