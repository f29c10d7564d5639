// `-m policy --dir in|out --pol none|ipsec [--strict] [[!] --reqid N] [[!] --spi N] [[!] --proto P]
// [[!] --mode M] [[!] --tunnel-src A] [[!] --tunnel-dst A] [--next ...]` (libxt_policy.c; net/netfilter/
// xt_policy.c policy_mt). The host model has no IPsec: no packet carries a secpath or an xfrm route, so
// policy_mt's "no policy" answer holds for every packet: `--pol none` matches, `--pol ipsec` does not.

import type { MatchModule, ParseContext } from '../module.js';
import { HookBit } from '../module.js';
import { Family } from '../ast.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, noState, uintOr } from '../mod-util.js';
import { formatIpv6Net, parseIpv4Net, parseIpv6Net } from '../addr.js';
import { parseProtocol, protocolName } from '../names.js';
import { formatIpv4, maskToPrefix } from '../../../util/ipv4.js';

/** XT_POLICY_MATCH_* flags. */
export const PolicyFlag = { IN: 0x1, OUT: 0x2, NONE: 0x4, STRICT: 0x8 } as const;
/** XT_POLICY_MAX_ELEM. */
const MAX_ELEM = 4;
const AH = 51;
const ESP = 50;
const COMP = 108;

/** One policy element; the optional fields are null when not given, `inv*` is the `!` before them. */
export interface PolicyElem {
  reqid: number | null;
  spi: number | null;
  proto: number | null;
  /** 0 transport, 1 tunnel. */
  mode: number | null;
  /** Printed form of the tunnel addresses (address and mask as iptables-save writes them). */
  tunnelSrc: string | null;
  tunnelDst: string | null;
  invReqid: boolean;
  invSpi: boolean;
  invProto: boolean;
  invMode: boolean;
  invSrc: boolean;
  invDst: boolean;
}

export interface PolicyData {
  flags: number;
  /** Every element given; the last is the one `--next` has not closed. */
  elems: PolicyElem[];
  strictGiven: boolean;
  nextGiven: boolean;
}

function elem(): PolicyElem {
  return { reqid: null, spi: null, proto: null, mode: null, tunnelSrc: null, tunnelDst: null, invReqid: false, invSpi: false, invProto: false, invMode: false, invSrc: false, invDst: false };
}

/** Does the element name anything to match (reqid, spi, proto, mode or a tunnel address)? */
function hasSelector(e: PolicyElem): boolean {
  return e.reqid !== null || e.spi !== null || e.proto !== null || e.mode !== null || e.tunnelSrc !== null || e.tunnelDst !== null;
}

/** xtables_ipaddr_to_numeric + xtables_ipmask_to_numeric (nothing for a host mask), or the IPv6 forms. */
function tunnelAddr(ctx: ParseContext, s: string): string {
  if (ctx.family === Family.IPV6) {
    const p = parseIpv6Net(s);
    if (typeof p === 'string') badValue(ctx, p);
    return p.len === 128 ? p.text : formatIpv6Net(p);
  }
  const n = parseIpv4Net(s);
  if (typeof n === 'string') badValue(ctx, n);
  const len = maskToPrefix(n.mask);
  return len === 32 ? formatIpv4(n.addr) : len >= 0 ? `${formatIpv4(n.addr)}/${len}` : `${formatIpv4(n.addr)}/${formatIpv4(n.mask)}`;
}

const OPTS = ['dir', 'pol', 'strict', 'reqid', 'spi', 'tunnel-src', 'tunnel-dst', 'proto', 'mode', 'next'] as const;

