// Conntrack tuples (struct nf_conntrack_tuple, IPv4, zone 0) as five plain numbers, and the kernel's tuple
// inversion (nf_ct_invert_tuple / nf_conntrack_invert_icmp_tuple). For ICMP `sport` is the echo id and
// `dport` is type << 8 | code; inverting maps request types to reply types (8↔0, 13↔14, 15↔16, 17↔18).

import { IpProto } from '../../decode/meta.js';
import { hashWord, mix32 } from '../../util/hash.js';

/**
 * One direction of a connection: addresses as unsigned 32-bit numbers, ports (or ICMP id and type/code)
 * as 16-bit numbers, the IP protocol number. Reused objects: callers keep a scratch Tuple and `set` it.
 */
export class Tuple {
  src: number;
  dst: number;
  sport: number;
  dport: number;
  proto: number;
  /**
   * Conntrack zone the tuple is looked up (or the entry lives) in, packed as `dirs << 16 | id` (struct
   * nf_conntrack_zone: dirs 1 ORIGINAL, 2 REPLY, 3 both); 0 is the default zone. `set` leaves it alone.
   */
  zone = 0;

  constructor(src = 0, dst = 0, sport = 0, dport = 0, proto = 0) {
    this.src = src >>> 0;
    this.dst = dst >>> 0;
    this.sport = sport & 0xffff;
    this.dport = dport & 0xffff;
    this.proto = proto & 0xff;
  }

  /** Overwrite every field. HOT: no allocation. */
  set(src: number, dst: number, sport: number, dport: number, proto: number): this {
    this.src = src >>> 0;
    this.dst = dst >>> 0;
    this.sport = sport & 0xffff;
    this.dport = dport & 0xffff;
    this.proto = proto & 0xff;
    return this;
  }

  /** Copy another tuple into this one. HOT. */
  copyFrom(t: Tuple): this {
    this.zone = t.zone;
    this.src = t.src;
    this.dst = t.dst;
    this.sport = t.sport;
    this.dport = t.dport;
    this.proto = t.proto;
    return this;
  }

  /** nf_ct_tuple_equal. HOT. */
  equals(t: Tuple): boolean {
    return this.src === t.src && this.dst === t.dst && this.sport === t.sport && this.dport === t.dport && this.proto === t.proto;
  }

  /** ICMP type of an ICMP tuple (high byte of dport). */
  get icmpType(): number {
    return this.dport >>> 8;
  }

  /** ICMP code of an ICMP tuple (low byte of dport). */
  get icmpCode(): number {
    return this.dport & 0xff;
  }
}

/** ICMP request/reply pairs (nf_conntrack_proto_icmp.c invmap): type → inverted type + 1, 0 = not invertible. */
const ICMP_INVMAP = new Uint8Array(19);
ICMP_INVMAP[8] = 0 + 1; // ECHO → ECHOREPLY
ICMP_INVMAP[0] = 8 + 1; // ECHOREPLY → ECHO
ICMP_INVMAP[13] = 14 + 1; // TIMESTAMP → TIMESTAMPREPLY
ICMP_INVMAP[14] = 13 + 1;
ICMP_INVMAP[15] = 16 + 1; // INFO_REQUEST → INFO_REPLY
ICMP_INVMAP[16] = 15 + 1;
ICMP_INVMAP[17] = 18 + 1; // ADDRESS → ADDRESSREPLY
ICMP_INVMAP[18] = 17 + 1;

/** The inverted ICMP type, or -1 when the type has no request/reply counterpart. */
export function icmpInvertType(type: number): number {
  if (type >= ICMP_INVMAP.length) return -1;
  const m = ICMP_INVMAP[type]!;
  return m === 0 ? -1 : m - 1;
}

/**
 * nf_ct_invert_tuple: write the reverse direction of `orig` into `out` (may be the same object).
 * Returns false (and leaves `out` unspecified) for ICMP types that cannot be inverted. HOT.
 */
export function invertTuple(orig: Tuple, out: Tuple): boolean {
  const src = orig.src;
  const dst = orig.dst;
  const sport = orig.sport;
  const dport = orig.dport;
  const proto = orig.proto;
  out.zone = orig.zone; // the same flow, in the same zone
  if (proto === IpProto.ICMP) {
    const inv = icmpInvertType(dport >>> 8);
    if (inv < 0) return false;
    out.set(dst, src, sport, (inv << 8) | (dport & 0xff), proto);
    return true;
  }
  out.set(dst, src, dport, sport, proto);
  return true;
}

/** Seeded hash of a tuple (the kernel's hash_conntrack_raw role; direction is not hashed). HOT. */
export function hashTuple(seed: number, src: number, dst: number, sport: number, dport: number, proto: number): number {
  let h = seed | 0;
  h = hashWord(h, src | 0);
  h = hashWord(h, dst | 0);
  h = hashWord(h, (sport << 16) | dport);
  h = hashWord(h, proto);
  return mix32(h ^ 16);
}

/**
 * reciprocal_scale(hash, n): map a 32-bit hash to [0, n) as `(hash * n) >> 32`, computed exactly for
 * any n < 2^26 without leaving the safe-integer range. HOT.
 */
export function reciprocalScale(hash: number, n: number): number {
  const hi = hash >>> 16;
  const lo = hash & 0xffff;
  return Math.floor((hi * n + Math.floor((lo * n) / 65536)) / 65536);
}

/** Pack a zone (struct nf_conntrack_zone): id 0..65535, dirs 1 ORIGINAL, 2 REPLY, 3 both. */
export function packZone(id: number, dirs: number): number {
  return id === 0 ? 0 : ((dirs << 16) | id) >>> 0;
}

/** nf_ct_zone_id: the zone id a packed zone has in direction `dir` (the default zone where it does not apply). HOT. */
export function zoneIdFor(zone: number, dir: number): number {
  return ((zone >>> 16) >> dir) & 1 ? zone & 0xffff : 0;
}

/** The by-source key of a flow (hash_by_src, find_appropriate_src): its protocol and ORIGINAL zone id. HOT. */
export function bySourceKey(proto: number, zone: number): number {
  return proto | (zoneIdFor(zone, 0) << 8);
}
