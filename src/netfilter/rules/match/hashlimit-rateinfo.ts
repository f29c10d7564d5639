// The per-entry rate state of net/netfilter/xt_hashlimit.c (revision 3): rateinfo_init, rateinfo_recalc and
// hashlimit_byte_cost on the 8 u32 words of an entry's rateinfo union, exactly as the kernel lays it out:
//
//   words 0-1   u64 credit        | u32 interval, u32 prev_window
//   words 2-3   u64 credit_cap    | u64 current_rate
//   words 4-5   u64 cost          | u64 rate
//   words 6-7   (unused)          | s64 burst
//
// The token bucket (credit/cost) and --hashlimit-rate-match (current_rate/burst) share the memory, and the
// kernel picks the view from the table's mode in rateinfo_init/recalc but from the rule's own mode when it
// decides (hashlimit_mt_common): rules of different modes sharing one name read each other's fields, as here.
// Everything is u64 arithmetic with C wrap-around (u64-words.ts); constants are computed once at load.

import type { HashlimitTable } from './hashlimit-table.js';
import { HlMode } from './hashlimit-text.js';
import {
  BYTE_SHIFT,
  byteCreditCap,
  creditsPerJiffy64,
  creditsPerJiffyBytes,
  user2credits,
  user2creditsByte,
  user2rate,
  user2rateBytes,
} from './hashlimit-credits.js';
import type { HashlimitConfig } from './hashlimit-table.js';
import { add64, copy64, lt64, mul64, set64, setBig64, setInt64, sub64 } from './u64-words.js';

/** Word offsets of the rateinfo fields within an entry. */
export const Ri = {
  CREDIT: 0,
  INTERVAL: 0,
  PREV_WINDOW: 1,
  CREDIT_CAP: 2,
  CURRENT_RATE: 2,
  COST: 4,
  RATE: 4,
  BURST: 6,
} as const;

/** The load-time constants of one table and scratch words for the per-packet arithmetic. */
export class RateinfoMath {
  readonly hz: number;
  /** The table's mode: which view rateinfo_init and rateinfo_recalc use. */
  readonly rateMatch: boolean;
  readonly bytes: boolean;
  /** What rateinfo_init writes into a new entry: all 8 words for rate-match, the first 6 for the bucket. */
  readonly initWords = new Uint32Array(8);
  readonly initCount: number;
  private readonly initView: Uint32Array;
  /** CREDITS_PER_JIFFY (u64) and CREDITS_PER_JIFFY_BYTES (u32, as a u64). */
  readonly cpj = new Uint32Array(2);
  readonly cpjBytes = new Uint32Array(2);
  /** CREDITS_PER_JIFFY_BYTES * HZ: a full byte bucket and the cap of one packet's byte cost. */
  readonly byteCap = new Uint32Array(2);
  /** Scratch u64 registers. */
  readonly r = new Uint32Array(8);

  constructor(cfg: HashlimitConfig, hz: number) {
    this.hz = hz;
    this.rateMatch = (cfg.mode & HlMode.RATE_MATCH) !== 0;
    this.bytes = (cfg.mode & HlMode.BYTES) !== 0;
    setBig64(this.cpj, 0, creditsPerJiffy64(hz));
    set64(this.cpjBytes, 0, 0, creditsPerJiffyBytes(hz));
    set64(this.byteCap, 0, 0, byteCreditCap(hz));
    const w = this.initWords;
    if (this.rateMatch) {
      // interval, prev_window = 0, current_rate = 0, rate, burst
      const rate = this.bytes ? user2rateBytes(cfg.avg) : user2rate(cfg.avg);
      const burst = this.bytes ? (cfg.burst !== 0n ? cfg.burst * rate : rate) : cfg.burst + rate;
      set64(w, Ri.INTERVAL, 0, cfg.interval >>> 0);
      setBig64(w, Ri.CURRENT_RATE, 0n);
      setBig64(w, Ri.RATE, rate);
      setBig64(w, Ri.BURST, burst);
      this.initCount = 8;
    } else if (this.bytes) {
      setBig64(w, Ri.CREDIT, BigInt(byteCreditCap(hz)));
      setBig64(w, Ri.COST, BigInt(user2creditsByte(cfg.avg, hz)));
      setBig64(w, Ri.CREDIT_CAP, cfg.burst);
      this.initCount = 6;
    } else {
      const credit = user2credits(BigInt.asUintN(64, cfg.avg * cfg.burst), hz);
      setBig64(w, Ri.CREDIT, credit);
      setBig64(w, Ri.COST, user2credits(cfg.avg, hz));
      setBig64(w, Ri.CREDIT_CAP, credit);
      this.initCount = 6;
    }
    this.initView = w.subarray(0, this.initCount);
  }

