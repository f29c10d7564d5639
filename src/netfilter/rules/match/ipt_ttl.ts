// `-m ttl --ttl-eq/--ttl-lt/--ttl-gt N` (IPv4; `! --ttl-eq` is not-equal). libipt_ttl.c /
// net/ipv4/netfilter/ipt_ttl.c ttl_mt.

import type { MatchModule } from '../module.js';
import { conflict, missing, noState, uintOr } from '../mod-util.js';

/** IPT_TTL_EQ / NE / LT / GT. */
export const TtlMatchMode = { EQ: 0, NE: 1, LT: 2, GT: 3 } as const;

export interface TtlMatchData {
  mode: number;
  ttl: number;
  given: boolean;
}

export const ttlMatch: MatchModule<TtlMatchData, null> = {
  kind: 'match',
  name: 'ttl',
  family: 4,
  options: [
    { name: 'ttl-eq', args: 1, invert: true },
    { name: 'ttl-lt', args: 1 },
    { name: 'ttl-gt', args: 1 },
  ],
  init: () => ({ mode: 0, ttl: 0, given: false }),
  parse(d, o, ctx) {
    if (d.given) conflict(ctx, 'Can\'t specify TTL option twice');
    d.given = true;
    d.ttl = uintOr(ctx, o.value, 0, 255, 'TTL');
    d.mode = o.id === 0 ? (o.invert ? TtlMatchMode.NE : TtlMatchMode.EQ) : o.id === 1 ? TtlMatchMode.LT : TtlMatchMode.GT;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'TTL match: You must specify one of `--ttl-eq\', `--ttl-lt\', `--ttl-gt\'');
  },
  print(d) {
    switch (d.mode) {
      case TtlMatchMode.EQ:
        return `--ttl-eq ${d.ttl}`;
      case TtlMatchMode.NE:
        return `! --ttl-eq ${d.ttl}`;
      case TtlMatchMode.LT:
        return `--ttl-lt ${d.ttl}`;
      default:
        return `--ttl-gt ${d.ttl}`;
    }
  },
  createState: noState,
  // HOT
  match(d, skb) {
    const t = skb.meta.ipTtl;
    switch (d.mode) {
      case TtlMatchMode.EQ:
        return t === d.ttl;
      case TtlMatchMode.NE:
        return t !== d.ttl;
      case TtlMatchMode.LT:
        return t < d.ttl;
      default:
        return t > d.ttl;
    }
  },
};
