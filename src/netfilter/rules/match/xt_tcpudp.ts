// `-m tcp` and `-m udp`: port ranges, TCP flags and TCP options (libxt_tcp.c / libxt_udp.c for the text,
// net/netfilter/xt_tcpudp.c tcp_mt/udp_mt for evaluation: fragments never match, a TCP fragment at offset 1
// and a header that cannot be read are hot-dropped).

import type { MatchModule, OptionSpec, OptionUse, ParseContext } from '../module.js';
import type { Skb } from '../../skb.js';
import { IpProto } from '../../../decode/meta.js';
import { badValue, conflict, noState, portRangeOr } from '../mod-util.js';
import { parseUint, rangeText } from '../values.js';

/** XT_TCP_INV_* / XT_UDP_INV_* bits. */
export const TcpInv = { SRCPT: 0x01, DSTPT: 0x02, FLAGS: 0x04, OPTION: 0x08 } as const;

/** struct xt_tcp plus which options were given (for the "only one" checks). */
export interface TcpData {
  sptLo: number;
  sptHi: number;
  dptLo: number;
  dptHi: number;
  /** TCP option kind to look for (0 = none). */
  option: number;
  flgMask: number;
  flgCmp: number;
  inv: number;
  given: number;
}

/** struct xt_udp. */
export interface UdpData {
  sptLo: number;
  sptHi: number;
  dptLo: number;
  dptHi: number;
  inv: number;
  given: number;
}

/** tcp_flag_names[] in print order. */
const TCP_FLAG_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
  ['ALL', 0x3f],
  ['NONE', 0],
];

/** parse_tcp_flag: comma-separated case-insensitive names; returns the bits or fails. */
export function parseTcpFlags(ctx: ParseContext, s: string): number {
  let bits = 0;
  for (const part of s.split(',')) {
    const hit = TCP_FLAG_NAMES.find(([n]) => n.toLowerCase() === part.toLowerCase());
    if (hit === undefined) badValue(ctx, `Unknown TCP flag \`${part}'`);
    bits |= hit[1];
  }
  return bits;
}

/** print_tcpf: names in FIN..URG order, NONE when empty. */
export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  for (const [n, bit] of TCP_FLAG_NAMES.slice(0, 6)) if ((flags & bit) !== 0) names.push(n);
  return names.length === 0 ? 'NONE' : names.join(',');
}

function portsText(name: string, lo: number, hi: number, inv: boolean): string {
  if (lo === 0 && hi === 0xffff && !inv) return '';
  return `${inv ? ' !' : ''} --${name} ${rangeText(lo, hi)}`;
}

const GIVEN_SPT = 1;
const GIVEN_DPT = 2;
const GIVEN_FLAGS = 4;
const GIVEN_OPT = 8;

/** `--sport` (option 0) or `--dport` (option 1) of -m tcp / -m udp, each allowed once. */
function parsePorts(d: UdpData, o: OptionUse, ctx: ParseContext, proto: 'tcp' | 'udp'): void {
  const bit = o.id === 0 ? GIVEN_SPT : GIVEN_DPT;
  if ((d.given & bit) !== 0) conflict(ctx, `Only one \`--${o.id === 0 ? 'source' : 'destination'}-port' allowed`);
  d.given |= bit;
  const [lo, hi] = portRangeOr(ctx, o.value, proto);
  if (o.id === 0) {
    d.sptLo = lo;
    d.sptHi = hi;
    if (o.invert) d.inv |= TcpInv.SRCPT;
  } else {
    d.dptLo = lo;
    d.dptHi = hi;
    if (o.invert) d.inv |= TcpInv.DSTPT;
  }
}

const TCP_OPTIONS: readonly OptionSpec[] = [
  { name: 'source-port', alias: ['sport'], args: 1, invert: true },
  { name: 'destination-port', alias: ['dport'], args: 1, invert: true },
  { name: 'syn', args: 0, invert: true },
  { name: 'tcp-flags', args: 2, invert: true },
  { name: 'tcp-option', args: 1, invert: true },
];

/** HOT: the kernel's tcp_find_option over the option bytes of the TCP header. */
function tcpHasOption(skb: Skb, kind: number): boolean {
  const m = skb.meta;
  const start = m.l4Off + 20;
  const end = m.l4Off + m.tcpHdrLen;
  const limit = m.frameOff + m.caplen;
  const d = m.data;
  let i = start;
  while (i < end && i < limit) {
    const k = d[i]!;
    if (k === kind) return true;
    if (k < 2) i++;
    else {
      const len = i + 1 < limit ? d[i + 1]! : 0;
      i += len === 0 ? 1 : len;
    }
  }
  return false;
}

