// `-p dccp -m dccp [[!] --sport P[:P]] [[!] --dport P[:P]] [[!] --dccp-types LIST] [[!] --dccp-option N]`
// (libxt_dccp.c; net/netfilter/xt_dccp.c dccp_mt and dccp_find_option). The decoder leaves DCCP undecoded, so
// the match reads the header from the packet bytes itself: ports, Type and X from the 12-byte generic header,
// options after the type's fixed part up to Data Offset.

import type { MatchModule } from '../module.js';
import type { Skb } from '../../skb.js';
import { badValue, noState, portRangeOr, uintOr } from '../mod-util.js';

/** IPPROTO_DCCP. */
export const IPPROTO_DCCP = 33;

/** XT_DCCP_* option bits of xt_dccp_info.flags / invflags. */
export const DccpFlag = { SRC_PORTS: 0x01, DEST_PORTS: 0x02, TYPE: 0x04, OPTION: 0x08 } as const;

/** dccp_pkt_types: names by type number (DCCP_PKT_REQUEST = 0 .. DCCP_PKT_INVALID = 10). */
export const DCCP_TYPES = ['REQUEST', 'RESPONSE', 'DATA', 'ACK', 'DATAACK', 'CLOSEREQ', 'CLOSE', 'RESET', 'SYNC', 'SYNCACK', 'INVALID'] as const;

/** struct xt_dccp_info. */
export interface DccpData {
  spts: [number, number];
  dpts: [number, number];
  flags: number;
  invflags: number;
  typemask: number;
  option: number;
}

/** sizeof(struct dccp_hdr): ports, Data Offset, CCVal/CsCov, checksum, Res/Type/X, 24-bit sequence number. */
const DCCP_HDR_LEN = 12;

/**
 * __dccp_hdr_len: the generic header, 4 more bytes with X (48-bit sequence numbers), then dccp_packet_hdr_len
 * of the type: DATA none, the acknowledgement subheader (8) for ACK, DATAACK, CLOSEREQ, CLOSE, SYNC and SYNCACK,
 * the service code (4) for REQUEST, both (12) for RESPONSE, and 12 (dccp_hdr_reset) for RESET and the rest. HOT.
 */
function dccpHdrLen(type: number, x: number): number {
  let n = DCCP_HDR_LEN + (x !== 0 ? 4 : 0);
  if (type === 2) return n;
  if (type === 4 || type === 3 || type === 8 || type === 9 || type === 6 || type === 5) n += 8;
  else if (type === 0) n += 4;
  else n += 12;
  return n;
}

/**
 * dccp_find_option over the options at [opt, opt + optlen): a kind of 0 or 1 is one byte, any other is
 * followed by its length (0 read as 1). A header whose Data Offset does not cover its fixed part, or options
 * beyond the packet (skb_header_pointer failing), set hotdrop. Options the capture cut off are unknown: no
 * match, no hotdrop. HOT.
 */
function findOption(d: DccpData, skb: Skb, env: { hotdrop: number }, th: number, end: number, cap: number): boolean {
  const b = skb.meta.data;
  const hdrLen = dccpHdrLen((b[th + 8]! >>> 1) & 0x0f, b[th + 8]! & 1);
  const doff4 = b[th + 4]! * 4;
  if (doff4 < hdrLen) {
    env.hotdrop = 1;
    return false;
  }
  const optlen = doff4 - hdrLen;
  if (optlen === 0) return false;
  const op = th + hdrLen;
  if (op + optlen > end) {
    env.hotdrop = 1;
    return false;
  }
  if (op + optlen > cap) return false;
  for (let i = 0; i < optlen; ) {
    const kind = b[op + i]!;
    if (kind === d.option) return true;
    if (kind < 2) {
      i++;
      continue;
    }
    // the length byte past the option area ends the walk (older kernels read one byte beyond it, to the same end)
    if (i + 1 >= optlen) break;
    const len = b[op + i + 1]!;
    i += len !== 0 ? len : 1;
  }
  return false;
}

/** DCCHECK: an option not given passes; a given one is its condition, inverted with `!`. */
function check(d: DccpData, bit: number, cond: boolean): boolean {
  return (d.flags & bit) === 0 || cond !== ((d.invflags & bit) !== 0);
}

