// HMARK: skb->mark from a hash of the packet's (or its connection's) addresses, ports and protocol
// (libxt_HMARK.c HMARK_parse/hmark_parse_type/HMARK_check/HMARK_ip4_save; net/netfilter/xt_HMARK.c
// hmark_tg_check, hmark_tg_v4 in hmark-hash.ts). A pure target: the rules layer sets the mark itself, as for
// MARK, and the walk continues. IPv4 only, the family the datapath replays.

import type { ParseContext, TargetModule } from '../module.js';
import { TargetEffect } from '../module.js';
import { Family } from '../ast.js';
import type { HmarkData } from '../target-data.js';
import { TargetKind } from '../target-data.js';
import { IssueCode } from '../issues.js';
import { badValue, conflict, missing, noState } from '../mod-util.js';
import { parseUint } from '../values.js';
import { maskToPrefix, prefixMask } from '../../../util/ipv4.js';
import { Verdict } from '../../skb.js';
import { HmarkBit, hmarkOf } from './hmark-hash.js';

interface HmarkParse extends HmarkData {
  /** The xtables option flags (`cb->xflags`): bit XT id per option given, and per --hmark-tuple word. */
  xflags: number;
}

/** O_HMARK_TYPE: --hmark-tuple's own xflags bit (the other options' ids are their XT_HMARK_* bits). */
const O_TYPE = 13;

/** The options in HMARK_opts order, each with its O_HMARK_* id. */
const OPTS: ReadonlyArray<readonly [string, number]> = [
  ['hmark-tuple', O_TYPE],
  ['hmark-src-prefix', HmarkBit.SADDR_MASK],
  ['hmark-dst-prefix', HmarkBit.DADDR_MASK],
  ['hmark-sport-mask', HmarkBit.SPORT_MASK],
  ['hmark-dport-mask', HmarkBit.DPORT_MASK],
  ['hmark-spi-mask', HmarkBit.SPI_MASK],
  ['hmark-sport', HmarkBit.SPORT],
  ['hmark-dport', HmarkBit.DPORT],
  ['hmark-spi', HmarkBit.SPI],
  ['hmark-proto-mask', HmarkBit.PROTO_MASK],
  ['hmark-rnd', HmarkBit.RND],
  ['hmark-mod', HmarkBit.MODULUS],
  ['hmark-offset', HmarkBit.OFFSET],
];

const F = (bit: number): number => 1 << bit;

/** HMARK_OPT_PKT_MASK: the options that pick packet fields. */
const PKT_MASK =
  F(HmarkBit.SADDR_MASK) | F(HmarkBit.DADDR_MASK) | F(HmarkBit.SPI_MASK) | F(HmarkBit.SPORT_MASK) | F(HmarkBit.DPORT_MASK) | F(HmarkBit.PROTO_MASK) | F(HmarkBit.SPORT) | F(HmarkBit.DPORT) | F(HmarkBit.SPI);

/** hmark_parse's words in the order it tries them (strncasecmp on the word's length: a prefix picks the first). */
const TUPLE_WORDS = ['ct', 'src', 'dst', 'sport', 'dport', 'proto', 'spi'] as const;

/**
 * inet_aton as getaddrinfo(AI_NUMERICHOST) applies it (__inet_aton_exact): one to four parts, each decimal,
 * 0x hex or 0 octal, the last filling the remaining bytes. The address as unsigned 32-bit, or -1.
 */
