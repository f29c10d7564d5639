// Conntrack as matches read it beyond the snapshot the skb carries: the accounting counters `-m connbytes`
// compares, and the lookups `-m connlimit` (nf_conncount) makes to learn whether the connections it
// remembers still exist. The datapath implements it over its table; NO_CONNTRACK stands in where there is
// none (rule benchmarks, tests of other matches).

import type { Skb } from '../skb.js';
import { NONE } from '../skb.js';
import type { Tuple } from '../conntrack/tuple.js';

export interface RuleConntrack {
  /** nf_conn_acct of entry `ct`, direction `dir` (0 ORIGINAL, 1 REPLY): packets, or bytes; -1 when entries carry no accounting. HOT. */
  acct(ct: number, dir: number, bytes: boolean): number;
  /** Entry `ct`'s ORIGINAL tuple and zone into `out`. */
  originalTuple(ct: number, out: Tuple): void;
  /** nf_ct_get_tuplepr: the packet's own tuple into `out` (its zone left alone); false when none can be built. */
  packetTuple(skb: Skb, out: Tuple): boolean;
  /** nf_conntrack_find_get: the live, confirmed entry hashed under `tu` (in `tu.zone`) as `viewer` sees it, or NONE. */
  find(tu: Tuple, viewer: Skb): number;
  isConfirmed(ct: number): boolean;
  /** already_closed() of nf_conncount: a TCP entry in TIME_WAIT or CLOSE, as `viewer` sees it. */
  closed(ct: number, viewer: Skb): boolean;
}

/** No conntrack: no accounting, no packet tuples, no entries. */
export const NO_CONNTRACK: RuleConntrack = {
  acct: () => -1,
  originalTuple: () => undefined,
  packetTuple: () => false,
  find: () => NONE,
  isConfirmed: () => false,
  closed: () => false,
};