/** parse_dccp_types: comma-separated names, case-insensitive; empty items are skipped (strtok). */
function parseTypes(s: string, fail: (m: string) => never): number {
  let mask = 0;
  for (const item of s.split(',')) {
    if (item === '') continue;
    const t = DCCP_TYPES.findIndex((n) => n === item.toUpperCase());
    if (t < 0) fail(`Unknown DCCP type \`${item}'`);
    mask |= 1 << t;
  }
  return mask;
}

function typesText(mask: number): string {
  const names: string[] = [];
  for (let i = 0; i < 16; i++) if ((mask & (1 << i)) !== 0) names.push(DCCP_TYPES[i] ?? String(i));
  return names.join(',');
}

const BITS = [DccpFlag.SRC_PORTS, DccpFlag.DEST_PORTS, DccpFlag.TYPE, DccpFlag.OPTION] as const;

export const dccpMatch: MatchModule<DccpData, null> = {
  kind: 'match',
  name: 'dccp',
  family: 0,
  proto: IPPROTO_DCCP,
  options: [
    { name: 'source-port', alias: ['sport'], args: 1, invert: true },
    { name: 'destination-port', alias: ['dport'], args: 1, invert: true },
    { name: 'dccp-types', args: 1, invert: true },
    { name: 'dccp-option', args: 1, invert: true },
  ],
  init: () => ({ spts: [0, 0], dpts: [0, 0], flags: 0, invflags: 0, typemask: 0, option: 0 }),
  parse(d, o, ctx) {
    const bit = BITS[o.id]!;
    if (bit === DccpFlag.SRC_PORTS) d.spts = portRangeOr(ctx, o.value, 'dccp');
    else if (bit === DccpFlag.DEST_PORTS) d.dpts = portRangeOr(ctx, o.value, 'dccp');
    else if (bit === DccpFlag.TYPE) d.typemask = parseTypes(o.value, (m) => badValue(ctx, m));
    else d.option = uintOr(ctx, o.value, 1, 255, 'dccp-option');
    d.flags |= bit;
    if (o.invert) d.invflags |= bit;
  },
  finish() {},
  // dccp_save
  print(d) {
    let s = '';
    const inv = (bit: number): string => ((d.invflags & bit) !== 0 ? ' !' : '');
    const ports = (p: [number, number]): string => (p[0] !== p[1] ? `${p[0]}:${p[1]}` : `${p[0]}`);
    if ((d.flags & DccpFlag.SRC_PORTS) !== 0) s += `${inv(DccpFlag.SRC_PORTS)} --sport ${ports(d.spts)}`;
    if ((d.flags & DccpFlag.DEST_PORTS) !== 0) s += `${inv(DccpFlag.DEST_PORTS)} --dport ${ports(d.dpts)}`;
    if ((d.flags & DccpFlag.TYPE) !== 0) s += `${inv(DccpFlag.TYPE)} --dccp-types ${typesText(d.typemask)}`;
    if ((d.flags & DccpFlag.OPTION) !== 0) s += `${inv(DccpFlag.OPTION)} --dccp-option ${d.option}`;
    return s.slice(1);
  },
  createState: noState,
  // HOT: dccp_mt. skb->len is the IP packet from its header; thoff follows the IPv4 header or IPv6's
  // extension headers (ipHdrLen covers both).
  match(d, skb, env) {
    const m = skb.meta;
    if (m.fragOffset !== 0 || m.l3Off < 0) return false;
    const th = m.l3Off + m.ipHdrLen;
    const end = m.l3Off + m.ipTotalLen;
    const cap = m.frameOff + m.caplen;
    if (th + DCCP_HDR_LEN > end) {
      env.hotdrop = 1;
      return false;
    }
    if (th + DCCP_HDR_LEN > cap) return false;
    const b = m.data;
    const sport = (b[th]! << 8) | b[th + 1]!;
    const dport = (b[th + 2]! << 8) | b[th + 3]!;
    const type = (b[th + 8]! >>> 1) & 0x0f;
    return (
      check(d, DccpFlag.SRC_PORTS, sport >= d.spts[0] && sport <= d.spts[1]) &&
      check(d, DccpFlag.DEST_PORTS, dport >= d.dpts[0] && dport <= d.dpts[1]) &&
      check(d, DccpFlag.TYPE, (d.typemask & (1 << type)) !== 0) &&
      ((d.flags & DccpFlag.OPTION) === 0 || check(d, DccpFlag.OPTION, findOption(d, skb, env, th, end, cap)))
    );
  },
};