export const policyMatch: MatchModule<PolicyData, null> = {
  kind: 'match',
  name: 'policy',
  family: 0,
  options: OPTS.map((name) => ({
    name,
    args: name === 'strict' || name === 'next' ? (0 as const) : (1 as const),
    invert: !['dir', 'pol', 'strict', 'next'].includes(name),
    multi: !['dir', 'pol', 'strict'].includes(name),
  })),
  init: () => ({ flags: 0, elems: [elem()], strictGiven: false, nextGiven: false }),
  parse(d, o, ctx) {
    const e = d.elems[d.elems.length - 1]!;
    const twice = (given: boolean, name: string): void => {
      if (given) conflict(ctx, `policy match: double --${name} option`);
    };
    switch (OPTS[o.id]) {
      case 'dir':
        if (o.value === 'in') d.flags |= PolicyFlag.IN;
        else if (o.value === 'out') d.flags |= PolicyFlag.OUT;
        else badValue(ctx, `policy_match: invalid dir "${o.value}"`);
        break;
      case 'pol':
        if (o.value === 'none') d.flags |= PolicyFlag.NONE;
        else if (o.value !== 'ipsec') badValue(ctx, `policy match: invalid policy "${o.value}"`);
        break;
      case 'strict':
        d.flags |= PolicyFlag.STRICT;
        d.strictGiven = true;
        break;
      case 'reqid':
        twice(e.reqid !== null, 'reqid');
        e.reqid = uintOr(ctx, o.value, 0, 0xffffffff, 'reqid');
        e.invReqid = o.invert;
        break;
      case 'spi':
        twice(e.spi !== null, 'spi');
        e.spi = uintOr(ctx, o.value, 0, 0xffffffff, 'spi');
        e.invSpi = o.invert;
        break;
      case 'tunnel-src':
        twice(e.tunnelSrc !== null, 'tunnel-src');
        e.tunnelSrc = tunnelAddr(ctx, o.value);
        e.invSrc = o.invert;
        break;
      case 'tunnel-dst':
        twice(e.tunnelDst !== null, 'tunnel-dst');
        e.tunnelDst = tunnelAddr(ctx, o.value);
        e.invDst = o.invert;
        break;
      case 'proto': {
        twice(e.proto !== null, 'proto');
        const p = parseProtocol(o.value);
        if (p !== AH && p !== ESP && p !== COMP) badValue(ctx, 'policy match: protocol must be ah/esp/ipcomp');
        e.proto = p;
        e.invProto = o.invert;
        break;
      }
      case 'mode':
        twice(e.mode !== null, 'mode');
        if (o.value === 'transport') e.mode = 0;
        else if (o.value === 'tunnel') e.mode = 1;
        else badValue(ctx, `policy match: invalid mode "${o.value}"`);
        e.invMode = o.invert;
        break;
      case 'next':
        d.nextGiven = true;
        if (d.elems.length === MAX_ELEM) conflict(ctx, 'policy match: maximum policy depth reached');
        d.elems.push(elem());
        break;
    }
  },
  finish(d, ctx) {
    if (d.nextGiven && !d.strictGiven) missing(ctx, 'option "--next" also requires "--strict"');
    if ((d.flags & (PolicyFlag.IN | PolicyFlag.OUT)) === 0) missing(ctx, 'policy match: neither --dir in nor --dir out specified');
    if ((d.flags & PolicyFlag.NONE) !== 0) {
      if ((d.flags & PolicyFlag.STRICT) !== 0) conflict(ctx, 'policy match: policy none but --strict given');
      if (d.elems.length > 1 || hasSelector(d.elems[0]!)) conflict(ctx, 'policy match: policy none but policy given');
      d.elems = [];
      return;
    }
    d.elems.forEach((e, i) => {
      if ((d.flags & PolicyFlag.STRICT) !== 0 && !hasSelector(e)) {
        missing(ctx, `policy match: empty policy element ${i}. --strict is in effect, but at least one of reqid, spi, tunnel-src, tunnel-dst, proto or mode is required.`);
      }
      // an unset mode is transport (0), where tunnel addresses mean nothing
      const tunnel = (e.mode ?? 0) === 1 ? !e.invMode : e.invMode;
      if ((e.tunnelSrc !== null || e.tunnelDst !== null) && !tunnel) conflict(ctx, 'policy match: --tunnel-src/--tunnel-dst is only valid in tunnel mode');
    });
  },
  check(d, ctx) {
    if ((d.flags & PolicyFlag.IN) !== 0 && (ctx.hookMask & (HookBit.POST_ROUTING | HookBit.LOCAL_OUT)) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'policy match: input policy not valid in POSTROUTING and OUTPUT');
    }
    if ((d.flags & PolicyFlag.OUT) !== 0 && (ctx.hookMask & (HookBit.PRE_ROUTING | HookBit.LOCAL_IN)) !== 0) {
      ctx.error(IssueCode.WRONG_HOOK, 'policy match: output policy not valid in PREROUTING and INPUT');
    }
  },
  print(d) {
    let s = (d.flags & PolicyFlag.IN) !== 0 ? '--dir in' : '--dir out';
    s += (d.flags & PolicyFlag.NONE) !== 0 ? ' --pol none' : ' --pol ipsec';
    if ((d.flags & PolicyFlag.STRICT) !== 0) s += ' --strict';
    const inv = (b: boolean): string => (b ? ' !' : '');
    d.elems.forEach((e, i) => {
      if (e.reqid !== null) s += `${inv(e.invReqid)} --reqid ${e.reqid}`;
      if (e.spi !== null) s += `${inv(e.invSpi)} --spi 0x${e.spi.toString(16)}`;
      if (e.proto !== null) s += `${inv(e.invProto)} --proto ${protocolName(e.proto)}`;
      if (e.mode !== null) s += `${inv(e.invMode)} --mode ${e.mode === 1 ? 'tunnel' : 'transport'}`;
      if (e.tunnelDst !== null) s += `${inv(e.invDst)} --tunnel-dst ${e.tunnelDst}`;
      if (e.tunnelSrc !== null) s += `${inv(e.invSrc)} --tunnel-src ${e.tunnelSrc}`;
      if (i + 1 < d.elems.length) s += ' --next';
    });
    return s;
  },
  createState: noState,
  // HOT: policy_mt without a secpath (in) or an xfrm route (out): only "no policy" matches
  match: (d) => (d.flags & PolicyFlag.NONE) !== 0,
};
