// The conntrack hash table in one SharedArrayBuffer: fixed-size records (layout.ts), bucket chains for both
// tuples of every entry (the kernel's nf_conntrack_hash with hlist_nulls chains), the NAT by-source chains,
// a record free list, a ring of saved older versions and a ring of killed records waiting to be unlinked.
// Pushes onto chains and lists use Atomics.compareExchange; unlinks take a striped bucket lock.

import { Prng } from '../../util/prng.js';
import {
  F_STRIDE,
  R_BYSRC_IN,
  R_BYSRC_NEXT,
  R_FREE_NEXT,
  R_GEN,
  R_HASHED,
  R_NEXT_O,
  R_NEXT_R,
  R_OSPORT,
  R_OSRC,
  R_PROTO,
  R_STATE,
  R_STRIDE,
  R_ZONE,
  RecState,
  V_STRIDE,
  VF_STRIDE,
  encodeLink,
} from './layout.js';
import { bySourceKey, hashTuple, reciprocalScale, zoneIdFor } from './tuple.js';

/** Header words (Int32) at the start of the buffer. */
const H_HWM = 0; // records ever handed out by the bump allocator
const H_FREE = 1; // free-list head (index + 1)
const H_COUNT = 2; // allocated and not dying (nf_conntrack_count)
const H_HIST_HEAD = 3; // oldest live history slot
const H_HIST_TAIL = 4; // next history slot to hand out
const H_HIST_SEQ = 5; // history sequence counter
const H_ZOMBIE_HEAD = 6;
const H_ZOMBIE_TAIL = 7;
const H_GC_CURSOR = 8;
const H_HIST_OVERFLOW = 9;
const HEADER_WORDS = 16;
const LOCKS = 1024;

