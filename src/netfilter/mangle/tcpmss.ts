// TCPMSS target, mirroring xt_TCPMSS.c tcpmss_mangle_packet/tcpmss_tg4: rewrite the first MSS option down to
// the target value (never up), or insert an MSS option of min(target, 536) as the first option of a SYN
// without payload, with the kernel's incremental checksum updates. The caller supplies the route MTUs.

import { be16, putBe16 } from '../../util/bytes.js';
import { csumPartialReplace, csumReplace2, csumReplace4 } from '../../wire/checksum.js';
import type { PacketMeta } from '../../decode/meta.js';
import { Csum } from '../../decode/meta.js';

const TCPOPT_NOP = 1;
const TCPOPT_MSS = 2;
const TCPOLEN_MSS = 4;
/** sizeof(struct iphdr) + sizeof(struct tcphdr): the `minlen` subtracted from the path MTU. */
const MINLEN_V4 = 40;

/** What tcpmssMangle did, for the MSS-rewrite report. */
export const MssResult = { UNCHANGED: 0, REWRITTEN: 1, INSERTED: 2, DROP: -1 } as const;

/**
 * The clamp value for `--clamp-mss-to-pmtu`: min(route MTU of this packet, MTU of the route back to its
 * source) - 40, or -1 when that is not positive (the kernel drops: "unknown or invalid path-MTU").
 */
export function clampMss(outMtu: number, reverseMtu: number): number {
  const min = Math.min(outMtu, reverseMtu);
  return min <= MINLEN_V4 ? -1 : min - MINLEN_V4;
}

/**
 * Apply TCPMSS with target value `newmss` to the IPv4/TCP packet described by `meta` (bytes in meta.data).
 * The buffer must have 4 bytes of room after the packet for an insertion. Updates meta (ipTotalLen,
 * tcpHdrLen, l4Len, payload offset, tcpMss/tcpMssOff, checksum fields). Returns an MssResult. HOT.
 */
export function tcpmssMangle(meta: PacketMeta, newmss: number): number {
  if (meta.fragOffset !== 0 || meta.l4Off < 0) return MssResult.UNCHANGED;
  const b = meta.data;
  const th = meta.l4Off;
  const len = meta.ipTotalLen - meta.ipHdrLen; // skb->len - tcphoff
  if (len < 20) return MssResult.DROP;
  const hdrLen = (b[th + 12]! >>> 4) * 4;
  if (len < hdrLen || hdrLen < 20) return MssResult.DROP;
  if (newmss < 0) return MssResult.DROP;
  const partial = (meta.csum & Csum.L4_PARTIAL) !== 0;

  for (let i = 20; i <= hdrLen - TCPOLEN_MSS; ) {
    const kind = b[th + i]!;
    if (kind === TCPOPT_MSS && b[th + i + 1] === TCPOLEN_MSS) {
      const oldmss = be16(b, th + i + 2);
      if (oldmss <= newmss) return MssResult.UNCHANGED;
      const oldW1 = be16(b, th + ((i + 2) & ~1));
      const oldW2 = be16(b, th + ((i + 2) & ~1) + 2);
      putBe16(b, th + i + 2, newmss);
      let check = be16(b, th + 16);
      // CHECKSUM_PARTIAL: inet_proto_csum_replace2(..., false) leaves a pseudo-header-only field alone
      if (!partial && ((i + 2) & 1) === 0) {
        check = csumReplace2(check, oldmss, newmss);
      } else if (!partial) {
        // unaligned option: the value straddles two 16-bit checksum words
        check = csumReplace2(check, oldW1, be16(b, th + ((i + 2) & ~1)));
        check = csumReplace2(check, oldW2, be16(b, th + ((i + 2) & ~1) + 2));
      }
      putBe16(b, th + 16, check);
      meta.l4Csum = check;
      meta.tcpMss = newmss;
      meta.tcpMssOff = th + i;
      return MssResult.REWRITTEN;
    }
    // optlen(): zero-length or single-byte options make progress of one
    i += kind <= TCPOPT_NOP || b[th + i + 1] === 0 ? 1 : b[th + i + 1]!;
  }

  // data after the header, or no room left in the 4-bit data offset: leave the packet alone
  if (len > hdrLen) return MssResult.UNCHANGED;
  if (hdrLen >= 60) return MssResult.UNCHANGED;

  const mss = Math.min(newmss, 536);
  const opt = th + 20;
  b.copyWithin(opt + TCPOLEN_MSS, opt, th + len);
  let check = be16(b, th + 16);
  // the length is in the pseudo-header (pseudohdr true); the option and data-offset words are not
  check = partial ? csumPartialReplace(check, len, len + TCPOLEN_MSS) : csumReplace2(check, len, len + TCPOLEN_MSS);
  b[opt] = TCPOPT_MSS;
  b[opt + 1] = TCPOLEN_MSS;
  putBe16(b, opt + 2, mss);
  if (!partial) check = csumReplace4(check, 0, ((TCPOPT_MSS << 24) | (TCPOLEN_MSS << 16) | mss) >>> 0);
  const oldWord6 = be16(b, th + 12);
  b[th + 12] = b[th + 12]! + ((TCPOLEN_MSS / 4) << 4);
  if (!partial) check = csumReplace2(check, oldWord6, be16(b, th + 12));
  putBe16(b, th + 16, check);

  // tcpmss_tg4: IP total length and header checksum
  const ip = meta.l3Off;
  const oldTot = meta.ipTotalLen;
  const newTot = oldTot + TCPOLEN_MSS;
  putBe16(b, ip + 2, newTot);
  const ipCheck = csumReplace2(be16(b, ip + 10), oldTot, newTot);
  putBe16(b, ip + 10, ipCheck);

  meta.ipTotalLen = newTot;
  // (caplen and wirelen grow below: only a segment without payload gets the option, so it was captured whole)
  meta.ipCsum = ipCheck;
  meta.l4Len += TCPOLEN_MSS;
  meta.tcpHdrLen = hdrLen + TCPOLEN_MSS;
  meta.payloadOff += TCPOLEN_MSS;
  meta.l4Csum = check;
  meta.tcpMss = mss;
  meta.tcpMssOff = opt;
  // options after the inserted one moved by 4 bytes
  if (meta.tcpTsOff >= 0) meta.tcpTsOff += TCPOLEN_MSS;
  meta.caplen += TCPOLEN_MSS;
  meta.wirelen += TCPOLEN_MSS;
  return MssResult.INSERTED;
}
