// Indexes over runs of "service" rules (kube-proxy's KUBE-SERVICES: thousands of -d VIP/32 -p tcp --dport P;
// KUBE-NODEPORTS and Docker's DNAT rules: -p tcp --dport P): an open-addressing hash from the rule's exact
// key — (daddr, proto, dport) or (proto, dport) — to its candidate rules in chain order, so a lookup costs
// the same for 10 or 40,000 rules while the first match in rule order is kept exactly. Each probe touches
// one stride of one array, and each candidate one stride of `info` (next candidate, how to run it).

import { mix32 } from '../../../util/hash.js';

/** Key shapes. */
export const KeyShape = {
  /** -d ADDR/32 -p PROTO ... --dport PORT */
  DADDR_PROTO_DPORT: 0,
  /** -p PROTO ... --dport PORT (any destination) */
  PROTO_DPORT: 1,
} as const;
export type KeyShapeNumber = (typeof KeyShape)[keyof typeof KeyShape];

/** The index key of one rule. */
export interface RuleKey {
  shape: KeyShapeNumber;
  /** Destination address (unsigned), 0 for PROTO_DPORT. */
  daddr: number;
  proto: number;
  dport: number;
}

/** Words per candidate in `info`. */
export const INFO_STRIDE = 6;
/** Offsets within a candidate's `info` stride. */
export const Info = {
  /** Next candidate slot with the same key, -1 at the end. */
  NEXT: 0,
  /** 1 when the key is the rule's whole condition (compile/keys.ts keyIsWholeCondition). */
  KEY_ONLY: 1,
  /** SlotTarget kind. */
  KIND: 2,
  /** VERDICT: the verdict; JUMP/GOTO: the callee's function index, int pool offset, object pool offset. */
  A1: 3,
  A2: 4,
  A3: 5,
} as const;

function hashKey(daddr: number, pp: number): number {
  return mix32((daddr ^ Math.imul(pp, 0x9e3779b1)) >>> 0);
}

/** A built index over slots [a, b) of a layout. Immutable after construction (info filled in once by the compiler). */
export class RunIndex {
  readonly shape: KeyShapeNumber;
  /** First slot and end slot of the run. */
  readonly a: number;
  readonly b: number;
  private readonly mask: number;
  /** Hash table, 3 words per bucket: proto << 16 | dport (-1 empty), daddr, first candidate slot. */
  private readonly tab: Int32Array;
  /** Per candidate (slot - a), INFO_STRIDE words: see Info. */
  readonly info: Int32Array;

  /** `keys[i]` is the key of slot a + i; all have `shape`. */
  constructor(a: number, keys: readonly RuleKey[], shape: KeyShapeNumber) {
    this.shape = shape;
    this.a = a;
    this.b = a + keys.length;
    let cap = 16;
    while (cap < keys.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.tab = new Int32Array(3 * cap);
    for (let h = 0; h < cap; h++) this.tab[3 * h] = -1;
    this.info = new Int32Array(INFO_STRIDE * keys.length);
    const tail = new Int32Array(cap).fill(-1);
    for (let i = 0; i < keys.length; i++) {
      this.info[INFO_STRIDE * i + Info.NEXT] = -1;
      const k = keys[i]!;
      const addr = shape === KeyShape.DADDR_PROTO_DPORT ? k.daddr | 0 : 0;
      const pp = (k.proto << 16) | k.dport;
      let h = hashKey(addr >>> 0, pp) & this.mask;
      for (;;) {
        const t = 3 * h;
        if (this.tab[t] === -1) {
          this.tab[t] = pp;
          this.tab[t + 1] = addr;
          this.tab[t + 2] = a + i;
          tail[h] = i;
          break;
        }
        if (this.tab[t] === pp && this.tab[t + 1] === addr) {
          // same key again: chain it after the previous one, keeping rule order
          this.info[INFO_STRIDE * tail[h]! + Info.NEXT] = a + i;
          tail[h] = i;
          break;
        }
        h = (h + 1) & this.mask;
      }
    }
  }

  /** HOT: first candidate slot for (daddr, proto, dport), or -1. */
  // HOT: allocation-free
  first(daddr: number, proto: number, dport: number): number {
    const addr = this.shape === KeyShape.DADDR_PROTO_DPORT ? daddr | 0 : 0;
    const pp = (proto << 16) | dport;
    let h = hashKey(addr >>> 0, pp) & this.mask;
    const tab = this.tab;
    for (;;) {
      const t = 3 * h;
      const k = tab[t]!;
      if (k === -1) return -1;
      if (k === pp && tab[t + 1] === addr) return tab[t + 2]!;
      h = (h + 1) & this.mask;
    }
  }

  /** HOT: candidate after slot `s`, or -1. */
  // HOT: allocation-free
  after(s: number): number {
    return this.info[INFO_STRIDE * (s - this.a) + Info.NEXT]!;
  }
}
