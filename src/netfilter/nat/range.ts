// NAT ranges and manip types: the kernel's struct nf_nat_range2 (include/uapi/linux/netfilter/nf_nat.h) and
// enum nf_nat_manip_type. DNAT/SNAT/MASQUERADE/REDIRECT rule data is converted to a NatRange once, at rule
// compile time; the allocator (get_unique_tuple) only reads it. Addresses are unsigned 32-bit host-order
// numbers, ports/ICMP ids plain 16-bit numbers.

import { Hook } from '../skb.js';

/** enum nf_nat_manip_type: which side of the tuple a binding rewrites. */
export const Manip = { SRC: 0, DST: 1 } as const;
export type ManipType = (typeof Manip)[keyof typeof Manip];

/** NF_NAT_RANGE_* flags (uapi nf_nat.h), same bit values as the kernel. */
export const NatRangeFlag = {
  MAP_IPS: 1 << 0,
  PROTO_SPECIFIED: 1 << 1,
  PROTO_RANDOM: 1 << 2,
  PERSISTENT: 1 << 3,
  PROTO_RANDOM_FULLY: 1 << 4,
  PROTO_OFFSET: 1 << 5,
  NETMAP: 1 << 6,
} as const;

/** NF_NAT_RANGE_PROTO_RANDOM_ALL: `--random` or `--random-fully`. */
export const NAT_RANGE_PROTO_RANDOM_ALL = NatRangeFlag.PROTO_RANDOM | NatRangeFlag.PROTO_RANDOM_FULLY;

/** Every flag bit the kernel defines (NF_NAT_RANGE_MASK). */
export const NAT_RANGE_MASK = 0x7f;

/**
 * HOOK2MANIP: SRC at POST_ROUTING and LOCAL_IN, DST at PRE_ROUTING and LOCAL_OUT (FORWARD has no NAT hook
 * and maps to DST like the kernel macro).
 */
export function hookToManip(hook: number): ManipType {
  return hook === Hook.POST_ROUTING || hook === Hook.LOCAL_IN ? Manip.SRC : Manip.DST;
}

/**
 * struct nf_nat_range2. `minProto`/`maxProto` are the port (TCP/UDP/SCTP/DCCP) or ICMP id bounds and only
 * count with PROTO_SPECIFIED; `baseProto` is the `/base` of a DNAT port shift (PROTO_OFFSET). Addresses
 * only count with MAP_IPS. One instance per rule (immutable after construction by convention), plus
 * reusable scratch ranges per executor for MASQUERADE/REDIRECT/null bindings and NETMAP's per-packet address.
 */
export class NatRange {
  flags: number;
  minAddr: number;
  maxAddr: number;
  minProto: number;
  maxProto: number;
  baseProto: number;

  constructor(flags = 0, minAddr = 0, maxAddr = 0, minProto = 0, maxProto = 0, baseProto = 0) {
    this.flags = flags | 0;
    this.minAddr = minAddr >>> 0;
    this.maxAddr = maxAddr >>> 0;
    this.minProto = minProto & 0xffff;
    this.maxProto = maxProto & 0xffff;
    this.baseProto = baseProto & 0xffff;
  }

  /** Overwrite every field (used on scratch ranges; no allocation). HOT. */
  set(flags: number, minAddr: number, maxAddr: number, minProto: number, maxProto: number, baseProto: number): this {
    this.flags = flags | 0;
    this.minAddr = minAddr >>> 0;
    this.maxAddr = maxAddr >>> 0;
    this.minProto = minProto & 0xffff;
    this.maxProto = maxProto & 0xffff;
    this.baseProto = baseProto & 0xffff;
    return this;
  }

  /** Copy another range into this one. HOT. */
  copyFrom(r: NatRange): this {
    return this.set(r.flags, r.minAddr, r.maxAddr, r.minProto, r.maxProto, r.baseProto);
  }

  /** True when `--random` or `--random-fully` was given. */
  get randomAll(): boolean {
    return (this.flags & NAT_RANGE_PROTO_RANDOM_ALL) !== 0;
  }
}

/** Options for building a NatRange from rule data (what `--to-destination`/`--to-source`/`--to-ports` say). */
export interface NatRangeSpec {
  /** First and last address (unsigned 32-bit); omit both for "keep the address" (no MAP_IPS). */
  minAddr?: number;
  maxAddr?: number;
  /** First and last port; omit both for "no port range" (no PROTO_SPECIFIED). */
  minPort?: number;
  maxPort?: number;
  /** `/base` of a port shift (DNAT `--to-destination ip:a-b/base`), sets PROTO_OFFSET. */
  basePort?: number;
  random?: boolean;
  randomFully?: boolean;
  persistent?: boolean;
}

/**
 * Build a NatRange the way xt_nat / xt_MASQUERADE / xt_REDIRECT hand theirs to the core: MAP_IPS when an
 * address is given, PROTO_SPECIFIED when a port is given, the random/persistent flags as written. Not hot.
 */
export function natRangeFrom(spec: NatRangeSpec): NatRange {
  let flags = 0;
  let minAddr = 0;
  let maxAddr = 0;
  if (spec.minAddr !== undefined || spec.maxAddr !== undefined) {
    flags |= NatRangeFlag.MAP_IPS;
    minAddr = (spec.minAddr ?? spec.maxAddr ?? 0) >>> 0;
    maxAddr = (spec.maxAddr ?? minAddr) >>> 0;
  }
  let minPort = 0;
  let maxPort = 0;
  if (spec.minPort !== undefined || spec.maxPort !== undefined) {
    flags |= NatRangeFlag.PROTO_SPECIFIED;
    minPort = spec.minPort ?? spec.maxPort ?? 0;
    maxPort = spec.maxPort ?? minPort;
  }
  let base = 0;
  if (spec.basePort !== undefined) {
    flags |= NatRangeFlag.PROTO_OFFSET;
    base = spec.basePort;
  }
  if (spec.random) flags |= NatRangeFlag.PROTO_RANDOM;
  if (spec.randomFully) flags |= NatRangeFlag.PROTO_RANDOM_FULLY;
  if (spec.persistent) flags |= NatRangeFlag.PERSISTENT;
  return new NatRange(flags, minAddr, maxAddr, minPort, maxPort, base);
}
