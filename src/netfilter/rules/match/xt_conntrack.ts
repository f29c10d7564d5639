// `-m conntrack` (revision 3) and `-m state`: parse/print as libxt_conntrack.c, evaluate as
// net/netfilter/xt_conntrack.c conntrack_mt (state bits from ctinfo plus the virtual SNAT/DNAT bits, INVALID
// without an entry, UNTRACKED for notrack; every option but --ctstate fails without an entry).

import type { Ip6Prefix } from '../ast.js';
import { Family } from '../ast.js';
import type { MatchModule, OptionUse, ParseContext } from '../module.js';
import type { Skb } from '../../skb.js';
import { CtStatus } from '../../skb.js';
import { badValue, missing, noState, portRangeOr, uintRangeOr } from '../mod-util.js';
import { parseIpv4Numeric, parseIpv6Net } from '../addr.js';
import { formatIpv4, maskToPrefix, prefixMask } from '../../../util/ipv4.js';
import { parseUint, rangeText } from '../values.js';
import { parseProtocol } from '../names.js';

/** XT_CONNTRACK_* match/invert flag bits. */
export const CtFlag = {
  STATE: 1 << 0,
  PROTO: 1 << 1,
  ORIGSRC: 1 << 2,
  ORIGDST: 1 << 3,
  REPLSRC: 1 << 4,
  REPLDST: 1 << 5,
  STATUS: 1 << 6,
  EXPIRES: 1 << 7,
  ORIGSRC_PORT: 1 << 8,
  ORIGDST_PORT: 1 << 9,
  REPLSRC_PORT: 1 << 10,
  REPLDST_PORT: 1 << 11,
  DIRECTION: 1 << 12,
} as const;

/** XT_CONNTRACK_STATE_* bits: INVALID, the ctinfo bits, UNTRACKED and the virtual SNAT/DNAT. */
export const CtState = {
  INVALID: 1 << 0,
  ESTABLISHED: 1 << 1,
  RELATED: 1 << 2,
  NEW: 1 << 3,
  UNTRACKED: 1 << 4,
  SNAT: 1 << 5,
  DNAT: 1 << 6,
} as const;

const STATE_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['INVALID', CtState.INVALID],
  ['NEW', CtState.NEW],
  ['ESTABLISHED', CtState.ESTABLISHED],
  ['RELATED', CtState.RELATED],
  ['UNTRACKED', CtState.UNTRACKED],
  ['SNAT', CtState.SNAT],
  ['DNAT', CtState.DNAT],
];
const STATE_PRINT_ORDER = ['INVALID', 'NEW', 'RELATED', 'ESTABLISHED', 'UNTRACKED', 'SNAT', 'DNAT'];

const STATUS_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['NONE', 0],
  ['EXPECTED', CtStatus.EXPECTED],
  ['SEEN_REPLY', CtStatus.SEEN_REPLY],
  ['ASSURED', CtStatus.ASSURED],
  ['CONFIRMED', CtStatus.CONFIRMED],
];

/** One tuple address test: value (not masked, as iptables stores it), mask, and the IPv6 form. */
export interface CtAddr {
  addr: number;
  mask: number;
  addr6: Ip6Prefix | null;
}

/** struct xt_conntrack_mtinfo3. */
export interface ConntrackData {
  matchFlags: number;
  invertFlags: number;
  stateMask: number;
  statusMask: number;
  l4proto: number;
  origSrc: CtAddr;
  origDst: CtAddr;
  replSrc: CtAddr;
  replDst: CtAddr;
  /** [lo, hi] per port option: origsrc, origdst, replsrc, repldst. */
  ports: [number, number, number, number, number, number, number, number];
  expiresMin: number;
  expiresMax: number;
  /** Printed as `state` (the -m state alias) rather than `ctstate`. */
  stateAlias: boolean;
}

/** Parse a comma list of names by case-insensitive prefix (conntrack_ps_state's strncasecmp). */
function parseNameList(ctx: ParseContext, arg: string, names: ReadonlyArray<readonly [string, number]>, what: string): number {
  let mask = 0;
  for (const part of arg.split(',')) {
    if (part === '') badValue(ctx, `Bad ${what} "${arg}"`);
    const hit = names.find(([n]) => n.toLowerCase().startsWith(part.toLowerCase()));
    if (hit === undefined) badValue(ctx, `Bad ${what} "${part}"`);
    mask |= hit[1];
  }
  return mask;
}

