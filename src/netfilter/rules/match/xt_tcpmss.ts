// `-m tcpmss --mss min[:max]`: the MSS option of a TCP SYN (libxt_tcpmss.c; net/netfilter/xt_tcpmss.c
// tcpmss_mt: no MSS option → no match, an unreadable header is hot-dropped).

import type { MatchModule } from '../module.js';
import { noState, u16RangeOption } from '../mod-util.js';
import type { U16RangeData } from '../mod-util.js';
import { IpProto } from '../../../decode/meta.js';

export type TcpmssMatchData = U16RangeData;

export const tcpmssMatch: MatchModule<TcpmssMatchData, null> = {
  kind: 'match',
  name: 'tcpmss',
  family: 0,
  proto: IpProto.TCP,
  ...u16RangeOption('mss'),
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
