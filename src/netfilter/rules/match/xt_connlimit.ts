// `-m connlimit --connlimit-above|--connlimit-upto N [--connlimit-mask BITS] [--connlimit-saddr|-daddr]`
// (libxt_connlimit.c revision 1; net/netfilter/xt_connlimit.c connlimit_mt): the connections counted by
// nf_conncount (conncount.ts) under the packet's masked source (or destination) address and its entry's
// zone id, the packet's own connection included, compared with N. A packet whose connection cannot be
// counted is hot-dropped, as the kernel does.

import type { MatchModule } from '../module.js';
import { prefixMask } from '../../../util/ipv4.js';
import { badValue, conflict, missing, uintOr } from '../mod-util.js';
import { NONE } from '../../skb.js';
import { ConnCount } from './conncount.js';

/** XT_CONNLIMIT_INVERT, XT_CONNLIMIT_DADDR. */
const F_INVERT = 1;
const F_DADDR = 2;

export interface ConnlimitData {
  limit: number;
  flags: number;
  /** Mask length as given (0..128; the IPv4 mask keeps the first 32 bits). */
  maskLen: number;
  given: number;
}

const G_ABOVE = 1;
const G_UPTO = 2;
const G_SADDR = 4;
const G_DADDR = 8;
const G_MASK = 16;

export const connlimitMatch: MatchModule<ConnlimitData, ConnCount> = {
  kind: 'match',
  name: 'connlimit',
  family: 0,
  options: [
    { name: 'connlimit-upto', args: 1, invert: true },
    { name: 'connlimit-above', args: 1, invert: true },
    { name: 'connlimit-mask', args: 1 },
    { name: 'connlimit-saddr', args: 0 },
    { name: 'connlimit-daddr', args: 0 },
  ],
  init: () => ({ limit: 0, flags: 0, maskLen: 32, given: 0 }),
  parse(d, o, ctx) {
    switch (o.name) {
      case 'connlimit-upto':
      case 'connlimit-above': {
        const upto = o.name === 'connlimit-upto';
        if ((d.given & (upto ? G_ABOVE : G_UPTO)) !== 0) conflict(ctx, '"--connlimit-upto" and "--connlimit-above" exclude each other');
        d.limit = uintOr(ctx, o.value, 0, 0xffffffff, `bad value for option "--${o.name}", or out of range (0-4294967295):`);
        // above N matches beyond N; upto N is the inverse; `!` flips either
        if (upto !== o.invert) d.flags |= F_INVERT;
        else d.flags &= ~F_INVERT;
        d.given |= upto ? G_UPTO : G_ABOVE;
        break;
      }
      case 'connlimit-mask':
        d.maskLen = uintOr(ctx, o.value, 0, 128, 'bad value for option "--connlimit-mask"');
        d.given |= G_MASK;
        break;
      case 'connlimit-saddr':
        if ((d.given & G_DADDR) !== 0) conflict(ctx, '"--connlimit-saddr" and "--connlimit-daddr" exclude each other');
        d.flags &= ~F_DADDR;
        d.given |= G_SADDR;
        break;
      default:
        if ((d.given & G_SADDR) !== 0) conflict(ctx, '"--connlimit-saddr" and "--connlimit-daddr" exclude each other');
        d.flags |= F_DADDR;
        d.given |= G_DADDR;
    }
  },
  finish(d, ctx) {
    if ((d.given & (G_ABOVE | G_UPTO)) === 0) missing(ctx, 'You must specify "--connlimit-above" or "--connlimit-upto".');
    if (d.maskLen > 128) badValue(ctx, 'bad mask');
  },
  // connlimit_save4 (revision 1)
  print: (d) =>
    `${(d.flags & F_INVERT) !== 0 ? '--connlimit-upto' : '--connlimit-above'} ${d.limit} --connlimit-mask ${Math.min(d.maskLen, 32)} ` +
    ((d.flags & F_DADDR) !== 0 ? '--connlimit-daddr' : '--connlimit-saddr'),
  createState: (_d, ctx) => new ConnCount(ctx.hz),
  // HOT (allocates only when a new connection is remembered): connlimit_mt
  match(d, skb, env, st) {
    const m = skb.meta;
    const addr = ((d.flags & F_DADDR) !== 0 ? m.daddr : m.saddr) & prefixMask(Math.min(d.maskLen, 32));
    // key[1] = zone->id: the entry's zone, the default zone without one
    const zone = skb.ct !== NONE && skb.untracked === 0 ? st.zoneOf(env.conntrack, skb.ct) & 0xffff : 0;
    const n = st.count(skb, env.conntrack, (addr >>> 0) * 65536 + zone);
    if (n === 0) {
      env.hotdrop = 1;
      return false;
    }
    return n > d.limit !== ((d.flags & F_INVERT) !== 0);
  },
};