  /** HOT: rateinfo_init: the entry starts at jiffy `now` with a full bucket (or an empty rate window). */
  init(t: HashlimitTable, e: number, now: number): void {
    t.prev[e] = now;
    t.words.set(this.initView, e * 8);
  }

  /** HOT: rateinfo_recalc: refill the bucket for the jiffies since rateinfo.prev, or close a rate window. */
  recalc(t: HashlimitTable, e: number, now: number): void {
    const d = now - t.prev[e]!;
    if (d === 0) return;
    const w = t.words;
    const b = e * 8;
    const r = this.r;
    // unsigned long delta = now - dh->rateinfo.prev
    setInt64(r, 0, d);
    if (this.rateMatch) {
      // u64 interval = dh->rateinfo.interval * HZ, multiplied as unsigned int
      set64(r, 2, 0, Math.imul(w[b + Ri.INTERVAL]!, this.hz) >>> 0);
      if (lt64(r, 0, r, 2)) return;
      t.prev[e] = now;
      // prev_window = current_rate * interval > delta * rate
      mul64(r, 2, w, b + Ri.CURRENT_RATE, r, 2);
      mul64(r, 4, r, 0, w, b + Ri.RATE);
      w[b + Ri.PREV_WINDOW] = lt64(r, 4, r, 2) ? 1 : 0;
      set64(w, b + Ri.CURRENT_RATE, 0, 0);
      return;
    }
    t.prev[e] = now;
    let cap: Uint32Array;
    let capAt: number;
    if (this.bytes) {
      copy64(r, 2, w, b + Ri.CREDIT);
      mul64(r, 4, this.cpjBytes, 0, r, 0);
      add64(w, b + Ri.CREDIT, w, b + Ri.CREDIT, r, 4);
      // overflow: tmp >= credit
      if (!lt64(r, 2, w, b + Ri.CREDIT)) {
        copy64(w, b + Ri.CREDIT, this.byteCap, 0);
        return;
      }
      cap = this.byteCap;
      capAt = 0;
    } else {
      mul64(r, 4, r, 0, this.cpj, 0);
      add64(w, b + Ri.CREDIT, w, b + Ri.CREDIT, r, 4);
      cap = w;
      capAt = b + Ri.CREDIT_CAP;
    }
    if (lt64(cap, capAt, w, b + Ri.CREDIT)) copy64(w, b + Ri.CREDIT, cap, capAt);
  }

  /**
   * HOT: hashlimit_byte_cost: the cost of `len` bytes ((len >> 4) + 1 chunks, capped at a full bucket);
   * when the credit falls short and refills remain (credit_cap counts them), spend one to refill the bucket.
   */
  byteCost(t: HashlimitTable, e: number, len: number): number {
    const w = t.words;
    const b = e * 8;
    const r = this.r;
    set64(r, 0, 0, ((len >>> BYTE_SHIFT) + 1) >>> 0);
    mul64(r, 0, r, 0, w, b + Ri.COST);
    if (lt64(this.byteCap, 0, r, 0)) copy64(r, 0, this.byteCap, 0);
    if (lt64(w, b + Ri.CREDIT, r, 0) && (w[b + Ri.CREDIT_CAP] !== 0 || w[b + Ri.CREDIT_CAP + 1] !== 0)) {
      set64(r, 2, 0, 1);
      sub64(w, b + Ri.CREDIT_CAP, w, b + Ri.CREDIT_CAP, r, 2);
      copy64(w, b + Ri.CREDIT, this.byteCap, 0);
    }
    return r[0]!;
  }
}
