// Indexes over runs of "service" rules (kube-proxy's KUBE-SERVICES: thousands of -d VIP/32 -p tcp --dport P;
// KUBE-NODEPORTS and Docker's DNAT rules: -p tcp --dport P): an open-addressing hash from the rule's exact
// key — (daddr, proto, dport) or (proto, dport) — to its candidate rules in chain order, so a lookup costs
// the same for 10 or 40,000 rules while the first match in rule order is kept exactly.

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

function hashKey(daddr: number, pp: number): number {
  return mix32((daddr ^ Math.imul(pp, 0x9e3779b1)) >>> 0);
}

/** A built index over slots [a, b) of a layout. Immutable after construction. */
export class RunIndex {
  readonly shape: KeyShapeNumber;
  /** First slot and end slot of the run. */
  readonly a: number;
  readonly b: number;
  private readonly mask: number;
  private readonly keyAddr: Int32Array;
  private readonly keyPP: Int32Array;
  private readonly head: Int32Array;
  /** Next candidate slot with the same key, by run offset (slot - a); -1 at the end. */
  readonly next: Int32Array;

  /** `keys[i]` is the key of slot a + i; all have `shape`. */
  constructor(a: number, keys: readonly RuleKey[], shape: KeyShapeNumber) {
    this.shape = shape;
    this.a = a;
    this.b = a + keys.length;
    let cap = 16;
    while (cap < keys.length * 2) cap *= 2;
    this.mask = cap - 1;
    this.keyAddr = new Int32Array(cap);
    this.keyPP = new Int32Array(cap).fill(-1);
    this.head = new Int32Array(cap).fill(-1);
    this.next = new Int32Array(keys.length).fill(-1);
    const tail = new Int32Array(cap).fill(-1);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const addr = shape === KeyShape.DADDR_PROTO_DPORT ? k.daddr | 0 : 0;
      const pp = (k.proto << 16) | k.dport;
      let h = hashKey(addr >>> 0, pp) & this.mask;
      for (;;) {
        if (this.keyPP[h] === -1) {
          this.keyAddr[h] = addr;
          this.keyPP[h] = pp;
          this.head[h] = a + i;
          tail[h] = i;
          break;
        }
        if (this.keyPP[h] === pp && this.keyAddr[h] === addr) {
          // same key again: chain it after the previous one, keeping rule order
          this.next[tail[h]!] = a + i;
          tail[h] = i;
          break;
        }
        h = (h + 1) & this.mask;
      }
    }
  }

  /** HOT: first candidate slot for (daddr, proto, dport), or -1. */
  first(daddr: number, proto: number, dport: number): number {
    const addr = this.shape === KeyShape.DADDR_PROTO_DPORT ? daddr | 0 : 0;
    const pp = (proto << 16) | dport;
    let h = hashKey(addr >>> 0, pp) & this.mask;
    for (;;) {
      const k = this.keyPP[h]!;
      if (k === -1) return -1;
      if (k === pp && this.keyAddr[h] === addr) return this.head[h]!;
      h = (h + 1) & this.mask;
    }
  }

  /** HOT: candidate after slot `s`, or -1. */
  after(s: number): number {
    return this.next[s - this.a]!;
  }
}