/** Extra records beyond nf_conntrack_max: killed entries wait in the zombie ring for at most one service time. */
function slackFor(cpus: number): number {
  return 256 + 64 * cpus;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

export class CtTable {
  readonly cap: number;
  /** History slots (0 with one CPU: nobody can see an older version). */
  readonly histSlots: number;
  /** Two scratch version slots (BASE, WORK) after the history slots, for tracking on a private copy. */
  readonly scratch: number;
  readonly buckets: number;
  readonly seed: number;
  readonly sab: SharedArrayBuffer;
  readonly hdr: Int32Array;
  /** Hash chain heads (encoded links, 0 = empty) and by-source chain heads (index + 1). */
  readonly heads: Int32Array;
  readonly bysrc: Int32Array;
  readonly locks: Int32Array;
  readonly R: Int32Array;
  readonly F: Float64Array;
  readonly V: Int32Array;
  readonly VF: Float64Array;
  readonly zombies: Int32Array;
  /** Random chain-length limits (MIN_CHAINLEN + get_random_u32_below(MAX_CHAINLEN)). */
  readonly chainRng: Prng;

  constructor(max: number, buckets: number, cpus: number, seed: number) {
    this.cap = max + slackFor(cpus);
    this.histSlots = cpus > 1 ? 256 * cpus : 0;
    this.buckets = buckets;
    this.seed = seed;
    this.scratch = this.cap + this.histSlots;
    const versions = this.cap + this.histSlots + 2;
    let off = 0;
    const offHdr = off;
    off += HEADER_WORDS * 4;
    const offHeads = off;
    off += buckets * 4;
    const offBysrc = off;
    off += buckets * 4;
    const offLocks = off;
    off += LOCKS * 4;
    const offZombies = off;
    off += this.cap * 4;
    const offR = off;
    off += this.cap * R_STRIDE * 4;
    const offV = off;
    off += versions * V_STRIDE * 4;
    off = align8(off);
    const offF = off;
    off += this.cap * F_STRIDE * 8;
    const offVF = off;
    off += versions * VF_STRIDE * 8;
    // zero-filled and lazily committed by the OS: untouched records cost no memory
    this.sab = new SharedArrayBuffer(off);
    this.hdr = new Int32Array(this.sab, offHdr, HEADER_WORDS);
    this.heads = new Int32Array(this.sab, offHeads, buckets);
    this.bysrc = new Int32Array(this.sab, offBysrc, buckets);
    this.locks = new Int32Array(this.sab, offLocks, LOCKS);
    this.zombies = new Int32Array(this.sab, offZombies, this.cap);
    this.R = new Int32Array(this.sab, offR, this.cap * R_STRIDE);
    this.V = new Int32Array(this.sab, offV, versions * V_STRIDE);
    this.F = new Float64Array(this.sab, offF, this.cap * F_STRIDE);
    this.VF = new Float64Array(this.sab, offVF, versions * VF_STRIDE);
    this.chainRng = new Prng(seed, 0x63746c6e);
  }

  // --- allocation ------------------------------------------------------------------------------------

  /** Take a free record (free list first, then never-used ones); -1 when the capacity is exhausted. HOT. */
  alloc(): number {
    const hdr = this.hdr;
    for (;;) {
      const head = Atomics.load(hdr, H_FREE);
      if (head === 0) break;
      const next = this.R[(head - 1) * R_STRIDE + R_FREE_NEXT]!;
      if (Atomics.compareExchange(hdr, H_FREE, head, next) === head) return this.initRecord(head - 1);
    }
    const idx = Atomics.add(hdr, H_HWM, 1);
    if (idx >= this.cap) {
      Atomics.sub(hdr, H_HWM, 1);
      return -1;
    }
    return this.initRecord(idx);
  }

  private initRecord(idx: number): number {
    const R = this.R;
    const b = idx * R_STRIDE;
    const gen = R[b + R_GEN]! + 1;
    R.fill(0, b, b + R_STRIDE);
    R[b + R_GEN] = gen;
    this.F.fill(0, idx * F_STRIDE, (idx + 1) * F_STRIDE);
    this.V.fill(0, idx * V_STRIDE, (idx + 1) * V_STRIDE);
    this.VF.fill(0, idx * VF_STRIDE, (idx + 1) * VF_STRIDE);
    Atomics.add(this.hdr, H_COUNT, 1);
    return idx;
  }

  /** Return a record to the free list. The caller has unlinked it. HOT. */
  free(idx: number, counted: boolean): void {
    const R = this.R;
    R[idx * R_STRIDE + R_STATE] = RecState.FREE;
    if (counted) Atomics.sub(this.hdr, H_COUNT, 1);
    for (;;) {
      const head = Atomics.load(this.hdr, H_FREE);
      R[idx * R_STRIDE + R_FREE_NEXT] = head;
      if (Atomics.compareExchange(this.hdr, H_FREE, head, idx + 1) === head) return;
    }
  }

  /** Allocated, not dying entries. */
  count(): number {
    return Atomics.load(this.hdr, H_COUNT);
  }

  /** An entry starts dying: it no longer counts against nf_conntrack_max. */
  uncount(): void {
    Atomics.sub(this.hdr, H_COUNT, 1);
  }

  /** Records ever handed out (upper bound for scans). */
  highWater(): number {
    return Math.min(Atomics.load(this.hdr, H_HWM), this.cap);
  }

  // --- hash chains -----------------------------------------------------------------------------------

  /** Bucket of a tuple in zone id `zid` (hash_conntrack; the default zone hashes as before zones). HOT. */
  bucketOf(src: number, dst: number, sport: number, dport: number, proto: number, zid: number): number {
    return reciprocalScale(hashTuple(this.seed, src, dst, sport, dport, proto | (zid << 8)), this.buckets);
  }

  /** Bucket of entry `idx`'s tuple in direction `dir`. HOT. */
  bucketOfEntry(idx: number, dir: number): number {
    const R = this.R;
    const b = idx * R_STRIDE + R_OSRC + dir * 4;
    return this.bucketOf(R[b]! >>> 0, R[b + 1]! >>> 0, R[b + 2]!, R[b + 3]!, R[idx * R_STRIDE + R_PROTO]!, zoneIdFor(R[idx * R_STRIDE + R_ZONE]!, dir));
  }

  /** hlist_nulls_add_head_rcu: push entry `idx` (direction `dir`) onto its bucket with CAS. HOT. */
  linkInsert(idx: number, dir: number): void {
    const bucket = this.bucketOfEntry(idx, dir);
    const link = encodeLink(idx, dir);
    const nextAt = idx * R_STRIDE + (dir === 0 ? R_NEXT_O : R_NEXT_R);
    const heads = this.heads;
    for (;;) {
      const old = Atomics.load(heads, bucket);
      this.R[nextAt] = old;
      if (Atomics.compareExchange(heads, bucket, old, link) === old) break;
    }
    this.R[idx * R_STRIDE + R_HASHED] |= 1 << dir;
  }

  /** hlist_nulls_del_rcu under the bucket lock. The removed node keeps its next link for concurrent readers. */
  linkRemove(idx: number, dir: number): void {
    const R = this.R;
    if ((R[idx * R_STRIDE + R_HASHED]! & (1 << dir)) === 0) return;
    const bucket = this.bucketOfEntry(idx, dir);
    const link = encodeLink(idx, dir);
    const next = R[idx * R_STRIDE + (dir === 0 ? R_NEXT_O : R_NEXT_R)]!;
    const heads = this.heads;
    this.lock(bucket);
    for (;;) {
      let cur = Atomics.load(heads, bucket);
      if (cur === link) {
        if (Atomics.compareExchange(heads, bucket, link, next) === link) break;
        continue; // a concurrent push moved the head: walk again
      }
      let found = false;
      while (cur !== 0) {
        const ci = (cur - 1) >> 1;
        const at = ci * R_STRIDE + (((cur - 1) & 1) === 0 ? R_NEXT_O : R_NEXT_R);
        const nx = R[at]!;
        if (nx === link) {
          R[at] = next;
          found = true;
          break;
        }
        cur = nx;
      }
      if (found || cur === 0) break;
    }
    this.unlock(bucket);
    R[idx * R_STRIDE + R_HASHED] &= ~(1 << dir);
  }

  private lock(bucket: number): void {
    const i = bucket % LOCKS;
    while (Atomics.compareExchange(this.locks, i, 0, 1) !== 0) {
      // contended only with real worker threads; a spin is enough for these short critical sections
    }
  }

  private unlock(bucket: number): void {
    Atomics.store(this.locks, bucket % LOCKS, 0);
  }

  /** A fresh limit for one chain walk: 50 + random below 30 (MIN_CHAINLEN, MAX_CHAINLEN). */
  drawChainLimit(): number {
    return 50 + this.chainRng.below(30);
  }

  // --- NAT by-source chains ----------------------------------------------------------------------------

  /**
   * Bucket of the by-source key (hash_by_src over the ORIGINAL source, the protocol and the zone id):
   * `protoKey` is proto | zone id << 8. HOT.
   */
  bySrcBucket(src: number, sport: number, protoKey: number): number {
    return reciprocalScale(hashTuple(this.seed ^ 0x5bd1e995, src, 0, sport, 0, protoKey), this.buckets);
  }

  /** Push entry `idx` on its by-source chain (idempotent). */
  bySrcInsert(idx: number): void {
    const R = this.R;
    const b = idx * R_STRIDE;
    if (R[b + R_BYSRC_IN] !== 0) return;
    const bucket = this.bySrcBucket(R[b + R_OSRC]! >>> 0, R[b + R_OSPORT]!, bySourceKey(R[b + R_PROTO]!, R[b + R_ZONE]!));
    for (;;) {
      const old = Atomics.load(this.bysrc, bucket);
      R[b + R_BYSRC_NEXT] = old;
      if (Atomics.compareExchange(this.bysrc, bucket, old, idx + 1) === old) break;
    }
    R[b + R_BYSRC_IN] = 1;
  }

  /** Remove entry `idx` from its by-source chain (nf_nat_cleanup_conntrack). */
  bySrcRemove(idx: number): void {
    const R = this.R;
    const b = idx * R_STRIDE;
    if (R[b + R_BYSRC_IN] === 0) return;
    const bucket = this.bySrcBucket(R[b + R_OSRC]! >>> 0, R[b + R_OSPORT]!, R[b + R_PROTO]!);
    const next = R[b + R_BYSRC_NEXT]!;
    const key = bucket + this.buckets; // separate lock stripe from the conntrack chains
    this.lock(key);
    for (;;) {
      let cur = Atomics.load(this.bysrc, bucket);
      if (cur === idx + 1) {
        if (Atomics.compareExchange(this.bysrc, bucket, idx + 1, next) === idx + 1) break;
        continue;
      }
      while (cur !== 0) {
        const at = (cur - 1) * R_STRIDE + R_BYSRC_NEXT;
        if (R[at] === idx + 1) {
          R[at] = next;
          break;
        }
        cur = R[at]!;
      }
      break;
    }
    this.unlock(key);
    R[b + R_BYSRC_IN] = 0;
  }

  // --- rings (history versions, killed records) --------------------------------------------------------

  headerWord(i: number): number {
    return this.hdr[i]!;
  }

  setHeaderWord(i: number, v: number): void {
    this.hdr[i] = v;
  }

  /** Append a killed record to the zombie ring. */
  zombiePush(idx: number): void {
    const tail = this.hdr[H_ZOMBIE_TAIL]!;
    this.zombies[tail] = idx;
    this.hdr[H_ZOMBIE_TAIL] = (tail + 1) % this.cap;
  }

  /** Oldest zombie, or -1. */
  zombiePeek(): number {
    const head = this.hdr[H_ZOMBIE_HEAD]!;
    return head === this.hdr[H_ZOMBIE_TAIL] ? -1 : this.zombies[head]!;
  }

  zombiePop(): void {
    this.hdr[H_ZOMBIE_HEAD] = (this.hdr[H_ZOMBIE_HEAD]! + 1) % this.cap;
  }

  gcCursor(): number {
    return this.hdr[H_GC_CURSOR]!;
  }

  setGcCursor(v: number): void {
    this.hdr[H_GC_CURSOR] = v;
  }
}

/** Header word indices shared with versions.ts. */
export const HDR = { HIST_HEAD: H_HIST_HEAD, HIST_TAIL: H_HIST_TAIL, HIST_SEQ: H_HIST_SEQ, HIST_OVERFLOW: H_HIST_OVERFLOW } as const;

