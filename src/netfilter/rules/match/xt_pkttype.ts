// `-m pkttype --pkt-type unicast|broadcast|multicast` (libxt_pkttype.c; net/netfilter/xt_pkttype.c
// pkttype_mt: link-level packet type, loopback packets classified by destination address).

import type { MatchModule } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';

/** PACKET_* link-level types. */
export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4, LOOPBACK: 5 } as const;

const NAMES: ReadonlyArray<readonly [string, number]> = [
  ['unicast', PacketType.HOST],
  ['broadcast', PacketType.BROADCAST],
  ['multicast', PacketType.MULTICAST],
  ['bcast', PacketType.BROADCAST],
  ['mcast', PacketType.MULTICAST],
  ['host', PacketType.HOST],
];

export interface PkttypeData {
  type: number;
  invert: boolean;
  given: boolean;
}

export const pkttypeMatch: MatchModule<PkttypeData, null> = {
  kind: 'match',
  name: 'pkttype',
  family: 0,
  options: [{ name: 'pkt-type', args: 1, invert: true }],
  init: () => ({ type: 0, invert: false, given: false }),
  parse(d, o, ctx) {
    const hit = NAMES.find(([n]) => n === o.value.toLowerCase());
    if (hit === undefined) badValue(ctx, `Bad packet type '${o.value}'`);
    d.type = hit[1];
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--pkt-type" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--pkt-type ${NAMES.find(([, t]) => t === d.type)?.[0] ?? String(d.type)}`,
  createState: noState,
  // HOT
  // pkttype_mt reads skb->pkt_type, which the path changes (a bridge taking a frame for itself, the host's
  // own packets), not the type the capture recorded
  match(d, skb) {
    let t = skb.pktType;
    if (t === PacketType.LOOPBACK) t = skb.meta.daddr >>> 28 === 0xe ? PacketType.MULTICAST : PacketType.BROADCAST;
    return (t === d.type) !== d.invert;
  },
};
