// `-m mac --mac-source XX:XX:XX:XX:XX:XX` (libxt_mac.c; net/netfilter/xt_mac.c mac_mt: Ethernet source
// address of the frame, false without a link header). Allowed at PREROUTING, INPUT and FORWARD.

import type { MatchModule } from '../module.js';
import { HookBit } from '../module.js';
import { badValue, missing, noState } from '../mod-util.js';
import { formatMac, parseMac } from '../../../util/ipv4.js';

export interface MacData {
  hi: number;
  lo: number;
  invert: boolean;
  given: boolean;
}

export const macMatch: MatchModule<MacData, null> = {
  kind: 'match',
  name: 'mac',
  family: 0,
  hooks: HookBit.PRE_ROUTING | HookBit.LOCAL_IN | HookBit.FORWARD,
  options: [{ name: 'mac-source', args: 1, invert: true }],
  init: () => ({ hi: 0, lo: 0, invert: false, given: false }),
  parse(d, o, ctx) {
    const m = parseMac(o.value);
    if (m === null) badValue(ctx, `Bad mac address "${o.value}"`);
    d.hi = m.hi;
    d.lo = m.lo;
    d.invert = o.invert;
    d.given = true;
  },
  finish(d, ctx) {
    if (!d.given) missing(ctx, 'option "--mac-source" must be specified');
  },
  print: (d) => `${d.invert ? '! ' : ''}--mac-source ${formatMac(d.hi, d.lo)}`,
  createState: noState,
  // HOT
  match(d, skb) {
    const m = skb.meta;
    if (m.l2Len < 14) return false;
    return (m.srcMacHi === d.hi && m.srcMacLo === d.lo) !== d.invert;
  },
};
