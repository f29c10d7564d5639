// Generic evaluation of single slots for compiled code: indexed runs evaluate their candidate rules with it,
// and packets an index cannot serve (fragments, truncated headers) walk the run with it. It is the
// interpreter's per-entry step (ipPacketMatch, matches in order, counters, target) with jumps into the
// compiled chain functions; the caller accounts rulesVisited.

import { Verdict } from '../../skb.js';
import type { Skb } from '../../skb.js';
import { SlotTarget } from '../engine-layout.js';
import type { TableLayout } from '../engine-layout.js';
import { ipPacketMatch } from '../interpret.js';
import type { RuleEnv } from '../engine-env.js';
import type { RuleResult } from '../engine-result.js';

/** Internal return codes of compiled chain functions and slot steps (never verdicts). */
export const Code = {
  /** The chain returned (RETURN, or the end of a user chain). */
  RET: -100,
  /** A match set hotdrop: the walk ends with DROP; res.slot says where. */
  HOT: -101,
  /** slot step: the rule did not match. */
  NOMATCH: -102,
  /** slot step: the rule matched and the walk continues after it. */
  CONT: -103,
} as const;

/**
 * A compiled chain function: (skb, env, res, depth, o, p) with o / p the chain's offsets in the constant
 * pools (template mode; literal chain functions ignore them).
 */
export type ChainFn = (skb: Skb, env: RuleEnv, res: RuleResult, d: number, o: number, p: number) => number;

/** Evaluates one slot of a layout the way the interpreter's loop body does. */
export class SlotExecutor {
  readonly L: TableLayout;
  /** Counters: [packets, bytes] per slot (RuleCounters.values). */
  readonly values: Float64Array;
  /** Compiled functions; chain c runs fns[chainFn[c]] with pool offsets chainOff[c], chainObj[c]. */
  fns: ChainFn[];
  readonly chainFn: Int32Array;
  readonly chainOff: Int32Array;
  readonly chainObj: Int32Array;

  constructor(L: TableLayout, values: Float64Array) {
    this.L = L;
    this.values = values;
    this.fns = [];
    this.chainFn = new Int32Array(L.chains.length);
    this.chainOff = new Int32Array(L.chains.length);
    this.chainObj = new Int32Array(L.chains.length);
  }

  /** HOT: run chain `c` at depth `d`. */
  // HOT: allocation-free
  callChain(c: number, skb: Skb, env: RuleEnv, res: RuleResult, d: number): number {
    return this.fns[this.chainFn[c]!]!(skb, env, res, d, this.chainOff[c]!, this.chainObj[c]!);
  }

  /**
   * HOT: the extension target of slot `s`, whose rule matched and was counted (index candidates whose key is
   * their whole condition). Returns Code.CONT or the target's verdict (res.slot set).
   */
  // HOT: allocation-free
  extTarget(s: number, skb: Skb, env: RuleEnv, res: RuleResult): number {
    const L = this.L;
    const v = L.targetModule[s]!.target(L.targetData[s], skb, env.target, L.targetState[s]);
    if (v === Verdict.CONTINUE) return Code.CONT;
    res.slot = s;
    return v;
  }

  /**
   * HOT: evaluate rule slot `s` at jump depth `d`. Returns Code.NOMATCH, Code.CONT, Code.RET, Code.HOT, or a
   * verdict (res.slot set). On Code.HOT res.slot is set too.
   */
  // HOT: allocation-free
  exec(s: number, skb: Skb, env: RuleEnv, res: RuleResult, d: number): number {
    const L = this.L;
    const menv = env.match;
    if (!ipPacketMatch(L, s, skb, skb.meta.fragOffset !== 0)) return Code.NOMATCH;
    const end = L.matchStart[s + 1]!;
    for (let k = L.matchStart[s]!; k < end; k++) {
      if (!L.matchModule[k]!.match(L.matchData[k], skb, menv, L.matchState[k])) {
        if (menv.hotdrop !== 0) {
          res.slot = s;
          return Code.HOT;
        }
        return Code.NOMATCH;
      }
    }
    return this.apply(s, skb, env, res, d);
  }

  /** HOT: the rule in slot `s` matched: count it and carry out its target. */
  // HOT: allocation-free
  private apply(s: number, skb: Skb, env: RuleEnv, res: RuleResult, d: number): number {
    const L = this.L;
    const menv = env.match;
    this.values[2 * s]! += 1;
    this.values[2 * s + 1]! += skb.meta.ipTotalLen;
    const kind = L.targetKind[s]!;
    let v: number = Code.CONT;
    if (kind === SlotTarget.EXTENSION) {
      v = L.targetModule[s]!.target(L.targetData[s], skb, env.target, L.targetState[s]);
      if (v === Verdict.CONTINUE) v = Code.CONT;
    }
    if (menv.hotdrop !== 0) {
      res.slot = s;
      return Code.HOT;
    }
    switch (kind) {
      case SlotTarget.VERDICT:
        res.slot = s;
        return L.verdict[s]!;
      case SlotTarget.RETURN:
        return Code.RET;
      case SlotTarget.JUMP: {
        if (d >= L.stackSize) {
          res.overflow = 1;
          res.slot = s;
          return Verdict.DROP;
        }
        const r = this.callChain(L.jumpChain[s]!, skb, env, res, d + 1);
        return r === Code.RET ? Code.CONT : r;
      }
      case SlotTarget.GOTO:
        return this.callChain(L.jumpChain[s]!, skb, env, res, d);
      case SlotTarget.EXTENSION:
        if (v !== Code.CONT) res.slot = s;
        return v;
      default:
        return Code.CONT;
    }
  }
}
