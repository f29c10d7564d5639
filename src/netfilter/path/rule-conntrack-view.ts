// The datapath's conntrack as matches read it (RuleConntrack): accounting counters and lookups on the
// replay's table, every answer as the packet's vCPU sees the table at the packet's time.

import type { ConntrackApi } from '../conntrack/api.js';
import { TcpState } from '../conntrack/api.js';
import { packetTuple } from '../conntrack/packet-tuple.js';
import type { Tuple } from '../conntrack/tuple.js';
import type { RuleConntrack } from '../rules/rule-conntrack.js';
import type { Skb } from '../skb.js';
import { NONE } from '../skb.js';

export class DatapathRuleConntrack implements RuleConntrack {
  constructor(private readonly ct: ConntrackApi) {}

  acct(ct: number, dir: number, bytes: boolean): number {
    return this.ct.acctCounter(ct, dir, bytes);
  }

  originalTuple(ct: number, out: Tuple): void {
    this.ct.getTuple(ct, 0, out);
  }

  packetTuple(skb: Skb, out: Tuple): boolean {
    return packetTuple(skb.meta, out);
  }

  find(tu: Tuple, viewer: Skb): number {
    const h = this.ct.findHash(tu, viewer);
    return h < 0 ? NONE : h >> 1;
  }

  isConfirmed(ct: number): boolean {
    return this.ct.isConfirmed(ct);
  }

  closed(ct: number, viewer: Skb): boolean {
    const s = this.ct.tcpState(ct, viewer);
    return s === TcpState.TIME_WAIT || s === TcpState.CLOSE;
  }
}
