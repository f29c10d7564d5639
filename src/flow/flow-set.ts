// Counting distinct flows in bounded memory: canonical bidirectional flow keys in open-addressing
// typed-array hash sets (exact), up to a cap; beyond it the sets are dropped and the count comes from a
// HyperLogLog sketch (2^14 registers, ~0.8% standard error) that has seen every key from the start.

import { be32 } from '../util/bytes.js';
import { hashWord, mix32 } from '../util/hash.js';
import { icmpHasId, isIcmpError } from '../wire/icmp.js';
import { Icmp6Type } from '../wire/constants.js';
import { IpProto, L3, type PacketMeta } from '../decode/meta.js';
import { protoHasPorts } from './hash.js';

/** Words per key: IPv4 (a, b, ports, kind) and IPv6 (a0..a3, b0..b3, ports, kind). */
const V4_WORDS = 4;
const V6_WORDS = 10;
const HLL_BITS = 14;
const HLL_M = 1 << HLL_BITS;
const INITIAL_SLOTS = 1024;
const SEED_A = 0x9e3779b9;
const SEED_B = 0x7f4a7c15;

/** The result of counting: `exact` false means `flows` is a HyperLogLog estimate. */
export interface FlowCount {
  flows: number;
  exact: boolean;
  /** Distinct flows kept exactly before switching to the estimate. */
  cap: number;
}

/**
 * Distinct bidirectional flows: TCP/UDP/SCTP/UDP-Lite by addresses and ports, ICMP/ICMPv6 echo and
 * timestamp by addresses and identifier, other IP protocols by addresses and protocol. ICMP errors belong
 * to the flow they quote, and packets whose transport header is missing (non-first fragments, truncated
 * headers) to a flow seen elsewhere: neither is counted. Non-IP frames are not flows.
 */
export class FlowSet {
  readonly cap: number;
  private exact: boolean;
  private size: number;
  private v4: Int32Array;
  private v4Slots: number;
  private v4Count: number;
  private v6: Int32Array;
  private v6Slots: number;
  private v6Count: number;
  private readonly key: Int32Array;
  private readonly hll: Uint8Array;

