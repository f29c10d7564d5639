// Datapath statistics for the report: verdicts per hook, drops per reason code, packets by fate, and the
// pending drop annotation (the reason recorded by whoever decided the drop, taken when the packet is freed).

import type { DropInfo } from './sink.js';
import { Verdict } from '../skb.js';

const HOOKS = 5;
/** Verdict columns counted per hook. */
export const VerdictCol = { ACCEPT: 0, DROP: 1, QUEUE: 2, STOLEN: 3 } as const;

export class DatapathStats {
  /** [hook * 4 + col]: table verdicts per hook. */
  readonly verdicts = new Float64Array(HOOKS * 4);
  /** Drops by reason code. */
  readonly drops = new Map<string, number>();
  /** Input frames by what happened to them. */
  received = 0;
  forwarded = 0;
  bridged = 0;
  delivered = 0;
  answered = 0;
  notIngress = 0;
  nonIp = 0;
  /** The reason of the drop being decided right now (consumed by takeDrop). */
  pendingDrop: DropInfo | null = null;

  /** HOT */
  verdict(hook: number, v: number): void {
    const col = v === Verdict.ACCEPT ? 0 : v === Verdict.DROP ? 1 : v === Verdict.QUEUE ? 2 : 3;
    this.verdicts[hook * 4 + col]!++;
  }

  setDrop(code: string, detail: string, hook: number): void {
    this.pendingDrop = { code, detail, hook };
  }

  /** The pending reason (or the fallback), counted; clears the pending slot. */
  takeDrop(code: string, detail: string, hook: number): DropInfo {
    const d = this.pendingDrop ?? { code, detail, hook };
    this.pendingDrop = null;
    this.drops.set(d.code, (this.drops.get(d.code) ?? 0) + 1);
    return d;
  }
}
