// What NAT needs from conntrack: the subset of ConntrackApi it calls (tuples, status bits, the reply-tuple
// rewrite, nf_conntrack_tuple_taken, the by-source index, syncSkb), plus NatCtExtras: three lookups that
// api.ts does not offer yet (nf_conntrack_find_get, the originator's td_end, nf_ct_kill) which
// nf_nat_used_tuple_new and nf_nat_used_tuple_harder need. Without extras those two degrade gracefully.

import type { ConntrackApi, Viewer } from '../conntrack/api.js';
import type { Tuple } from '../conntrack/tuple.js';

/** The conntrack calls NAT makes (a structural subset of ConntrackApi, so test doubles stay small). */
export type NatConntrack = Pick<
  ConntrackApi,
  | 'capacity'
  | 'status'
  | 'setStatusBits'
  | 'isConfirmed'
  | 'tcpState'
  | 'getTuple'
  | 'tupleTaken'
  | 'setReplyTuple'
  | 'bySourceAdd'
  | 'bySourceFirst'
  | 'bySourceNext'
  | 'syncSkb'
>;

/**
 * Optional conntrack lookups. With them NAT follows the kernel exactly; without them (null),
 * nf_nat_used_tuple_new treats every clash as taken (no reverse-direction tolerance) and
 * nf_nat_used_tuple_harder never evicts a closing entry.
 */
export interface NatCtExtras {
  /**
   * nf_conntrack_find_get: the confirmed, live entry holding `tuple` in either direction that `viewer`
   * can see, encoded as `ct * 2 + dir` (dir 0 ORIGINAL, 1 REPLY), or -1. Counts nothing.
   */
  findHash(tuple: Tuple, viewer: Viewer): number;
  /** ct->proto.tcp.seen[0].td_end as `viewer` sees it (unsigned 32-bit). */
  tcpOrigTdEnd(ct: number, viewer: Viewer): number;
  /** nf_ct_kill(ct) by `writer`: true when this call removed the entry. */
  kill(ct: number, writer: Viewer): boolean;
}

export type { Viewer } from '../conntrack/api.js';
