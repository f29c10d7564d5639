// TCPOPTSTRIP target on the IPv4/TCP header, mirroring xt_TCPOPTSTRIP.c tcpoptstrip_mangle_packet: walk the
// options with the module's optlen() (EOL and NOP one byte, a zero length one byte), overwrite every option
// whose kind is in the bitmap with NOPs, and fix the TCP checksum byte by byte as inet_proto_csum_replace2
// (pseudohdr false) does. Also the kernel-exact form of that helper, which ecn.ts shares.

import { be16, putBe16 } from '../../util/bytes.js';
import { csumReplace2 } from '../../wire/checksum.js';
import type { PacketMeta } from '../../decode/meta.js';
import { Csum, L3 } from '../../decode/meta.js';

const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOPT_WINDOW = 3;
const TCPOPT_SACK_PERM = 4;
const TCPOPT_TIMESTAMP = 8;
/** sizeof(struct tcphdr). */
const TCP_MIN = 20;
const CS_L4_PARTIAL = Csum.L4_PARTIAL;
const L3_IPV4 = L3.IPV4;

/** What tcpoptstripMangle did. */
export const OptStripResult = {
  /** Nothing to strip, a fragment past offset 0, or a header the capture does not hold. */
  UNCHANGED: 0,
  /** At least one option became NOPs. */
  STRIPPED: 1,
  /** NF_DROP: no complete fixed TCP header, a data offset below 5, or one past the packet. */
  DROP: -1,
} as const;

/**
 * inet_proto_csum_replace2(sum, skb, old, new, false) on a checksum that is not CHECKSUM_PARTIAL: the 16-bit
 * values go through csum_replace4 zero-extended, whose 32-bit one's-complement sum is never zero, so the
 * result is never 0xffff (RFC 1624's form gives 0xffff where the kernel stores 0). HOT.
 */
export function protoCsumReplace2(check: number, oldv: number, newv: number): number {
  const c = csumReplace2(check, oldv, newv);
  return c === 0xffff ? 0 : c;
}

/** tcpoptstrip_test_bit: is option kind `k` (0..255) in the strip bitmap? HOT. */
export function stripsKind(bmap: readonly number[], k: number): boolean {
  return ((bmap[k >>> 5]! >>> (k & 31)) & 1) !== 0;
}

/**
 * Apply TCPOPTSTRIP with bitmap `bmap` (TcpoptstripData.bmap) to the IPv4/TCP packet of `meta` (bytes in
 * meta.data). Updates the checksum field, meta.l4Csum and the decoded option fields (MSS, window scale,
 * SACK-permitted, timestamps) of kinds that were stripped. Returns an OptStripResult. HOT.
 */
// HOT: allocation-free
export function tcpoptstripMangle(meta: PacketMeta, bmap: readonly number[]): number {
  // par->fragoff != 0: no TCP header in this fragment
  if (meta.fragOffset !== 0 || meta.l3 !== L3_IPV4) return OptStripResult.UNCHANGED;
  const b = meta.data;
  const th = meta.l3Off + meta.ipHdrLen; // tcphoff = ip_hdrlen(skb)
  const len = meta.ipTotalLen - meta.ipHdrLen; // skb->len - tcphoff
  const captured = meta.frameOff + meta.caplen - th;
  // skb_header_pointer(skb, tcphoff, sizeof(struct tcphdr)) fails on a shorter packet
  if (len < TCP_MIN) return OptStripResult.DROP;
  // the kernel has every byte; bytes the capture lacks cannot be walked here, so the packet is left alone
  if (captured < TCP_MIN) return OptStripResult.UNCHANGED;
  const hdrLen = (b[th + 12]! >>> 4) << 2;
  if (hdrLen < TCP_MIN) return OptStripResult.DROP;
  // skb_ensure_writable(skb, tcphoff + tcp_hdrlen): the header must lie within the packet
  if (hdrLen > len) return OptStripResult.DROP;
  if (hdrLen > captured) return OptStripResult.UNCHANGED;

  const partial = (meta.csum & CS_L4_PARTIAL) !== 0;
  let check = be16(b, th + 16);
  let stripped = false;
  let optl = 1;
  for (let i = TCP_MIN; i < hdrLen - 1; i += optl) {
    const kind = b[th + i]!;
    // optlen(): beware zero-length options, make finite progress
    optl = kind <= TCPOPT_NOP || b[th + i + 1] === 0 ? 1 : b[th + i + 1]!;
    if (i + optl > hdrLen) break;
    if (((bmap[kind >>> 5]! >>> (kind & 31)) & 1) === 0) continue;
    // one inet_proto_csum_replace2 per byte: an even offset is the high byte of its 16-bit word
    if (!partial) {
      for (let j = 0; j < optl; j++) {
        const o = b[th + i + j]!;
        check = ((i + j) & 1) === 0 ? protoCsumReplace2(check, o << 8, TCPOPT_NOP << 8) : protoCsumReplace2(check, o, TCPOPT_NOP);
      }
    }
    b.fill(TCPOPT_NOP, th + i, th + i + optl);
    stripped = true;
  }
  if (!stripped) return OptStripResult.UNCHANGED;

  // with CHECKSUM_PARTIAL the field holds the pseudo-header sum, which the options are not part of
  putBe16(b, th + 16, check);
  if (meta.l4Off === th) {
    meta.l4Csum = check;
    // the walk above covers every option tcp_parse_options() reads, so a stripped kind is gone entirely
    if (stripsKind(bmap, TCPOPT_MSS)) {
      meta.tcpMssOff = -1;
      meta.tcpMss = 0;
    }
    if (stripsKind(bmap, TCPOPT_WINDOW)) meta.tcpWscale = -1;
    if (stripsKind(bmap, TCPOPT_SACK_PERM)) meta.tcpSackPerm = 0;
    if (stripsKind(bmap, TCPOPT_TIMESTAMP)) {
      meta.tcpTsOff = -1;
      meta.tcpTsVal = 0;
      meta.tcpTsEcr = 0;
    }
  }
  return OptStripResult.STRIPPED;
}
