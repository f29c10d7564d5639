// What NAT needs from conntrack: the subset of ConntrackApi it calls (tuples, status bits, the reply-tuple
// rewrite, nf_conntrack_tuple_taken, the by-source index, syncSkb), plus NatCtExtras: the lookups
// nf_nat_used_tuple_new and nf_nat_used_tuple_harder need (nf_conntrack_find_get, the originator's
// td_end, nf_ct_kill). Without extras those two degrade gracefully (see NatCtExtras).

import type { ConntrackApi } from '../conntrack/api.js';

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
 * Conntrack lookups for nf_nat_used_tuple_new / _harder and nf_nat_oif_changed's kill (ConntrackApi has
 * them). With them NAT follows the kernel exactly; without them (null), nf_nat_used_tuple_new treats every
 * clash as taken (no reverse-direction tolerance), nf_nat_used_tuple_harder never evicts a closing entry
 * and counts every taken probe as `found`, and a changed masquerade device only drops the packet.
 */
export type NatCtExtras = Pick<ConntrackApi, 'findHash' | 'tcpOrigTdEnd' | 'kill'>;

/** Does this conntrack object also provide the extras? */
export function hasNatExtras(ct: NatConntrack): ct is NatConntrack & NatCtExtras {
  const c = ct as NatConntrack & Partial<NatCtExtras>;
  return typeof c.findHash === 'function' && typeof c.tcpOrigTdEnd === 'function' && typeof c.kill === 'function';
}

export type { Viewer } from '../conntrack/api.js';
