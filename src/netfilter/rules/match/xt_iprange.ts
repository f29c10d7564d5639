// `-m iprange --src-range/--dst-range a[-b]` (revision 1, IPv4 evaluation): inclusive host-order ranges
// (libxt_iprange.c iprange_parse_range; net/netfilter/xt_iprange.c iprange_mt4).

import type { MatchModule, ParseContext } from '../module.js';
import { Family } from '../ast.js';
import { badValue, missing, noState } from '../mod-util.js';
import { parseIpv4Numeric, canonicalIpv6 } from '../addr.js';
import { formatIpv4 } from '../../../util/ipv4.js';

/** IPRANGE_* flag bits. */
export const IprangeFlag = { SRC: 0x01, DST: 0x02, SRC_INV: 0x10, DST_INV: 0x20 } as const;

/** struct xt_iprange_mtinfo (IPv4 numbers; IPv6 ends kept as text). */
export interface IprangeData {
  flags: number;
  srcMin: number;
  srcMax: number;
  dstMin: number;
  dstMax: number;
  src6: [string, string] | null;
  dst6: [string, string] | null;
}

function parseRange(ctx: ParseContext, arg: string): [number, number, string, string] {
  const dash = arg.indexOf('-');
  const a = dash < 0 ? arg : arg.slice(0, dash);
  const b = dash < 0 ? arg : arg.slice(dash + 1);
  if (ctx.family === Family.IPV6) {
    const x = canonicalIpv6(a);
    const y = canonicalIpv6(b);
    if (x === null || y === null) badValue(ctx, `iprange: bad address range \`${arg}'`);
    return [0, 0, x, y];
  }
  const lo = parseIpv4Numeric(a);
  const hi = parseIpv4Numeric(b);
  if (lo < 0) badValue(ctx, `iprange: bad address \`${a}'`);
  if (hi < 0) badValue(ctx, `iprange: bad address \`${b}'`);
  return [lo, hi, '', ''];
}

export const iprangeMatch: MatchModule<IprangeData, null> = {
  kind: 'match',
  name: 'iprange',
  family: 0,
  options: [
    { name: 'src-range', args: 1, invert: true },
    { name: 'dst-range', args: 1, invert: true },
  ],
  init: () => ({ flags: 0, srcMin: 0, srcMax: 0, dstMin: 0, dstMax: 0, src6: null, dst6: null }),
  parse(d, o, ctx) {
    const [lo, hi, lo6, hi6] = parseRange(ctx, o.value);
    if (o.id === 0) {
      d.flags |= IprangeFlag.SRC | (o.invert ? IprangeFlag.SRC_INV : 0);
      d.srcMin = lo;
      d.srcMax = hi;
      if (lo6 !== '') d.src6 = [lo6, hi6];
    } else {
      d.flags |= IprangeFlag.DST | (o.invert ? IprangeFlag.DST_INV : 0);
      d.dstMin = lo;
      d.dstMax = hi;
      if (lo6 !== '') d.dst6 = [lo6, hi6];
    }
  },
  finish(d, ctx) {
    if ((d.flags & (IprangeFlag.SRC | IprangeFlag.DST)) === 0) missing(ctx, "iprange match: You must specify `--src-range' or `--dst-range'");
  },
  print(d, ctx) {
    const six = ctx.family === Family.IPV6;
    let s = '';
    if ((d.flags & IprangeFlag.SRC) !== 0) {
      const r = six && d.src6 !== null ? `${d.src6[0]}-${d.src6[1]}` : `${formatIpv4(d.srcMin)}-${formatIpv4(d.srcMax)}`;
      s += `${(d.flags & IprangeFlag.SRC_INV) !== 0 ? ' !' : ''} --src-range ${r}`;
    }
    if ((d.flags & IprangeFlag.DST) !== 0) {
      const r = six && d.dst6 !== null ? `${d.dst6[0]}-${d.dst6[1]}` : `${formatIpv4(d.dstMin)}-${formatIpv4(d.dstMax)}`;
      s += `${(d.flags & IprangeFlag.DST_INV) !== 0 ? ' !' : ''} --dst-range ${r}`;
    }
    return s.slice(1);
  },
  createState: noState,
  // HOT: iprange_mt4
  match(d, skb) {
    const m = skb.meta;
    if ((d.flags & IprangeFlag.SRC) !== 0) {
      const out = m.saddr < d.srcMin || m.saddr > d.srcMax;
      if (out !== ((d.flags & IprangeFlag.SRC_INV) !== 0)) return false;
    }
    if ((d.flags & IprangeFlag.DST) !== 0) {
      const out = m.daddr < d.dstMin || m.daddr > d.dstMax;
      if (out !== ((d.flags & IprangeFlag.DST_INV) !== 0)) return false;
    }
    return true;
  },
};