/** ctstate list text in iptables' print order. */
export function stateText(mask: number): string {
  return STATE_PRINT_ORDER.filter((n) => (mask & STATE_NAMES.find(([s]) => s === n)![1]) !== 0).join(',');
}

function statusText(mask: number): string {
  const l = STATUS_NAMES.slice(1).filter(([, b]) => (mask & b) !== 0).map(([n]) => n);
  return l.length === 0 ? 'NONE' : l.join(',');
}

/** XTTYPE_HOSTMASK: address and prefix mask, address kept as written (not masked). */
function parseHostMask(ctx: ParseContext, arg: string): CtAddr {
  if (ctx.family === Family.IPV6) {
    const r = parseIpv6Net(arg);
    if (typeof r === 'string') badValue(ctx, r);
    return { addr: 0, mask: 0, addr6: r };
  }
  const slash = arg.indexOf('/');
  const a = slash < 0 ? arg : arg.slice(0, slash);
  const addr = parseIpv4Numeric(a);
  if (addr < 0) badValue(ctx, `host/network \`${a}' not found`);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = arg.slice(slash + 1);
    if (m.includes('.')) {
      const dm = parseIpv4Numeric(m, true);
      if (dm < 0 || maskToPrefix(dm) < 0) badValue(ctx, `bad mask \`${m}'`);
      mask = dm;
    } else {
      const bits = parseUint(m, 0, 32);
      if (bits < 0) badValue(ctx, `bad prefix length \`${m}' (0-32)`);
      mask = prefixMask(bits);
    }
  }
  return { addr, mask: mask >>> 0, addr6: null };
}

function addrText(a: CtAddr, family: number): string {
  if (family === Family.IPV6 && a.addr6 !== null) return a.addr6.len === 128 ? a.addr6.text : `${a.addr6.text}/${a.addr6.len}`;
  const len = maskToPrefix(a.mask);
  if (len === 32) return formatIpv4(a.addr);
  return len >= 0 ? `${formatIpv4(a.addr)}/${len}` : `${formatIpv4(a.addr)}/${formatIpv4(a.mask)}`;
}

const NO_ADDR: CtAddr = { addr: 0, mask: 0, addr6: null };

const OPTS = [
  'ctstate', 'ctproto', 'ctorigsrc', 'ctorigdst', 'ctreplsrc', 'ctrepldst', 'ctstatus', 'ctexpire',
  'ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport', 'ctdir',
] as const;
const FLAG_OF: readonly number[] = [
  CtFlag.STATE, CtFlag.PROTO, CtFlag.ORIGSRC, CtFlag.ORIGDST, CtFlag.REPLSRC, CtFlag.REPLDST, CtFlag.STATUS,
  CtFlag.EXPIRES, CtFlag.ORIGSRC_PORT, CtFlag.ORIGDST_PORT, CtFlag.REPLSRC_PORT, CtFlag.REPLDST_PORT, CtFlag.DIRECTION,
];

function initData(): ConntrackData {
  return {
    matchFlags: 0,
    invertFlags: 0,
    stateMask: 0,
    statusMask: 0,
    l4proto: 0,
    origSrc: NO_ADDR,
    origDst: NO_ADDR,
    replSrc: NO_ADDR,
    replDst: NO_ADDR,
    ports: [0, 0, 0, 0, 0, 0, 0, 0],
    expiresMin: 0,
    expiresMax: 0,
    stateAlias: false,
  };
}

function parseOpt(d: ConntrackData, o: OptionUse, ctx: ParseContext): void {
  const flag = FLAG_OF[o.id]!;
  d.matchFlags |= flag;
  if (o.invert) d.invertFlags |= flag;
  switch (OPTS[o.id]) {
    case 'ctstate':
      d.stateMask |= parseNameList(ctx, o.value, STATE_NAMES, 'ctstate');
      break;
    case 'ctproto': {
      const p = parseProtocol(o.value);
      if (p < 0) badValue(ctx, `unknown protocol "${o.value}" specified`);
      if (p === 0) badValue(ctx, 'conntrack: rule would never match protocol');
      d.l4proto = p;
      break;
    }
    case 'ctorigsrc':
      d.origSrc = parseHostMask(ctx, o.value);
      break;
    case 'ctorigdst':
      d.origDst = parseHostMask(ctx, o.value);
      break;
    case 'ctreplsrc':
      d.replSrc = parseHostMask(ctx, o.value);
      break;
    case 'ctrepldst':
      d.replDst = parseHostMask(ctx, o.value);
      break;
    case 'ctstatus':
      d.statusMask |= parseNameList(ctx, o.value, STATUS_NAMES, 'ctstatus');
      break;
    case 'ctexpire': {
      const [lo, hi] = uintRangeOr(ctx, o.value, 0, 0xffffffff);
      d.expiresMin = lo;
      d.expiresMax = hi;
      break;
    }
    case 'ctorigsrcport':
    case 'ctorigdstport':
    case 'ctreplsrcport':
    case 'ctrepldstport': {
      const [lo, hi] = portRangeOr(ctx, o.value, null);
      const k = (o.id - 8) * 2;
      d.ports[k] = lo;
      d.ports[k + 1] = hi;
      break;
    }
    case 'ctdir':
      if (o.value.toUpperCase() === 'ORIGINAL') d.invertFlags &= ~CtFlag.DIRECTION;
      else if (o.value.toUpperCase() === 'REPLY') d.invertFlags |= CtFlag.DIRECTION;
      else badValue(ctx, `Bad value for "--ctdir" option: "${o.value}"`);
      break;
  }
}

