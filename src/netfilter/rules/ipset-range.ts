// The hash:* and bitmap:* sets: elements as boxes of inclusive [lo, hi] ranges, one per dimension, with the
// nomatch flag and a timeout. Mirrors the kadt functions of net/netfilter/ipset (ip_set_hash_ip.c netmask,
// ip_set_hash_net.c INIT_CIDR, ip_set_getport.c ports) and mtype_add / mtype_del / mtype_test of
// ip_set_hash_gen.h and ip_set_bitmap_gen.h: the most specific element wins, expired elements are gone.

import type { Skb } from '../skb.js';
import type { PacketMeta } from '../../decode/meta.js';
import type { IpSet } from './ipset.js';
import { AdtResult, IPSET_NO_TIMEOUT, jiffiesAt } from './ipset.js';
import { msecsToJiffies } from './match/hashlimit-credits.js';
import { prefixMask } from '../../util/ipv4.js';

/** How one dimension of an element is read from a packet. */
export const Dim = {
  /** An address stored whole (hash:ip, the ip parts of hash:ip,port...), or masked by `netmask`. */
  IP: 0,
  /** proto << 16 | port (ICMP: type << 8 | code), as ip_set_get_ip4_port reads it. */
  PORT: 1,
  /** A TCP or UDP port alone (bitmap:port). */
  PORT_ANY: 2,
  /** skb->mark & markmask (hash:ip,mark). */
  MARK: 3,
  /** A network of the set's prefix lengths (hash:net, the net parts of hash:net,port...). */
  NET: 4,
} as const;
export type DimKind = (typeof Dim)[keyof typeof Dim];

/** IPSET_DEFAULT_MAXELEM. */
export const DEFAULT_MAXELEM = 65536;

/**
 * ip_set_get_ip4_port: proto << 16 | port (ICMP: type << 8 | code; protocols without ports: 0), or -1 when
 * the kernel has none (protocol 0, a later fragment of TCP/UDP/SCTP/UDP-Lite/ICMP, a cut header). HOT.
 */
export function portKey(m: PacketMeta, src: boolean): number {
  const proto = m.ipProto;
  if (proto <= 0) return -1;
  const ported = proto === 6 || proto === 17 || proto === 132 || proto === 136;
  if (m.fragOffset !== 0) return ported || proto === 1 ? -1 : (proto << 16) >>> 0;
  if (ported) return m.l4Off < 0 ? -1 : ((proto << 16) | (src ? m.sport : m.dport)) >>> 0;
  if (proto === 1) return m.l4Off < 0 ? -1 : ((proto << 16) | (m.icmpType << 8) | m.icmpCode) >>> 0;
  return (proto << 16) >>> 0;
}

/** A hash:* or bitmap:* set. Options of its `create` line are set by the reader before elements go in. */
export class RangeSet implements IpSet {
  readonly name: string;
  readonly type: string;
  readonly family: 4 | 6;
  readonly dimensions: number;
  readonly kinds: readonly DimKind[];
  /** `timeout` of the create line: the default of new elements in seconds; -1 for a set without timeouts. */
  timeout = -1;
  /** `netmask` of hash:ip and bitmap:ip: elements are networks of this prefix length. */
  netmask = 32;
  /** `maxelem` of hash sets (bitmaps are bounded by their range). */
  maxelem = DEFAULT_MAXELEM;
  /** `forceadd`: a full set makes room instead of refusing the add. */
  forceadd = false;
  /** `range` of bitmap:ip (addresses) and bitmap:port (ports). */
  first = 0;
  last = 0xffffffff;
  /** Jiffies per second of the deadlines (the load's HZ). */
  hz = 250;
  private lo: Uint32Array;
  private hi: Uint32Array;
  /** Prefix length per element and dimension (addresses; 0 for ports and marks). */
  private cidr: Uint8Array;
  /** Specificity (sum of prefix lengths) and nomatch flag per element. */
  private spec: Int32Array;
  private nomatch: Uint8Array;
  /** Jiffies after which the element is gone (Infinity: permanent). */
  private deadline: Float64Array;
  private count = 0;
  private readonly markMask: number;
  /** IPSET_TYPE_NOMATCH: the types with a net dimension keep nomatch entries (hash:net, hash:ip,port,net ...). */
  private readonly hasNomatch: boolean;
  private readonly bitmap: boolean;
  private readonly hashIp: boolean;
  /** The packet's value per dimension, and the element an add or delete works on (scratch, per set). */
  private readonly key: Uint32Array;
  private readonly eLo: Uint32Array;
  private readonly eHi: Uint32Array;
  private readonly eCidr: Uint8Array;

