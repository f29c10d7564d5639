// One `-m hashlimit` hash table (struct xt_hashlimit_htable of net/netfilter/xt_hashlimit.c): the entries
// (struct dsthash_ent) keyed by masked addresses and ports, created full on a packet's first hit and freed
// by the garbage collector (htable_gc) once expired. The table keeps the configuration of the rule that
// created it (htable_create copies that rule's cfg); every later rule with the same name and family shares
// it as it is (htable_find_get).
//
// Storage is typed arrays: a chained hash index over slots, each slot holding its key, rateinfo.prev,
// expires and the 8 u32 words of the rateinfo union (hashlimit-rateinfo.ts). Slots grow by doubling up to
// the table's max, so memory follows the live entry count; no packet allocates otherwise.

import { msecsToJiffies } from './hashlimit-credits.js';
import { RateinfoMath } from './hashlimit-rateinfo.js';

/** struct hashlimit_cfg3 as the table holds it (after the checkentry's HASHLIMIT_MAX_SIZE truncation). */
export interface HashlimitConfig {
  mode: number;
  avg: bigint;
  burst: bigint;
  size: number;
  max: number;
  gcInterval: number;
  expire: number;
  interval: number;
  srcmask: number;
  dstmask: number;
}

/** HASHLIMIT_MAX_SIZE: hashlimit_mt_check_common truncates --hashlimit-htable-size and -max to it. */
export const HASHLIMIT_MAX_SIZE = 1048576;

/**
 * htable_create's bucket count when --hashlimit-htable-size is 0: (RAM / 16384) / sizeof(hlist_head),
 * 8192 above 1 GiB of RAM. The host's memory is not known from a capture; a host above 1 GiB is assumed.
 */
export const DEFAULT_HTABLE_SIZE = 8192;

/** u32 words of one entry's rateinfo union. */
export const RATEINFO_WORDS = 8;

const INITIAL_SLOTS = 256;

