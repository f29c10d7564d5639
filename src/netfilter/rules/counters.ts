// Per-rule and per-policy packet/byte counters of a loaded table (the kernel's struct xt_counters per
// ipt_entry), in one Float64Array indexed by layout slot: values[2s] packets, values[2s + 1] bytes, side by
// side so that counting a rule touches one cache line. Bytes are skb->len at the IP layer, i.e. the IP total
// length. Float64 keeps counts exact up to 2^53. Read back by rule id / chain name for iptables-save -c.

import type { Counters } from './ast.js';
import type { TableLayout } from './engine-layout.js';

/** Counters of one table; one instance per engine (per worker), merged by addition. */
export class RuleCounters {
  readonly layout: TableLayout;
  /** [packets, bytes] per slot (rules, policy tails, implicit-RETURN tails). */
  readonly values: Float64Array;

  constructor(layout: TableLayout) {
    this.layout = layout;
    this.values = new Float64Array(2 * layout.size);
  }

  /** Packets counted on slot `s`. */
  packetsAt(s: number): number {
    return this.values[2 * s]!;
  }

  /** Bytes counted on slot `s`. */
  bytesAt(s: number): number {
    return this.values[2 * s + 1]!;
  }

  /** Zero every counter (iptables -Z). */
  reset(): void {
    this.values.fill(0);
  }

  /** Add another engine's counters of the same layout (per-CPU counters summed, as iptables-save does). */
  add(other: RuleCounters): void {
    this.addSnapshot(other.values);
  }

  /** Counters of the rule with global id `ruleId`, or null when it is not in this table. */
  rule(ruleId: number): Counters | null {
    const s = this.layout.slotOfRule.get(ruleId);
    if (s === undefined) return null;
    return { pkts: BigInt(this.packetsAt(s)), bytes: BigInt(this.bytesAt(s)) };
  }

  /** Policy counters of builtin chain `chain` (`:CHAIN POLICY [p:b]`), or null when it is not builtin here. */
  policy(chain: string): Counters | null {
    const c = this.layout.chains.find((x) => x.name === chain);
    if (c === undefined || !c.builtin) return null;
    return { pkts: BigInt(this.packetsAt(c.tail)), bytes: BigInt(this.bytesAt(c.tail)) };
  }

  /** Plain copy (e.g. to send from a worker). */
  snapshot(): Float64Array {
    return this.values.slice();
  }

  /** Add a snapshot made by snapshot() on counters of the same layout. */
  addSnapshot(values: Float64Array): void {
    if (values.length !== this.values.length) throw new RangeError('counters of a different layout');
    for (let i = 0; i < values.length; i++) this.values[i]! += values[i]!;
  }
}
