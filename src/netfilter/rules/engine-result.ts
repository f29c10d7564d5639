// What one table walk decided, in a reused object: the verdict, the deciding entry (a rule, or the builtin
// chain's policy) and how many entries the kernel's linear walk visited. Names are derived from the layout
// on demand so that filling it in allocates nothing.

import type { TableLayout } from './engine-layout.js';
import { Verdict } from '../skb.js';

/** What decided a walk. */
export const Decision = {
  /** The table has no chain at this hook; nothing was evaluated. */
  NONE: 0,
  /** A rule: its target's verdict, a hotdrop by one of its matches, or a jump-stack overflow. */
  RULE: 1,
  /** The builtin chain's policy (end of chain, or RETURN with an empty stack). */
  POLICY: 2,
} as const;
export type DecisionNumber = (typeof Decision)[keyof typeof Decision];

/** Result of runTable(); reuse one instance per caller. */
export class RuleResult {
  verdict: number = Verdict.ACCEPT;
  decision: number = Decision.NONE;
  /** Layout slot of the deciding entry, -1 when none. */
  slot = -1;
  /** Global rule id (Rule.id) of the deciding rule, -1 for a policy or none. */
  ruleId = -1;
  /** 1 when a match asked for the packet to be dropped (hotdrop). */
  hotdrop = 0;
  /** 1 when the jump stack overflowed. */
  overflow = 0;
  /** Entries (rules and chain tails) the kernel's linear walk evaluated. */
  rulesVisited = 0;
  /** Layout the slot refers to. */
  layout: TableLayout | null = null;

  /** HOT: prepare for a walk of `layout`. */
  // HOT: allocation-free
  reset(layout: TableLayout): void {
    this.verdict = Verdict.ACCEPT;
    this.decision = Decision.NONE;
    this.slot = -1;
    this.ruleId = -1;
    this.hotdrop = 0;
    this.overflow = 0;
    this.rulesVisited = 0;
    this.layout = layout;
  }

  /** Table name ('' when none). */
  get table(): string {
    return this.layout !== null ? this.layout.name : '';
  }

  /** Chain of the deciding entry ('' when none). */
  get chain(): string {
    if (this.layout === null || this.slot < 0) return '';
    return this.layout.chains[this.layout.chainOf[this.slot]!]!.name;
  }

  /** 1-based number of the deciding rule in its chain (for a policy: the tail entry's number). */
  get ruleNum(): number {
    if (this.layout === null || this.slot < 0) return 0;
    return this.layout.num[this.slot]!;
  }

  /** Drop-annotation text: `filter:FORWARD:rule 3`, `filter:FORWARD:policy` ('' when nothing decided). */
  describe(): string {
    if (this.decision === Decision.RULE) return `${this.table}:${this.chain}:rule ${this.ruleNum}`;
    if (this.decision === Decision.POLICY) return `${this.table}:${this.chain}:policy`;
    return '';
  }
}