  /** Exact up to `cap` distinct flows (default 2^19; memory up to ~16 MB for IPv4, ~40 MB for IPv6 keys). */
  constructor(cap = 1 << 19) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`FlowSet cap must be a positive integer, got ${cap}`);
    this.cap = cap;
    this.exact = true;
    this.size = 0;
    this.v4Slots = INITIAL_SLOTS;
    this.v4 = new Int32Array(INITIAL_SLOTS * V4_WORDS);
    this.v4Count = 0;
    this.v6Slots = INITIAL_SLOTS;
    this.v6 = new Int32Array(INITIAL_SLOTS * V6_WORDS);
    this.v6Count = 0;
    this.key = new Int32Array(V6_WORDS);
    this.hll = new Uint8Array(HLL_M);
  }

  /** Add the flow of a decoded packet (ignored when it has none). HOT. */
  add(m: PacketMeta): void {
    const words = this.buildKey(m);
    if (words === 0) return;
    const k = this.key;
    let h1 = SEED_A;
    let h2 = SEED_B;
    for (let i = 0; i < words; i++) {
      h1 = hashWord(h1, k[i]!);
      h2 = hashWord(h2, k[i]!);
    }
    h1 = mix32(h1 ^ words);
    h2 = mix32(h2 ^ words);
    const reg = h1 >>> (32 - HLL_BITS);
    const rank = Math.clz32(h2) + 1;
    if (rank > this.hll[reg]!) this.hll[reg] = rank;
    if (!this.exact) return;
    const added = words === V4_WORDS ? this.insertV4(h1) : this.insertV6(h1);
    if (added && ++this.size > this.cap) this.dropExact();
  }

  /** The number of distinct flows seen. */
  count(): FlowCount {
    return { flows: this.exact ? this.size : this.estimate(), exact: this.exact, cap: this.cap };
  }

  /** The canonical key of `m` in this.key; returns its length in words, 0 when the packet has no flow. HOT. */
  private buildKey(m: PacketMeta): number {
    const k = this.key;
    const proto = m.ipProto;
    let pa = 0;
    let pb = 0;
    if (protoHasPorts(proto)) {
      if (m.l4Off < 0) return 0;
      pa = m.sport;
      pb = m.dport;
    } else if (proto === IpProto.ICMP || proto === IpProto.ICMPV6) {
      if (m.l4Off < 0) return 0;
      const t = m.icmpType;
      if (proto === IpProto.ICMP ? isIcmpError(t) : t < 128) return 0;
      if (proto === IpProto.ICMP ? icmpHasId(t) : t === Icmp6Type.ECHO_REQUEST || t === Icmp6Type.ECHO_REPLY) pa = pb = m.icmpId;
    }
    if (m.l3 === L3.IPV4 && m.ipHdrLen !== 0) {
      const a = m.saddr;
      const b = m.daddr;
      const swap = a > b || (a === b && pa > pb);
      k[0] = swap ? b : a;
      k[1] = swap ? a : b;
      k[2] = swap ? (pb << 16) | pa : (pa << 16) | pb;
      k[3] = proto | 0x400;
      return V4_WORDS;
    }
    if (m.l3 === L3.IPV6 && m.ipHdrLen !== 0) {
      const d = m.data;
      const s = m.l3Off + 8;
      const t = m.l3Off + 24;
      let cmp = 0;
      for (let i = 0; i < 16 && cmp === 0; i += 4) {
        const x = be32(d, s + i);
        const y = be32(d, t + i);
        if (x !== y) cmp = x < y ? -1 : 1;
      }
      const swap = cmp > 0 || (cmp === 0 && pa > pb);
      const first = swap ? t : s;
      const second = swap ? s : t;
      for (let i = 0; i < 4; i++) {
        k[i] = be32(d, first + 4 * i);
        k[4 + i] = be32(d, second + 4 * i);
      }
      k[8] = swap ? (pb << 16) | pa : (pa << 16) | pb;
      k[9] = proto | 0x600;
      return V6_WORDS;
    }
    return 0;
  }

  private insertV4(h: number): boolean {
    if (this.v4Count * 2 >= this.v4Slots) this.v4 = this.grow(this.v4, V4_WORDS, (this.v4Slots *= 2));
    if (!insert(this.v4, this.v4Slots, V4_WORDS, this.key, h)) return false;
    this.v4Count++;
    return true;
  }

  private insertV6(h: number): boolean {
    if (this.v6Count * 2 >= this.v6Slots) this.v6 = this.grow(this.v6, V6_WORDS, (this.v6Slots *= 2));
    if (!insert(this.v6, this.v6Slots, V6_WORDS, this.key, h)) return false;
    this.v6Count++;
    return true;
  }

  /** Rehash `table` into `slots` slots (keys are re-hashed from their words). */
  private grow(table: Int32Array, words: number, slots: number): Int32Array {
    const next = new Int32Array(slots * words);
    const old = table.length / words;
    const tmp = new Int32Array(words);
    for (let i = 0; i < old; i++) {
      const base = i * words;
      if (table[base + words - 1] === 0) continue;
      let h = SEED_A;
      for (let w = 0; w < words; w++) {
        tmp[w] = table[base + w]!;
        h = hashWord(h, tmp[w]!);
      }
      insert(next, slots, words, tmp, mix32(h ^ words));
    }
    return next;
  }

  private dropExact(): void {
    this.exact = false;
    this.v4 = new Int32Array(0);
    this.v6 = new Int32Array(0);
    this.v4Slots = 0;
    this.v6Slots = 0;
  }

  /** HyperLogLog estimate with the small-range (linear counting) correction. */
  private estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < HLL_M; i++) {
      const r = this.hll[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / HLL_M);
    const e = (alpha * HLL_M * HLL_M) / sum;
    if (e <= 2.5 * HLL_M && zeros > 0) return Math.round(HLL_M * Math.log(HLL_M / zeros));
    return Math.round(e);
  }
}

/** Linear-probing insert of `key` (its last word is never 0: it carries the family); false if present. HOT. */
function insert(table: Int32Array, slots: number, words: number, key: Int32Array, h: number): boolean {
  const mask = slots - 1;
  let i = h & mask;
  for (;;) {
    const base = i * words;
    if (table[base + words - 1] === 0) {
      for (let w = 0; w < words; w++) table[base + w] = key[w]!;
      return true;
    }
    let same = true;
    for (let w = 0; w < words; w++) {
      if (table[base + w] !== key[w]) {
        same = false;
        break;
      }
    }
    if (same) return false;
    i = (i + 1) & mask;
  }
}
