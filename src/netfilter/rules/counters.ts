// Per-rule and per-policy packet/byte counters of a loaded table (the kernel's struct xt_counters per
// ipt_entry), in typed arrays indexed by layout slot. Bytes are skb->len at the IP layer, i.e. the IP total
// length. Float64 keeps counts exact up to 2^53. Read back by rule id / chain name for iptables-save -c.

import type { Counters } from './ast.js';
import type { TableLayout } from './engine-layout.js';

/** Counters of one table; one instance per engine (per worker), merged by addition. */
export class RuleCounters {
  readonly layout: TableLayout;
  /** Packets and bytes per slot (rules, policy tails, implicit-RETURN tails). */
  readonly pkts: Float64Array;
  readonly bytes: Float64Array;

  constructor(layout: TableLayout) {
    this.layout = layout;
    this.pkts = new Float64Array(layout.size);
    this.bytes = new Float64Array(layout.size);
  }

  /** Zero every counter (iptables -Z). */
  reset(): void {
    this.pkts.fill(0);
    this.bytes.fill(0);
  }

  /** Add another engine's counters of the same layout (per-CPU counters summed, as iptables-save does). */
  add(other: RuleCounters): void {
    if (other.pkts.length !== this.pkts.length) throw new RangeError('counters of different layouts');
    for (let i = 0; i < this.pkts.length; i++) {
      this.pkts[i]! += other.pkts[i]!;
      this.bytes[i]! += other.bytes[i]!;
    }
  }

  /** Counters of the rule with global id `ruleId`, or null when it is not in this table. */
  rule(ruleId: number): Counters | null {
    const s = this.layout.slotOfRule.get(ruleId);
    if (s === undefined) return null;
    return { pkts: BigInt(this.pkts[s]!), bytes: BigInt(this.bytes[s]!) };
  }

  /** Policy counters of builtin chain `chain` (`:CHAIN POLICY [p:b]`), or null when it is not builtin here. */
  policy(chain: string): Counters | null {
    const c = this.layout.chains.find((x) => x.name === chain);
    if (c === undefined || !c.builtin) return null;
    return { pkts: BigInt(this.pkts[c.tail]!), bytes: BigInt(this.bytes[c.tail]!) };
  }

  /** Plain copy (e.g. to send from a worker): [pkts, bytes]. */
  snapshot(): [Float64Array, Float64Array] {
    return [this.pkts.slice(), this.bytes.slice()];
  }

  /** Add a snapshot made by snapshot() on a counters object of the same layout. */
  addSnapshot(pkts: Float64Array, bytes: Float64Array): void {
    if (pkts.length !== this.pkts.length || bytes.length !== this.bytes.length) throw new RangeError('snapshot of a different layout');
    for (let i = 0; i < pkts.length; i++) {
      this.pkts[i]! += pkts[i]!;
      this.bytes[i]! += bytes[i]!;
    }
  }
}
