// Drive packets through conntrack the way the datapath does: nf_conntrack_in at PRE_ROUTING (or LOCAL_OUT),
// then confirm at the finish time; plus small readers for the dumped entries.

import { createConntrack, type Conntrack } from '../../../src/netfilter/conntrack/conntrack.js';
import type { ConntrackOptions, CtEntryDump } from '../../../src/netfilter/conntrack/api.js';
import { Hook, NONE, Verdict, type Skb } from '../../../src/netfilter/skb.js';
import { formatIpv4 } from '../../../src/util/ipv4.js';

export function newCt(opts: ConntrackOptions = {}): Conntrack {
  return createConntrack({ ...opts, sysctls: { conntrackAcct: 1, ...(opts.sysctls ?? {}) } });
}

/** in() then, when accepted with an entry, confirm(f = now + serviceNs). Returns the final verdict. */
export function pass(ct: Conntrack, skb: Skb, hook: 0 | 3 = Hook.PRE_ROUTING): number {
  const v = ct.in(skb, hook);
  if (v !== Verdict.ACCEPT || skb.ct === NONE) return v;
  return ct.confirm(skb, skb.nowNs + ct.cfg.serviceNs);
}

/** The dumped entry whose ORIGINAL source port (or ICMP id) is `sport`. */
export function entry(ct: Conntrack, atNs: number, sport: number): CtEntryDump | undefined {
  return ct.dump(atNs).find((e) => (e.proto === 1 ? e.original.icmpId : e.original.sport) === sport);
}

/** "src:sport>dst:dport" of an entry direction, for compact assertions. */
export function flow(e: CtEntryDump, dir: 0 | 1): string {
  const t = dir === 0 ? e.original : e.reply;
  return `${formatIpv4(t.src)}:${t.sport}>${formatIpv4(t.dst)}:${t.dport}`;
}

/** All ten -S counters of one CPU, by name. */
export function statsOf(ct: Conntrack, cpu = 0): Record<string, number> {
  const names = ['found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop', 'error', 'search_restart', 'clash_resolve', 'chaintoolong'];
  const out: Record<string, number> = {};
  names.forEach((n, i) => (out[n] = ct.stat(cpu, i)));
  return out;
}