function printData(d: ConntrackData, family: number): string {
  const out: string[] = [];
  const inv = (f: number): string => ((d.invertFlags & f) !== 0 ? '! ' : '');
  const has = (f: number): boolean => (d.matchFlags & f) !== 0;
  if (has(CtFlag.STATE)) out.push(`${inv(CtFlag.STATE)}--${d.stateAlias ? 'state' : 'ctstate'} ${stateText(d.stateMask)}`);
  if (has(CtFlag.PROTO)) out.push(`${inv(CtFlag.PROTO)}--ctproto ${d.l4proto}`);
  if (has(CtFlag.ORIGSRC)) out.push(`${inv(CtFlag.ORIGSRC)}--ctorigsrc ${addrText(d.origSrc, family)}`);
  if (has(CtFlag.ORIGDST)) out.push(`${inv(CtFlag.ORIGDST)}--ctorigdst ${addrText(d.origDst, family)}`);
  if (has(CtFlag.REPLSRC)) out.push(`${inv(CtFlag.REPLSRC)}--ctreplsrc ${addrText(d.replSrc, family)}`);
  if (has(CtFlag.REPLDST)) out.push(`${inv(CtFlag.REPLDST)}--ctrepldst ${addrText(d.replDst, family)}`);
  const portNames = ['ctorigsrcport', 'ctorigdstport', 'ctreplsrcport', 'ctrepldstport'];
  for (let k = 0; k < 4; k++) {
    const f = FLAG_OF[8 + k]!;
    if (has(f)) {
      const lo = d.ports[k * 2]!;
      const hi = d.ports[k * 2 + 1]!;
      out.push(`${inv(f)}--${portNames[k]} ${hi === 0 ? String(lo) : rangeText(lo, hi)}`);
    }
  }
  if (has(CtFlag.STATUS)) out.push(`${inv(CtFlag.STATUS)}--ctstatus ${statusText(d.statusMask)}`);
  if (has(CtFlag.EXPIRES)) out.push(`${inv(CtFlag.EXPIRES)}--ctexpire ${rangeText(d.expiresMin, d.expiresMax)}`);
  if (has(CtFlag.DIRECTION)) out.push(`--ctdir ${(d.invertFlags & CtFlag.DIRECTION) !== 0 ? 'REPLY' : 'ORIGINAL'}`);
  return out.join(' ');
}

/** HOT: XT_CONNTRACK_STATE_BIT of the packet, plus SNAT/DNAT from the entry's status. */
export function packetStateBits(skb: Skb, withNat: boolean): number {
  if (skb.untracked !== 0) return CtState.UNTRACKED;
  if (skb.ct < 0) return CtState.INVALID;
  let bits = 1 << ((skb.ctInfo % 3) + 1);
  if (withNat) {
    if ((skb.ctStatus & CtStatus.SRC_NAT) !== 0) bits |= CtState.SNAT;
    if ((skb.ctStatus & CtStatus.DST_NAT) !== 0) bits |= CtState.DNAT;
  }
  return bits;
}

function addrHit(k: number, a: CtAddr): boolean {
  return ((k & a.mask) >>> 0) === a.addr;
}

function portHit(lo: number, hi: number, port: number, inv: boolean): boolean {
  return (port >= lo && port <= hi) !== inv;
}

