// `-m addrtype` (revision 1): route type of the source/destination address from the FIB, optionally looked
// up on the input/output device only (libxt_addrtype.c; net/netfilter/xt_addrtype.c addrtype_mt_v1 and
// addrtype_mt_checkentry_v1). The host model answers the lookup (RuleHost.addrType).

import type { MatchModule } from '../module.js';
import { HookBit } from '../module.js';
import { Family } from '../ast.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { NONE } from '../../skb.js';

/** rtn_names[]: bit i is RTN type i (AddrType in skb.ts). */
export const RTN_NAMES = [
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
] as const;

/** XT_ADDRTYPE_* flags of xt_addrtype_info_v1. */
export const AddrtypeFlag = { INVERT_SOURCE: 0x1, INVERT_DEST: 0x2, LIMIT_IFACE_IN: 0x4, LIMIT_IFACE_OUT: 0x8 } as const;

/** struct xt_addrtype_info_v1. */
export interface AddrtypeData {
  /** Masks of 1 << RTN_x; 0 = not tested. */
  source: number;
  dest: number;
  flags: number;
  given: number;
}

function parseTypes(s: string, fail: (m: string) => never): number {
  let mask = 0;
  for (const part of s.split(',')) {
    const i = part === '' ? -1 : RTN_NAMES.findIndex((n) => n.toLowerCase().startsWith(part.toLowerCase()));
    if (i < 0) fail(`addrtype: invalid address type \`${part}'`);
    mask |= 1 << i;
  }
  return mask;
}

function typesText(mask: number): string {
  return RTN_NAMES.filter((_, i) => (mask & (1 << i)) !== 0).join(',');
}

export const addrtypeMatch: MatchModule<AddrtypeData, null> = {
  kind: 'match',
  name: 'addrtype',
  family: 0,
  options: [
    { name: 'src-type', args: 1, invert: true },
    { name: 'dst-type', args: 1, invert: true },
    { name: 'limit-iface-in', args: 0 },
    { name: 'limit-iface-out', args: 0 },
  ],
  init: () => ({ source: 0, dest: 0, flags: 0, given: 0 }),
  parse(d, o, ctx) {
    const fail = (m: string): never => badValue(ctx, m);
    d.given |= 1 << o.id;
    switch (o.id) {
      case 0:
        d.source = parseTypes(o.value, fail);
        if (o.invert) d.flags |= AddrtypeFlag.INVERT_SOURCE;
        break;
      case 1:
        d.dest = parseTypes(o.value, fail);
        if (o.invert) d.flags |= AddrtypeFlag.INVERT_DEST;
        break;
      case 2:
        d.flags |= AddrtypeFlag.LIMIT_IFACE_IN;
        break;
      case 3:
        d.flags |= AddrtypeFlag.LIMIT_IFACE_OUT;
        break;
    }
  },
  finish(d, ctx) {
    if ((d.given & 3) === 0) missing(ctx, 'you must specify --src-type or --dst-type');
    if ((d.flags & AddrtypeFlag.LIMIT_IFACE_IN) !== 0 && (d.flags & AddrtypeFlag.LIMIT_IFACE_OUT) !== 0) {
      conflict(ctx, "you can't specify both --limit-iface-in and --limit-iface-out");
    }
  },
  check(d, ctx) {
    if ((ctx.hookMask & (HookBit.PRE_ROUTING | HookBit.LOCAL_IN)) !== 0 && (d.flags & AddrtypeFlag.LIMIT_IFACE_OUT) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'addrtype match: output interface limitation not valid in PREROUTING and INPUT');
    }
    if ((ctx.hookMask & (HookBit.POST_ROUTING | HookBit.LOCAL_OUT)) !== 0 && (d.flags & AddrtypeFlag.LIMIT_IFACE_IN) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'addrtype match: input interface limitation not valid in POSTROUTING and OUTPUT');
    }
    if (ctx.family === Family.IPV6) {
      const bad = (1 << 6) | (1 << 8) | (1 << 7); // BLACKHOLE, PROHIBIT, UNREACHABLE
      if (((d.source | d.dest) & bad) !== 0) ctx.error(IssueCode.BAD_VALUE, 'addrtype match: ipv6 BLACKHOLE/PROHIBIT/UNREACHABLE matching not supported');
      if (((d.source | d.dest) & (1 << 3)) !== 0) ctx.error(IssueCode.BAD_VALUE, 'addrtype match: ipv6 does not support BROADCAST matching');
    }
  },
  print(d) {
    let s = '';
    if (d.source !== 0) s += `${(d.flags & AddrtypeFlag.INVERT_SOURCE) !== 0 ? ' !' : ''} --src-type ${typesText(d.source)}`;
    if (d.dest !== 0) s += `${(d.flags & AddrtypeFlag.INVERT_DEST) !== 0 ? ' !' : ''} --dst-type ${typesText(d.dest)}`;
    if ((d.flags & AddrtypeFlag.LIMIT_IFACE_IN) !== 0) s += ' --limit-iface-in';
    if ((d.flags & AddrtypeFlag.LIMIT_IFACE_OUT) !== 0) s += ' --limit-iface-out';
    return s.slice(1);
  },
  createState: noState,
  // HOT: addrtype_mt_v1 (IPv4)
  match(d, skb, env) {
    const dev = (d.flags & AddrtypeFlag.LIMIT_IFACE_IN) !== 0 ? skb.inIf : (d.flags & AddrtypeFlag.LIMIT_IFACE_OUT) !== 0 ? skb.outIf : NONE;
    if (d.source !== 0) {
      const hit = (d.source & env.host.addrType(skb.meta.saddr, dev)) !== 0;
      if (hit === ((d.flags & AddrtypeFlag.INVERT_SOURCE) !== 0)) return false;
    }
    if (d.dest !== 0) {
      const hit = (d.dest & env.host.addrType(skb.meta.daddr, dev)) !== 0;
      if (hit === ((d.flags & AddrtypeFlag.INVERT_DEST) !== 0)) return false;
    }
    return true;
  },
};
