// `-m length --length min[:max]`: IP total length in range (libxt_length.c; net/netfilter/xt_length.c
// length_mt: ntohs(iph->tot_len)).

import type { MatchModule } from '../module.js';
import { noState, u16RangeOption } from '../mod-util.js';
import type { U16RangeData } from '../mod-util.js';

export type LengthData = U16RangeData;

export const lengthMatch: MatchModule<LengthData, null> = {
  kind: 'match',
  name: 'length',
  family: 0,
  ...u16RangeOption('length'),
  createState: noState,
  // HOT
  match(d, skb) {
    const len = skb.meta.ipTotalLen;
    return (len >= d.min && len <= d.max) !== d.invert;
  },
};