/** HOT: conntrack_mt (revision 3). */
function conntrackMatch(d: ConntrackData, skb: Skb): boolean {
  const mf = d.matchFlags;
  const inv = d.invertFlags;
  if ((mf & CtFlag.STATE) !== 0) {
    const bits = packetStateBits(skb, true);
    if (((d.stateMask & bits) !== 0) === ((inv & CtFlag.STATE) !== 0)) return false;
  }
  if (skb.ct < 0 || skb.untracked !== 0) return (mf & CtFlag.STATE) !== 0;
  if ((mf & CtFlag.DIRECTION) !== 0 && (skb.ctInfo < 3) === ((inv & CtFlag.DIRECTION) !== 0)) return false;
  if ((mf & CtFlag.ORIGSRC) !== 0 && addrHit(skb.ctOrigSrc, d.origSrc) === ((inv & CtFlag.ORIGSRC) !== 0)) return false;
  if ((mf & CtFlag.ORIGDST) !== 0 && addrHit(skb.ctOrigDst, d.origDst) === ((inv & CtFlag.ORIGDST) !== 0)) return false;
  if ((mf & CtFlag.REPLSRC) !== 0 && addrHit(skb.ctReplSrc, d.replSrc) === ((inv & CtFlag.REPLSRC) !== 0)) return false;
  if ((mf & CtFlag.REPLDST) !== 0 && addrHit(skb.ctReplDst, d.replDst) === ((inv & CtFlag.REPLDST) !== 0)) return false;
  if ((mf & CtFlag.PROTO) !== 0 && (skb.ctProto === d.l4proto) === ((inv & CtFlag.PROTO) !== 0)) return false;
  const p = d.ports;
  if ((mf & CtFlag.ORIGSRC_PORT) !== 0 && !portHit(p[0], p[1], skb.ctOrigSport, (inv & CtFlag.ORIGSRC_PORT) !== 0)) return false;
  if ((mf & CtFlag.ORIGDST_PORT) !== 0 && !portHit(p[2], p[3], skb.ctOrigDport, (inv & CtFlag.ORIGDST_PORT) !== 0)) return false;
  if ((mf & CtFlag.REPLSRC_PORT) !== 0 && !portHit(p[4], p[5], skb.ctReplSport, (inv & CtFlag.REPLSRC_PORT) !== 0)) return false;
  if ((mf & CtFlag.REPLDST_PORT) !== 0 && !portHit(p[6], p[7], skb.ctReplDport, (inv & CtFlag.REPLDST_PORT) !== 0)) return false;
  if ((mf & CtFlag.STATUS) !== 0 && ((d.statusMask & skb.ctStatus) !== 0) === ((inv & CtFlag.STATUS) !== 0)) return false;
  if ((mf & CtFlag.EXPIRES) !== 0) {
    const left = skb.ctExpiresNs - skb.nowNs;
    // nf_ct_expires(ct) / HZ: whole seconds left, never negative
    const secs = left > 0 ? Math.floor(left / 1e9) : 0;
    if ((secs >= d.expiresMin && secs <= d.expiresMax) === ((inv & CtFlag.EXPIRES) !== 0)) return false;
  }
  return true;
}

export const conntrackMatchModule: MatchModule<ConntrackData, null> = {
  kind: 'match',
  name: 'conntrack',
  family: 0,
  options: OPTS.map((name) => ({ name, args: 1 as const, invert: name !== 'ctdir' })),
  init: initData,
  parse: parseOpt,
  finish(d, ctx) {
    if (d.matchFlags === 0) missing(ctx, 'At least one option is required');
  },
  print: (d, ctx) => printData(d, ctx.family),
  createState: noState,
  match: (d, skb) => conntrackMatch(d, skb),
};

/** `-m state --state LIST` (libxt_state.c; the same state bits without SNAT/DNAT). */
export const stateMatchModule: MatchModule<ConntrackData, null> = {
  kind: 'match',
  name: 'state',
  family: 0,
  options: [{ name: 'state', args: 1, invert: true }],
  init: () => ({ ...initData(), stateAlias: true }),
  parse(d, o, ctx) {
    d.matchFlags |= CtFlag.STATE;
    if (o.invert) d.invertFlags |= CtFlag.STATE;
    d.stateMask |= parseNameList(ctx, o.value, STATE_NAMES.slice(0, 5), 'state');
  },
  finish(d, ctx) {
    if (d.matchFlags === 0) missing(ctx, 'option "--state" must be specified');
  },
  print: (d) => `${(d.invertFlags & CtFlag.STATE) !== 0 ? '! ' : ''}--state ${stateText(d.stateMask)}`,
  createState: noState,
  // HOT
  match(d, skb) {
    return ((d.stateMask & packetStateBits(skb, false)) !== 0) !== ((d.invertFlags & CtFlag.STATE) !== 0);
  },
};