/** maskl(): the top `len` bits of an IPv4 address (0 for a zero length). */
function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export class HashlimitTable {
  /** Kernel HZ of the load that created the table. */
  readonly hz: number;
  readonly cfg: HashlimitConfig;
  /** cfg.max as htable_create settles it: 8 * size when 0, at least size. */
  readonly maxEntries: number;
  /** msecs_to_jiffies(cfg.expire) and msecs_to_jiffies(cfg.gc_interval). */
  readonly expireJiffies: number;
  readonly gcJiffies: number;
  readonly srcMask: number;
  readonly dstMask: number;
  /** rateinfo_init / rateinfo_recalc with this table's configuration. */
  readonly rate: RateinfoMath;

  /** Number of entries (ht->count: expired ones count until the collector frees them). */
  count = 0;
  /** Jiffy of the collector's next run (it runs every gcJiffies from the load, jiffy 0). */
  nextGc: number;

  /** The key the last hashlimit_init_dst() built: masked addresses and sport << 16 | dport. */
  keySrc = 0;
  keyDst = 0;
  keyPorts = 0;

  /** Per slot: key, chain link (also the free list), rateinfo.prev, expires, rateinfo words. */
  src: Uint32Array;
  dst: Uint32Array;
  ports: Uint32Array;
  next: Int32Array;
  prev: Float64Array;
  expires: Float64Array;
  words: Uint32Array;
  /** Chain heads of the index (a power of two at least the slot count). */
  heads: Int32Array;
  private freeHead: number;

  constructor(cfg: HashlimitConfig, hz: number) {
    this.hz = hz;
    this.cfg = cfg;
    const size = cfg.size !== 0 ? cfg.size : DEFAULT_HTABLE_SIZE;
    this.maxEntries = cfg.max === 0 ? 8 * size : cfg.max < size ? size : cfg.max;
    this.expireJiffies = msecsToJiffies(cfg.expire, hz);
    this.gcJiffies = msecsToJiffies(cfg.gcInterval, hz);
    this.nextGc = this.gcJiffies;
    this.srcMask = prefixMask(cfg.srcmask);
    this.dstMask = prefixMask(cfg.dstmask);
    this.rate = new RateinfoMath(cfg, hz);
    const n = Math.min(INITIAL_SLOTS, this.maxEntries);
    this.src = new Uint32Array(n);
    this.dst = new Uint32Array(n);
    this.ports = new Uint32Array(n);
    this.next = new Int32Array(n);
    this.prev = new Float64Array(n);
    this.expires = new Float64Array(n);
    this.words = new Uint32Array(n * RATEINFO_WORDS);
    this.heads = new Int32Array(headCount(n)).fill(-1);
    this.freeHead = -1;
    this.linkFree(0, n);
  }

  /** The table's mode has `bit` (XT_HASHLIMIT_*). */
  has(bit: number): boolean {
    return (this.cfg.mode & bit) !== 0;
  }

  /**
   * HOT: htable_gc for every collector run due by jiffy `now` (runs at whole multiples of the interval from
   * the load; a run due at a packet's jiffy goes first, as a timer fires at the tick): free the entries
   * expired at the last one. The kernel's work is deferrable and may run late on an idle CPU; not modelled.
   */
  collect(now: number): void {
    if (now < this.nextGc) return;
    // Runs between packets free supersets of one another, so the last run due stands for all of them.
    const run = Math.floor(now / this.gcJiffies) * this.gcJiffies;
    this.nextGc = run + this.gcJiffies;
    const heads = this.heads;
    for (let b = 0; b < heads.length; b++) {
      let prevSlot = -1;
      let e = heads[b]!;
      while (e >= 0) {
        const after = this.next[e]!;
        // select_gc: time_after_eq(jiffies, he->expires)
        if (run >= this.expires[e]!) {
          if (prevSlot < 0) heads[b] = after;
          else this.next[prevSlot] = after;
          this.next[e] = this.freeHead;
          this.freeHead = e;
          this.count--;
        } else {
          prevSlot = e;
        }
        e = after;
      }
    }
  }

  /** HOT: dsthash_find for the current key; the slot or -1. */
  find(): number {
    const s = this.keySrc;
    const d = this.keyDst;
    const p = this.keyPorts;
    for (let e = this.heads[bucketOf(s, d, p, this.heads.length)]!; e >= 0; e = this.next[e]!) {
      if (this.src[e] === s && this.dst[e] === d && this.ports[e] === p) return e;
    }
    return -1;
  }

  /**
   * HOT: dsthash_alloc_init for the current key: a new slot in the index, or -1 when the table already holds
   * cfg.max entries (the kernel logs "max count of %u reached" and hashlimit_mt_common hot-drops).
   */
  alloc(): number {
    if (this.count >= this.maxEntries) return -1;
    if (this.freeHead < 0) this.grow();
    const e = this.freeHead;
    this.freeHead = this.next[e]!;
    this.src[e] = this.keySrc;
    this.dst[e] = this.keyDst;
    this.ports[e] = this.keyPorts;
    const b = bucketOf(this.keySrc, this.keyDst, this.keyPorts, this.heads.length);
    this.next[e] = this.heads[b]!;
    this.heads[b] = e;
    this.count++;
    return e;
  }

  /** Double the slots (up to max) and rebuild the index; runs only when the live entries outgrow them. */
  private grow(): void {
    const old = this.src.length;
    const n = Math.min(old * 2, this.maxEntries);
    const widen = <T extends Uint32Array | Int32Array | Float64Array>(a: T, make: (len: number) => T, per = 1): T => {
      const b = make(n * per);
      b.set(a);
      return b;
    };
    this.src = widen(this.src, (l) => new Uint32Array(l));
    this.dst = widen(this.dst, (l) => new Uint32Array(l));
    this.ports = widen(this.ports, (l) => new Uint32Array(l));
    this.next = widen(this.next, (l) => new Int32Array(l));
    this.prev = widen(this.prev, (l) => new Float64Array(l));
    this.expires = widen(this.expires, (l) => new Float64Array(l));
    this.words = widen(this.words, (l) => new Uint32Array(l), RATEINFO_WORDS);
    const heads = new Int32Array(headCount(n)).fill(-1);
    // every old slot is live (the free list was empty): re-chain them all
    for (let e = 0; e < old; e++) {
      const b = bucketOf(this.src[e]!, this.dst[e]!, this.ports[e]!, heads.length);
      this.next[e] = heads[b]!;
      heads[b] = e;
    }
    this.heads = heads;
    this.linkFree(old, n);
  }

  private linkFree(from: number, to: number): void {
    for (let e = to - 1; e >= from; e--) {
      this.next[e] = this.freeHead;
      this.freeHead = e;
    }
  }
}

/** Chain heads for `slots` slots: the power of two at or above it. */
function headCount(slots: number): number {
  let n = 1;
  while (n < slots) n *= 2;
  return n;
}

/** HOT: index bucket of a key (any fixed mix: the kernel's jhash seed is random, only membership matters). */
function bucketOf(src: number, dst: number, ports: number, heads: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ports, 0x27d4eb2f);
  return (h ^ (h >>> 15)) & (heads - 1);
}
