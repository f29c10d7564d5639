// Output fragmentation, mirroring ip_fragment/ip_do_fragment: a reassembled datagram whose original
// fragments still fit goes out in the same geometry (the frag_list fast path, headers copied from the
// current header); otherwise the slow path cuts (min(mtu, frag_max_size) - hlen) & ~7 byte pieces.
// Options not marked "copied" are replaced by NOPs in every fragment after the first (ip_options_fragment).

import { putBe16 } from '../../util/bytes.js';
import { ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../wire/checksum.js';
import { Csum, IpProto } from '../../decode/meta.js';
import type { Pkt } from './pkt.js';

const IP_DF = 0x4000;
const IP_MF = 0x2000;

/** Receives each fragment in order; the Pkt is reused for the next one. */
export interface FragmentSink {
  emitFragment(frag: Pkt): void;
}

/**
 * Fragment `p` for an output `mtu`. `scratch` receives each fragment (its state is copied from `p`).
 * Returns the number of fragments emitted (0 when `p` was not fragmented because it fits).
 */
export function ipDoFragment(p: Pkt, mtu: number, scratch: Pkt, sink: FragmentSink): number {
  const m = p.meta;
  if ((m.csum & Csum.L4_PARTIAL) !== 0) checksumHelp(p);
  let limit = mtu;
  if (p.fragMaxSize !== 0 && p.fragMaxSize < limit) limit = p.fragMaxSize;
  const hlen = m.ipHdrLen;
  const space = limit - hlen;
  const total = m.ipTotalLen - hlen;
  const baseOffset = m.fragOffset;
  const notLast = m.moreFrags !== 0;
  const geom = p.fragGeom;
  // frag_list fast path: every original piece fits, and all but the last are multiples of 8
  if (geom !== null && geom.length > 1 && baseOffset === 0 && geomFits(geom, space)) {
    let off = 0;
    for (let i = 0; i < geom.length; i++) {
      const len = geom[i]!;
      const more = i < geom.length - 1;
      emit(p, scratch, sink, off, len, hlen, (off >>> 3) | (more ? IP_MF : 0), i > 0);
      off += len;
    }
    return geom.length;
  }
  if (space <= 0) return 0;
  const df = (m.ipFragField & IP_DF) !== 0;
  let left = total;
  let ptr = 0;
  let n = 0;
  while (left > 0) {
    let len = left > space ? space : left;
    if (len < left) len &= ~7;
    if (len <= 0) return n;
    left -= len;
    const field = ((baseOffset + ptr) >>> 3) | (df ? IP_DF : 0) | (left > 0 || notLast ? IP_MF : 0);
    emit(p, scratch, sink, ptr, len, hlen, field, n > 0 || baseOffset > 0);
    ptr += len;
    n++;
  }
  return n;
}

/**
 * skb_checksum_help: a checksum left for the NIC (CHECKSUM_PARTIAL) is completed in software before the
 * packet is cut (no fragment can carry it) or leaves by a device that cannot complete it. Needs the whole
 * segment: a capture cut short leaves it.
 */
export function checksumHelp(p: Pkt): void {
  const m = p.meta;
  const at = m.ipProto === IpProto.TCP ? 16 : m.ipProto === IpProto.UDP ? 6 : -1;
  if (at < 0 || m.l4Off < 0 || m.l4Off + m.l4Len > m.frameOff + m.caplen) return;
  const c = l4Checksum(m.data, m.l4Off, m.l4Len, at, pseudoHeaderSum(m.saddr, m.daddr, m.ipProto, m.l4Len)) || 0xffff;
  putBe16(m.data, m.l4Off + at, c);
  m.l4Csum = c;
  m.csum &= ~Csum.L4_PARTIAL;
}

function geomFits(geom: readonly number[], space: number): boolean {
  for (let i = 0; i < geom.length; i++) {
    const len = geom[i]!;
    if (len > space) return false;
    if (i < geom.length - 1 && (len & 7) !== 0) return false;
  }
  return true;
}

function emit(p: Pkt, f: Pkt, sink: FragmentSink, ptr: number, len: number, hlen: number, fragFieldValue: number, notFirst: boolean): void {
  const m = p.meta;
  const src = p.buf;
  f.copyFrom(p);
  const l3 = m.l3Off;
  const b = f.buf;
  b.set(src.subarray(l3 + hlen + ptr, l3 + hlen + ptr + len), l3 + hlen);
  if (notFirst && hlen > 20) nopUncopiedOptions(b, l3 + 20, l3 + hlen);
  putBe16(b, l3 + 2, hlen + len);
  putBe16(b, l3 + 6, fragFieldValue);
  putBe16(b, l3 + 10, 0);
  putBe16(b, l3 + 10, ipv4HeaderChecksum(b, l3, hlen));
  const fm = f.meta;
  fm.ipTotalLen = hlen + len;
  fm.ipFragField = fragFieldValue;
  fm.fragOffset = (fragFieldValue & 0x1fff) * 8;
  fm.moreFrags = (fragFieldValue & IP_MF) !== 0 ? 1 : 0;
  fm.dontFrag = (fragFieldValue & IP_DF) !== 0 ? 1 : 0;
  fm.ipCsum = ((b[l3 + 10]! << 8) | b[l3 + 11]!) >>> 0;
  fm.l4Off = fm.fragOffset === 0 ? l3 + hlen : -1;
  f.fragGeom = null;
  f.fragMaxSize = 0;
  sink.emitFragment(f);
}

/** ip_options_fragment: options without the "copied" bit become NOPs after the first fragment. */
function nopUncopiedOptions(b: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const opt = b[i]!;
    if (opt === 0) return; // end of options
    if (opt === 1) {
      i++;
      continue;
    }
    const olen = i + 1 < end ? b[i + 1]! : 0;
    if (olen < 2 || i + olen > end) return;
    if ((opt & 0x80) === 0) b.fill(1, i, i + olen);
    i += olen;
  }
}
