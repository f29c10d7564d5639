// `-m length --length min[:max]`: IP total length in range (libxt_length.c; net/netfilter/xt_length.c
// length_mt: ntohs(iph->tot_len)).

import type { MatchModule } from '../module.js';
import { missing, noState, uintRangeOr } from '../mod-util.js';
import { rangeText } from '../values.js';

export interface LengthData {
  min: number;
  max: number;
  invert: boolean;
  given: boolean;
}

export const lengthMatch: MatchModule<LengthData, null> = {
  kind: 'match',
  name: 'length',
  family: 0,
  options: [{ name: 'length', args: 1, invert: true }],
  init: () => ({ min: 0, max: 0xffff, invert: false, given: false }),
  parse(d, o, ctx) {
    const [lo, hi] = uintRangeOr(ctx, o.value, 0, 0xffff);
    d.min = lo;
    d.max = hi;
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--length" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--length ${rangeText(d.min, d.max)}`,
  createState: noState,
  // HOT
  match(d, skb) {
    const len = skb.meta.ipTotalLen;
    return (len >= d.min && len <= d.max) !== d.invert;
  },
};
