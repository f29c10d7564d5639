// The per-packet half of HMARK for IPv4 (net/netfilter/xt_HMARK.c hmark_tg_v4): the tuple from the packet
// (hmark_pkt_set_htuple_ipv4 with get_inner_hdr for ICMP errors, hmark_set_tuple_ports) or from the conntrack
// entry (hmark_ct_set_htuple), hmark_swap_ports, and hmark_hash: jhash_3words of the ordered addresses and
// ports, XOR the masked protocol, reciprocal_scale into the modulus, plus the offset.

import type { HmarkData } from '../target-data.js';
import type { Skb } from '../../skb.js';
import { NONE } from '../../skb.js';
import { IpProto } from '../../../decode/meta.js';
import { jhash3Words, reciprocalScale } from '../../nat/jhash.js';
import { protoPortsOffset } from '../match/hashlimit-key.js';

/** XT_HMARK_* bit numbers (uapi xt_HMARK.h), as `1 << bit` in HmarkData.flags. */
export const HmarkBit = {
  SADDR_MASK: 0,
  DADDR_MASK: 1,
  SPI: 2,
  SPI_MASK: 3,
  SPORT: 4,
  DPORT: 5,
  SPORT_MASK: 6,
  DPORT_MASK: 7,
  PROTO_MASK: 8,
  RND: 9,
  MODULUS: 10,
  OFFSET: 11,
  CT: 12,
} as const;

const NR_ICMP_TYPES = 18;

// The tuple being built (struct hmark_tuple), in module scratch so that nothing is allocated per packet.
let tSrc = 0;
let tDst = 0;
let tPorts = 0;
let tProto = 0;

/**
 * hmark_swap_ports: the 4 bytes at the start of the L4 header (`word`, big-endian: source port high) masked and
 * set, then the two 16-bit halves ordered, larger one high, so both directions of a flow give the same value.
 */
export function hmarkSwapPorts(word: number, d: HmarkData): number {
  const hp = ((word & d.portMask) | d.portSet) >>> 0;
  const src = hp >>> 16;
  const dst = hp & 0xffff;
  return dst > src ? ((dst << 16) | src) >>> 0 : ((src << 16) | dst) >>> 0;
}


function be32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * hmark_pkt_set_htuple_ipv4 into the scratch tuple; false when an ICMP error's inner header cannot be read
 * (the target then continues without touching the mark). skb_header_pointer reads within the IP datagram;
 * bytes the capture cut off are unknown, so they count as unreadable too. HOT.
 */
function packetTuple(d: HmarkData, skb: Skb): boolean {
  const m = skb.meta;
  const b = m.data;
  const end = Math.min(m.l3Off + m.ipTotalLen, m.frameOff + m.caplen, b.length);
  let nh = m.l3Off;
  if (b[nh + 9] === IpProto.ICMP) {
    // get_inner_hdr: an error message (dest-unreachable, source-quench, redirect, time-exceeded,
    // parameter-problem) quotes the packet it is about, and that header is hashed instead
    const icmp = nh + (b[nh]! & 0x0f) * 4;
    if (icmp + 8 <= end) {
      const type = b[icmp]!;
      if (type <= NR_ICMP_TYPES && (type === 3 || type === 4 || type === 5 || type === 11 || type === 12)) {
        nh = icmp + 8;
        if (nh + 20 > end) return false;
      }
    }
  }
  tSrc = (be32(b, nh + 12) & d.srcMask) >>> 0;
  tDst = (be32(b, nh + 16) & d.dstMask) >>> 0;
  tProto = b[nh + 9]!;
  // ICMP has no ports; neither has any fragment (the first one included)
  if (tProto === IpProto.ICMP || (((b[nh + 6]! << 8) | b[nh + 7]!) & 0x3fff) !== 0) return true;
  const at = protoPortsOffset(tProto);
  if (at < 0) return true;
  const off = nh + (b[nh]! & 0x0f) * 4 + at;
  // skb_copy_bits failing leaves the ports 0, without port_set
  if (off + 4 <= end) tPorts = hmarkSwapPorts(be32(b, off), d);
  return true;
}

/**
 * hmark_ct_set_htuple: the ORIGINAL tuple's source and the REPLY tuple's source (the real peer, after NAT)
 * as the addresses, their ports (ICMP: none); false without an entry (INVALID or untracked). HOT.
 */
function conntrackTuple(d: HmarkData, skb: Skb): boolean {
  if (skb.ct === NONE || skb.untracked !== 0) return false;
  tSrc = (skb.ctOrigSrc & d.srcMask) >>> 0;
  tDst = (skb.ctReplSrc & d.dstMask) >>> 0;
  tProto = skb.ctProto;
  if (tProto !== IpProto.ICMP) tPorts = hmarkSwapPorts(((skb.ctOrigSport << 16) | skb.ctReplSport) >>> 0, d);
  return true;
}

/** hmark_hash on the scratch tuple: the mark. */
function hash(d: HmarkData): number {
  const lo = tSrc <= tDst ? tSrc : tDst;
  const hi = tSrc <= tDst ? tDst : tSrc;
  const h = (jhash3Words(lo, hi, tPorts, d.rnd) ^ (tProto & d.protoMask)) >>> 0;
  return (reciprocalScale(h, d.mod) + d.offset) >>> 0;
}

/**
 * hmark_tg_v4: the mark HMARK gives the packet, or -1 when it leaves the mark alone (no conntrack entry with
 * `--hmark-tuple ct`, an unreadable ICMP-quoted header). HOT: no allocation.
 */
export function hmarkOf(d: HmarkData, skb: Skb): number {
  tSrc = 0;
  tDst = 0;
  tPorts = 0;
  tProto = 0;
  const ok = (d.flags & (1 << HmarkBit.CT)) !== 0 ? conntrackTuple(d, skb) : packetTuple(d, skb);
  return ok ? hash(d) : -1;
}