  constructor(name: string, type: string, kinds: readonly DimKind[], family: 4 | 6, markMask = 0xffffffff) {
    this.name = name;
    this.type = type;
    this.family = family;
    this.kinds = kinds;
    this.dimensions = kinds.length;
    const d = kinds.length;
    this.lo = new Uint32Array(16 * d);
    this.hi = new Uint32Array(16 * d);
    this.cidr = new Uint8Array(16 * d);
    this.spec = new Int32Array(16);
    this.nomatch = new Uint8Array(16);
    this.deadline = new Float64Array(16);
    this.markMask = markMask;
    this.hasNomatch = type.startsWith('hash:') && type.includes('net');
    this.bitmap = type.startsWith('bitmap:');
    this.hashIp = type === 'hash:ip';
    this.key = new Uint32Array(d);
    this.eLo = new Uint32Array(d);
    this.eHi = new Uint32Array(d);
    this.eCidr = new Uint8Array(d);
  }

  /** Elements held, expired ones included until an add or delete drops them. */
  get size(): number {
    return this.count;
  }

  /**
   * Put an element in (the reader, and adds): per dimension its range and prefix length, the nomatch flag
   * and the jiffies deadline. Grows the arrays by doubling when full, as the kernel allocates bucket slots.
   */
  insert(lo: ArrayLike<number>, hi: ArrayLike<number>, cidr: ArrayLike<number>, nomatch: boolean, deadline: number): void {
    const d = this.dimensions;
    if (this.count === this.spec.length) this.grow(this.count * 2);
    const at = this.count * d;
    let spec = 0;
    for (let i = 0; i < d; i++) {
      this.lo[at + i] = lo[i]!;
      this.hi[at + i] = hi[i]!;
      this.cidr[at + i] = cidr[i]!;
      spec += cidr[i]!;
    }
    this.spec[this.count] = spec;
    this.nomatch[this.count] = nomatch ? 1 : 0;
    this.deadline[this.count] = deadline;
    this.count++;
  }

  private grow(n: number): void {
    const d = this.dimensions;
    const lo = new Uint32Array(n * d);
    const hi = new Uint32Array(n * d);
    const cidr = new Uint8Array(n * d);
    const spec = new Int32Array(n);
    const nomatch = new Uint8Array(n);
    const deadline = new Float64Array(n);
    lo.set(this.lo.subarray(0, this.count * d));
    hi.set(this.hi.subarray(0, this.count * d));
    cidr.set(this.cidr.subarray(0, this.count * d));
    spec.set(this.spec.subarray(0, this.count));
    nomatch.set(this.nomatch.subarray(0, this.count));
    deadline.set(this.deadline.subarray(0, this.count));
    [this.lo, this.hi, this.cidr, this.spec, this.nomatch, this.deadline] = [lo, hi, cidr, spec, nomatch, deadline];
  }

  clone(hz: number): RangeSet {
    const c = new RangeSet(this.name, this.type, this.kinds, this.family, this.markMask);
    c.timeout = this.timeout;
    c.netmask = this.netmask;
    c.maxelem = this.maxelem;
    c.forceadd = this.forceadd;
    c.first = this.first;
    c.last = this.last;
    c.hz = hz;
    c.grow(Math.max(16, this.count));
    const d = this.dimensions;
    c.lo.set(this.lo.subarray(0, this.count * d));
    c.hi.set(this.hi.subarray(0, this.count * d));
    c.cidr.set(this.cidr.subarray(0, this.count * d));
    c.spec.set(this.spec.subarray(0, this.count));
    c.nomatch.set(this.nomatch.subarray(0, this.count));
    for (let e = 0; e < this.count; e++) {
      const t = this.deadline[e]!;
      // deadlines of the reader count from virtual time 0: whole milliseconds on the old HZ
      c.deadline[e] = t === Infinity || hz === this.hz ? t : msecsToJiffies(Math.round((t * 1000) / this.hz), hz);
    }
    c.count = this.count;
    return c;
  }

