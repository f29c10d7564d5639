// Explaining rule decisions in the kernel's TRACE vocabulary (ip_tables.c trace_packet and
// get_chainname_rulenum): every entry whose matches all succeed is reported as table:chain:KIND:N with KIND
// "rule", or "return"/"policy" for unconditional standard-verdict entries (chain tails and rules such as
// `-A DOCKER-USER -j RETURN`), N the 1-based entry number in its chain.

import type { Skb } from '../skb.js';

/** The comment word of a trace line (enum nf_ip_trace_comments). */
export const TraceKind = { RULE: 0, RETURN: 1, POLICY: 2 } as const;
export type TraceKindNumber = (typeof TraceKind)[keyof typeof TraceKind];
export const TRACE_KIND_NAMES = ['rule', 'return', 'policy'] as const;

/** Receives one call per traced step. The engine allocates nothing; a sink may. */
export interface TraceSink {
  /**
   * An entry of `table`/`chain` matched (its counter was incremented) at `hook`: `num` is its 1-based
   * position in the chain, `ruleId` the global rule id (-1 for chain tails).
   */
  step(table: string, chain: string, kind: TraceKindNumber, num: number, ruleId: number, hook: number, skb: Skb): void;
}

/** One recorded step. */
export interface TraceStep {
  table: string;
  chain: string;
  kind: TraceKindNumber;
  num: number;
  ruleId: number;
  hook: number;
}

/** `table:chain:kind:N`, as the kernel prints after "TRACE: ". */
export function formatTraceStep(s: TraceStep): string {
  return `${s.table}:${s.chain}:${TRACE_KIND_NAMES[s.kind]}:${s.num}`;
}

/** A sink that keeps every step (tests, `explain` output). */
export class RecordingTraceSink implements TraceSink {
  readonly steps: TraceStep[] = [];

  step(table: string, chain: string, kind: TraceKindNumber, num: number, ruleId: number, hook: number): void {
    this.steps.push({ table, chain, kind, num, ruleId, hook });
  }

  /** The steps as kernel TRACE strings. */
  lines(): string[] {
    return this.steps.map(formatTraceStep);
  }

  clear(): void {
    this.steps.length = 0;
  }
}
