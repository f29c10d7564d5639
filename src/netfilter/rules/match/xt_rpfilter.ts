// `-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]`: reverse-path filtering as a match
// (libxt_rpfilter.c; net/ipv4/netfilter/ipt_rpfilter.c rpfilter_mt). The source is looked up as a
// destination: it matches when the route back is unicast (or local, with --accept-local) and leaves by the
// device the packet came in on, or by any device with --loose. Valid in raw and mangle PREROUTING only.
// --validmark puts skb->mark into the lookup, which changes nothing without policy routing (not modelled).

import type { MatchModule } from '../module.js';
import { HookBit } from '../module.js';
import { noState } from '../mod-util.js';

/** XT_RPFILTER_* flags. */
export const RpfilterFlag = { LOOSE: 0x01, VALID_MARK: 0x02, ACCEPT_LOCAL: 0x04, INVERT: 0x08 } as const;

const OPTS = ['loose', 'validmark', 'accept-local', 'invert'] as const;
const BIT = [RpfilterFlag.LOOSE, RpfilterFlag.VALID_MARK, RpfilterFlag.ACCEPT_LOCAL, RpfilterFlag.INVERT];

export interface RpfilterData {
  flags: number;
}

function isZeronet(a: number): boolean {
  return (a & 0xff000000) === 0;
}

export const rpfilterMatch: MatchModule<RpfilterData, null> = {
  kind: 'match',
  name: 'rpfilter',
  family: 0,
  tables: ['mangle', 'raw'],
  hooks: HookBit.PRE_ROUTING,
  options: OPTS.map((name) => ({ name, args: 0 as const })),
  init: () => ({ flags: 0 }),
  parse(d, o) {
    d.flags |= BIT[o.id]!;
  },
  finish() {},
  print(d) {
    return OPTS.filter((_, i) => (d.flags & BIT[i]!) !== 0)
      .map((n) => `--${n}`)
      .join(' ');
  },
  createState: noState,
  // HOT: rpfilter_mt
  match(d, skb, env) {
    const invert = (d.flags & RpfilterFlag.INVERT) !== 0;
    const m = skb.meta;
    // packets looped back by the host itself, and DHCP-style 0.0.0.0 sources to broadcast or 224.0.0.0/24
    if (env.host.isLoopbackDevice(skb.inIf)) return !invert;
    if (isZeronet(m.saddr) && (m.daddr === 0xffffffff || (m.daddr & 0xffffff00) >>> 0 === 0xe0000000)) return !invert;
    const ok = env.host.routeBackVia(skb, (d.flags & RpfilterFlag.LOOSE) !== 0, (d.flags & RpfilterFlag.ACCEPT_LOCAL) !== 0, (d.flags & RpfilterFlag.VALID_MARK) !== 0);
    return ok !== invert;
  },
};
