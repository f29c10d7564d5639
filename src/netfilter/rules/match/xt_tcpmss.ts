// `-m tcpmss --mss min[:max]`: the MSS option of a TCP SYN (libxt_tcpmss.c; net/netfilter/xt_tcpmss.c
// tcpmss_mt: no MSS option → no match, an unreadable header is hot-dropped).

import type { MatchModule } from '../module.js';
import { missing, noState, uintRangeOr } from '../mod-util.js';
import { rangeText } from '../values.js';
import { IpProto } from '../../../decode/meta.js';

export interface TcpmssMatchData {
  min: number;
  max: number;
  invert: boolean;
  given: boolean;
}

export const tcpmssMatch: MatchModule<TcpmssMatchData, null> = {
  kind: 'match',
  name: 'tcpmss',
  family: 0,
  proto: IpProto.TCP,
  options: [{ name: 'mss', args: 1, invert: true }],
  init: () => ({ min: 0, max: 0xffff, invert: false, given: false }),
  parse(d, o, ctx) {
    const [lo, hi] = uintRangeOr(ctx, o.value, 0, 0xffff);
    d.min = lo;
    d.max = hi;
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--mss" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--mss ${rangeText(d.min, d.max)}`,
  createState: noState,
  // HOT
  match(d, skb, env) {
    const m = skb.meta;
    if (m.l4Off < 0 || m.l4Len < 20 || m.tcpHdrLen < 20) {
      env.hotdrop = 1;
      return false;
    }
    if (m.tcpMssOff < 0) return d.invert;
    return (m.tcpMss >= d.min && m.tcpMss <= d.max) !== d.invert;
  },
};