  /** Deadline of an element added at `now` with `timeout` seconds (ip_set_timeout_set; 0 = permanent). */
  deadlineFor(timeout: number, now: number): number {
    if (this.timeout < 0 || timeout === 0) return Infinity;
    return now + msecsToJiffies(timeout * 1000, this.hz);
  }

  /**
   * The packet's value per dimension into `key` (the kadt functions); false when the kernel's kadt returns
   * -EINVAL. Addresses of netmask sets come masked. HOT.
   */
  private keys(skb: Skb, srcFlags: number): boolean {
    const m = skb.meta;
    const k = this.key;
    for (let i = 0; i < this.dimensions; i++) {
      const src = (srcFlags & (1 << i)) !== 0;
      switch (this.kinds[i]) {
        case Dim.IP:
        case Dim.NET: {
          let a = src ? m.saddr : m.daddr;
          if (this.netmask !== 32) a = (a & prefixMask(this.netmask)) >>> 0;
          // hash_ip4_kadt: an address that is 0 (after the netmask) cannot be stored or tested
          if (a === 0 && this.hashIp) return false;
          k[i] = a;
          break;
        }
        case Dim.PORT: {
          const p = portKey(m, src);
          if (p < 0) return false;
          k[i] = p;
          break;
        }
        case Dim.PORT_ANY: {
          // ip_set_get_ip_port: TCP and UDP only
          const p = portKey(m, src);
          if (p < 0 || ((p >>> 16) !== 6 && (p >>> 16) !== 17)) return false;
          k[i] = p & 0xffff;
          break;
        }
        default:
          k[i] = (skb.mark & this.markMask) >>> 0;
      }
    }
    return true;
  }

  // HOT
  test(skb: Skb, srcFlags: number, returnNomatch: boolean): boolean {
    if (!this.keys(skb, srcFlags)) return false;
    const d = this.dimensions;
    const k = this.key;
    const now = this.timeout >= 0 ? jiffiesAt(skb.nowNs, this.hz) : 0;
    let best = -1;
    let bestNomatch = 0;
    for (let e = 0; e < this.count; e++) {
      if (this.deadline[e]! < now) continue; // ip_set_timeout_expired: time_after(jiffies, deadline)
      let ok = true;
      for (let i = 0; i < d; i++) {
        const v = k[i]!;
        if (v < this.lo[e * d + i]! || v > this.hi[e * d + i]!) {
          ok = false;
          break;
        }
      }
      if (ok && this.spec[e]! > best) {
        best = this.spec[e]!;
        bestNomatch = this.nomatch[e]!;
      }
    }
    if (best < 0) return false;
    // IPSET_FLAG_RETURN_NOMATCH on a type with IPSET_TYPE_NOMATCH: ret > 0 and -ENOTEMPTY trade places
    return (bestNomatch === 0) !== (returnNomatch && this.hasNomatch);
  }

  /**
   * The kadt IPSET_ADD path and mtype_add: an element already in is left alone (EXIST) unless `exist`, which
   * restarts its timeout and clears nomatch (mtype_data_set_flags); a full hash set refuses (forceadd: the
   * oldest element makes room). HOT; the arrays only grow when full.
   */
  kadd(skb: Skb, srcFlags: number, dims: number, timeout: number, exist: boolean): number {
    const r = this.prepare(skb, srcFlags, dims);
    if (r !== AdtResult.OK) return r;
    const now = jiffiesAt(skb.nowNs, this.hz);
    const t = timeout === IPSET_NO_TIMEOUT ? this.timeout : timeout;
    const e = this.find();
    if (e >= 0) {
      if (!exist) return AdtResult.EXIST;
      this.deadline[e] = this.deadlineFor(t, now);
      this.nomatch[e] = 0;
      return AdtResult.OK;
    }
    if (!this.bitmap && this.count >= this.maxelem) {
      if (!this.forceadd) return AdtResult.FULL;
      this.remove(0);
    }
    this.insert(this.eLo, this.eHi, this.eCidr, false, this.deadlineFor(t, now));
    return AdtResult.OK;
  }