export function inetAton(s: string): number {
  const parts = s.split('.');
  if (parts.length > 4) return -1;
  const vals: number[] = [];
  for (const p of parts) {
    let m: RegExpExecArray | null;
    let v: number;
    if ((m = /^0[xX]([0-9a-fA-F]*)$/.exec(p)) !== null) v = m[1] === '' ? 0 : parseInt(m[1]!, 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return -1;
    vals.push(v);
  }
  const last = vals.pop()!;
  if (vals.some((v) => v > 0xff) || last > 2 ** (8 * (4 - vals.length)) - 1) return -1;
  let addr = 0;
  for (const v of vals) addr = addr * 256 + v;
  return (addr * 2 ** (8 * (4 - vals.length)) + last) >>> 0;
}

/** XTTYPE_PLENMASK for IPv4 (xtopt_parse_plen, its dotted-mask fallback, xtopt_parse_plenmask): the mask. */
function plenMask(ctx: ParseContext, arg: string, option: string): number {
  const len = parseUint(arg, 0, 32);
  if (len >= 0) return prefixMask(len);
  const mask = inetAton(arg);
  if (mask < 0) badValue(ctx, `bad value for option "--${option}", neither a valid network mask nor valid CIDR (0-32).`);
  return mask;
}

/** xtopt_parse_int for XTTYPE_UINT16/UINT32 with the entry's bounds. */
function uint(ctx: ParseContext, arg: string, option: string, min: number, max: number): number {
  const v = parseUint(arg, min, max);
  if (v < 0) badValue(ctx, `bad value for option "--${option}", or out of range (${min}-${max}).`);
  return v;
}

/** hmark_parse_type: `--hmark-tuple word[,word...]`. */
function parseTuple(d: HmarkParse, arg: string, ctx: ParseContext): void {
  let rest = arg;
  for (;;) {
    const comma = rest.indexOf(',');
    const word = comma < 0 ? rest : rest.slice(0, comma);
    if (comma < 0 && word === '') badValue(ctx, '"--hmark-tuple" requires a list of types with no spaces, e.g. src,dst,sport,dport,proto');
    const lower = word.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const kind = word === '' ? undefined : TUPLE_WORDS.find((w) => w.startsWith(lower));
    if (kind === undefined) badValue(ctx, `Bad type "${rest}"`);
    tupleWord(d, kind);
    if (comma < 0) return;
    rest = rest.slice(comma + 1);
  }
}

/** hmark_parse for one word: the field's mask all ones, its flag, its xflags bit. */
function tupleWord(d: HmarkParse, w: (typeof TUPLE_WORDS)[number]): void {
  let bit: number;
  switch (w) {
    case 'ct':
      bit = HmarkBit.CT;
      break;
    case 'src':
      d.srcMask = 0xffffffff;
      bit = HmarkBit.SADDR_MASK;
      break;
    case 'dst':
      d.dstMask = 0xffffffff;
      bit = HmarkBit.DADDR_MASK;
      break;
    case 'sport':
      d.portMask = (d.portMask | 0xffff0000) >>> 0;
      bit = HmarkBit.SPORT_MASK;
      break;
    case 'dport':
      d.portMask = (d.portMask | 0xffff) >>> 0;
      bit = HmarkBit.DPORT_MASK;
      break;
    case 'proto':
      d.protoMask = 0xffff;
      bit = HmarkBit.PROTO_MASK;
      break;
    case 'spi':
      d.portMask = 0xffffffff;
      bit = HmarkBit.SPI_MASK;
      break;
  }
  d.flags |= F(bit);
  d.xflags |= F(bit);
}

const hex = (v: number, width: number): string => '0x' + (v >>> 0).toString(16).padStart(width, '0');

export const hmarkTarget: TargetModule<HmarkParse, null> = {
  kind: 'target',
  name: 'HMARK',
  family: Family.IPV4,
  effect: TargetEffect.PURE,
  options: OPTS.map(([name]) => ({ name, args: 1 as const })),
  init: () => ({ kind: TargetKind.HMARK, flags: 0, srcMask: 0, dstMask: 0, portMask: 0, portSet: 0, protoMask: 0, rnd: 0, mod: 0, offset: 0, xflags: 0 }),
  parse(d, o, ctx) {
    const [name, id] = OPTS[o.id]!;
    // xtables_option_parse: a --hmark-tuple word counts as its option having been given
    if ((d.xflags & F(id)) !== 0) ctx.fail(IssueCode.OPTION_REPEATED, `option "--${name}" can only be used once.`);
    d.xflags |= F(id);
    if (id === O_TYPE) return parseTuple(d, o.value, ctx);
    d.flags |= F(id);
    const v = o.value;
    switch (id) {
      case HmarkBit.SADDR_MASK:
        d.srcMask = plenMask(ctx, v, name);
        break;
      case HmarkBit.DADDR_MASK:
        d.dstMask = plenMask(ctx, v, name);
        break;
      case HmarkBit.SPORT_MASK:
        d.portMask = ((d.portMask & 0xffff) | (uint(ctx, v, name, 0, 0xffff) << 16)) >>> 0;
        break;
      case HmarkBit.DPORT_MASK:
        d.portMask = ((d.portMask & 0xffff0000) | uint(ctx, v, name, 0, 0xffff)) >>> 0;
        break;
      case HmarkBit.SPI_MASK:
        d.portMask = uint(ctx, v, name, 0, 0xffffffff);
        break;
      case HmarkBit.SPORT:
        d.portSet = ((d.portSet & 0xffff) | (uint(ctx, v, name, 0, 0xffff) << 16)) >>> 0;
        break;
      case HmarkBit.DPORT:
        d.portSet = ((d.portSet & 0xffff0000) | uint(ctx, v, name, 0, 0xffff)) >>> 0;
        break;
      case HmarkBit.SPI:
        d.portSet = uint(ctx, v, name, 0, 0xffffffff);
        break;
      case HmarkBit.PROTO_MASK:
        d.protoMask = uint(ctx, v, name, 0, 0xffff);
        break;
      case HmarkBit.RND:
        d.rnd = uint(ctx, v, name, 0, 0xffffffff);
        break;
      case HmarkBit.MODULUS:
        d.mod = uint(ctx, v, name, 1, 0xffffffff);
        break;
      case HmarkBit.OFFSET:
        d.offset = uint(ctx, v, name, 0, 0xffffffff);
        break;
    }
  },
  finish(d, ctx) {
    // HMARK_check (its own messages), then xtables_options_fcheck's mandatory --hmark-mod
    const x = d.xflags;
    if ((x & F(HmarkBit.MODULUS)) === 0) missing(ctx, '--hmark-mod is mandatory');
    if ((x & F(HmarkBit.RND)) === 0) missing(ctx, '--hmark-rnd is mandatory');
    if ((x & F(HmarkBit.SPI_MASK)) !== 0 && (x & (F(HmarkBit.SPORT_MASK) | F(HmarkBit.DPORT_MASK))) !== 0) {
      conflict(ctx, 'you cannot use --hmark-spi-mask and --hmark-?port-mask,at the same time');
    }
    if ((x & PKT_MASK) === 0 && (x & F(HmarkBit.CT)) === 0) missing(ctx, 'you have to specify --hmark-tuple at least');
  },
  check(d, ctx) {
    // hmark_tg_check: what iptables lets through but the kernel refuses
    if ((d.flags & F(HmarkBit.SPI)) !== 0 && (d.flags & (F(HmarkBit.SPORT) | F(HmarkBit.DPORT))) !== 0) {
      ctx.error(IssueCode.CONFLICT, "HMARK target: spi-set and port-set can't be combined");
    }
  },
  // HMARK_ip4_save
  print(d) {
    const f = d.flags;
    const on = (bit: number): boolean => (f & F(bit)) !== 0;
    const parts: string[] = [];
    if (on(HmarkBit.SADDR_MASK)) parts.push(`--hmark-src-prefix ${maskToPrefix(d.srcMask)}`);
    if (on(HmarkBit.DADDR_MASK)) parts.push(`--hmark-dst-prefix ${maskToPrefix(d.dstMask)}`);
    if (on(HmarkBit.SPORT_MASK)) parts.push(`--hmark-sport-mask ${hex(d.portMask >>> 16, 4)}`);
    if (on(HmarkBit.DPORT_MASK)) parts.push(`--hmark-dport-mask ${hex(d.portMask & 0xffff, 4)}`);
    if (on(HmarkBit.SPI_MASK)) parts.push(`--hmark-spi-mask ${hex(d.portMask, 8)}`);
    if (on(HmarkBit.SPORT)) parts.push(`--hmark-sport ${hex(d.portSet >>> 16, 4)}`);
    if (on(HmarkBit.DPORT)) parts.push(`--hmark-dport ${hex(d.portSet & 0xffff, 4)}`);
    if (on(HmarkBit.SPI)) parts.push(`--hmark-spi ${hex(d.portSet, 8)}`);
    if (on(HmarkBit.PROTO_MASK)) parts.push(`--hmark-proto-mask ${hex(d.protoMask, 2)}`);
    if (on(HmarkBit.RND)) parts.push(`--hmark-rnd ${hex(d.rnd, 8)}`);
    if (on(HmarkBit.MODULUS)) parts.push(`--hmark-mod ${d.mod}`);
    if (on(HmarkBit.OFFSET)) parts.push(`--hmark-offset ${d.offset}`);
    if (on(HmarkBit.CT)) parts.push('--hmark-tuple ct');
    return parts.join(' ');
  },
  createState: noState,
  // HOT: hmark_tg_v4 sets skb->mark (or leaves it) and continues
  target(d, skb) {
    const mark = hmarkOf(d, skb);
    if (mark >= 0) skb.mark = mark;
    return Verdict.CONTINUE;
  },
};