export const tcpMatch: MatchModule<TcpData, null> = {
  kind: 'match',
  name: 'tcp',
  family: 0,
  proto: IpProto.TCP,
  options: TCP_OPTIONS,
  init: () => ({ sptLo: 0, sptHi: 0xffff, dptLo: 0, dptHi: 0xffff, option: 0, flgMask: 0, flgCmp: 0, inv: 0, given: 0 }),
  parse(d, o, ctx) {
    switch (o.id) {
      case 0:
      case 1:
        parsePorts(d, o, ctx, 'tcp');
        break;
      case 2:
      case 3:
        if ((d.given & GIVEN_FLAGS) !== 0) conflict(ctx, "Only one of `--syn' or `--tcp-flags' allowed");
        d.given |= GIVEN_FLAGS;
        if (o.id === 2) {
          d.flgMask = 0x01 | 0x02 | 0x04 | 0x10;
          d.flgCmp = 0x02;
        } else {
          d.flgMask = parseTcpFlags(ctx, o.value);
          d.flgCmp = parseTcpFlags(ctx, o.value2);
        }
        if (o.invert) d.inv |= TcpInv.FLAGS;
        break;
      case 4: {
        if ((d.given & GIVEN_OPT) !== 0) conflict(ctx, "Only one `--tcp-option' allowed");
        d.given |= GIVEN_OPT;
        const v = parseUint(o.value, 1, 255);
        if (v < 0) badValue(ctx, `Bad TCP option \`${o.value}'`);
        d.option = v;
        if (o.invert) d.inv |= TcpInv.OPTION;
        break;
      }
    }
  },
  finish() {},
  print(d) {
    let s = portsText('sport', d.sptLo, d.sptHi, (d.inv & TcpInv.SRCPT) !== 0);
    s += portsText('dport', d.dptLo, d.dptHi, (d.inv & TcpInv.DSTPT) !== 0);
    if (d.option !== 0 || (d.inv & TcpInv.OPTION) !== 0) s += `${(d.inv & TcpInv.OPTION) !== 0 ? ' !' : ''} --tcp-option ${d.option}`;
    if (d.flgMask !== 0 || (d.inv & TcpInv.FLAGS) !== 0) {
      s += `${(d.inv & TcpInv.FLAGS) !== 0 ? ' !' : ''} --tcp-flags ${tcpFlagsText(d.flgMask)} ${tcpFlagsText(d.flgCmp)}`;
    }
    return s.slice(1);
  },
  createState: noState,
  // HOT
  match(d, skb, env) {
    const m = skb.meta;
    if (m.fragOffset !== 0) {
      // "Dropping evil TCP offset=1 frag."
      if (m.fragOffset === 8) env.hotdrop = 1;
      return false;
    }
    if (m.l4Off < 0 || m.l4Len < 20) {
      env.hotdrop = 1;
      return false;
    }
    if ((m.sport >= d.sptLo && m.sport <= d.sptHi) === ((d.inv & TcpInv.SRCPT) !== 0)) return false;
    if ((m.dport >= d.dptLo && m.dport <= d.dptHi) === ((d.inv & TcpInv.DSTPT) !== 0)) return false;
    if (((m.tcpFlags & d.flgMask) === d.flgCmp) === ((d.inv & TcpInv.FLAGS) !== 0)) return false;
    if (d.option !== 0) {
      if (m.tcpHdrLen < 20) {
        env.hotdrop = 1;
        return false;
      }
      if (tcpHasOption(skb, d.option) === ((d.inv & TcpInv.OPTION) !== 0)) return false;
    }
    return true;
  },
};

export const udpMatch: MatchModule<UdpData, null> = {
  kind: 'match',
  name: 'udp',
  family: 0,
  proto: IpProto.UDP,
  options: [
    { name: 'source-port', alias: ['sport'], args: 1, invert: true },
    { name: 'destination-port', alias: ['dport'], args: 1, invert: true },
  ],
  init: () => ({ sptLo: 0, sptHi: 0xffff, dptLo: 0, dptHi: 0xffff, inv: 0, given: 0 }),
  parse(d, o, ctx) {
    parsePorts(d, o, ctx, 'udp');
  },
  finish() {},
  print(d) {
    const s = portsText('sport', d.sptLo, d.sptHi, (d.inv & TcpInv.SRCPT) !== 0) + portsText('dport', d.dptLo, d.dptHi, (d.inv & TcpInv.DSTPT) !== 0);
    return s.slice(1);
  },
  createState: noState,
  // HOT
  match(d, skb, env) {
    const m = skb.meta;
    if (m.fragOffset !== 0) return false;
    if (m.l4Off < 0 || m.l4Len < 8) {
      env.hotdrop = 1;
      return false;
    }
    if ((m.sport >= d.sptLo && m.sport <= d.sptHi) === ((d.inv & TcpInv.SRCPT) !== 0)) return false;
    return (m.dport >= d.dptLo && m.dport <= d.dptHi) !== ((d.inv & TcpInv.DSTPT) !== 0);
  },
};