  /** The kadt IPSET_DEL path and mtype_del: the packet's element goes, or EXIST when it is not in. HOT. */
  kdel(skb: Skb, srcFlags: number, dims: number): number {
    const r = this.prepare(skb, srcFlags, dims);
    if (r !== AdtResult.OK) return r;
    const e = this.find();
    if (e < 0) return AdtResult.EXIST;
    this.remove(e);
    return AdtResult.OK;
  }

  /**
   * ip_set_add/ip_set_del's checks and the kadt element: the dimension count, the packet's fields, a bitmap's
   * range; expired elements are dropped first (as if garbage-collected at once); then the element into
   * eLo/eHi/eCidr. A net dimension takes the longest prefix the set holds in that dimension, or the host
   * prefix when it holds none (INIT_CIDR(h->nets[0].cidr[n], HOST_MASK)). HOT.
   */
  private prepare(skb: Skb, srcFlags: number, dims: number): number {
    if (dims < this.dimensions) return AdtResult.TYPE_MISMATCH;
    if (!this.keys(skb, srcFlags)) return AdtResult.INVALID;
    const k = this.key;
    if (this.bitmap && (k[0]! < this.first || k[0]! > this.last)) return AdtResult.RANGE;
    if (this.timeout >= 0) this.purge(jiffiesAt(skb.nowNs, this.hz));
    const d = this.dimensions;
    for (let i = 0; i < d; i++) {
      const kind = this.kinds[i];
      if (kind === Dim.NET) {
        let len = 0;
        for (let e = 0; e < this.count; e++) if (this.cidr[e * d + i]! > len) len = this.cidr[e * d + i]!;
        if (len === 0) len = 32;
        const mask = prefixMask(len);
        this.eLo[i] = (k[i]! & mask) >>> 0;
        this.eHi[i] = (this.eLo[i]! | ~mask) >>> 0;
        this.eCidr[i] = len;
      } else if (kind === Dim.IP) {
        this.eLo[i] = k[i]!;
        this.eHi[i] = (k[i]! | ~prefixMask(this.netmask)) >>> 0;
        this.eCidr[i] = this.netmask;
      } else {
        this.eLo[i] = this.eHi[i] = k[i]!;
        this.eCidr[i] = 0;
      }
    }
    return AdtResult.OK;
  }

  /** The index of the element equal to eLo/eHi (mtype_data_equal), or -1. HOT. */
  private find(): number {
    const d = this.dimensions;
    for (let e = 0; e < this.count; e++) {
      let i = 0;
      while (i < d && this.lo[e * d + i] === this.eLo[i] && this.hi[e * d + i] === this.eHi[i]) i++;
      if (i === d) return e;
    }
    return -1;
  }

  /** Drop the elements expired at `now`, keeping the order of the rest. HOT. */
  private purge(now: number): void {
    for (let e = this.count - 1; e >= 0; e--) if (this.deadline[e]! < now) this.remove(e);
  }

  /** Remove element `e`, keeping the order of the others. HOT. */
  private remove(e: number): void {
    const d = this.dimensions;
    const n = this.count;
    this.lo.copyWithin(e * d, (e + 1) * d, n * d);
    this.hi.copyWithin(e * d, (e + 1) * d, n * d);
    this.cidr.copyWithin(e * d, (e + 1) * d, n * d);
    this.spec.copyWithin(e, e + 1, n);
    this.nomatch.copyWithin(e, e + 1, n);
    this.deadline.copyWithin(e, e + 1, n);
    this.count = n - 1;
  }
}
