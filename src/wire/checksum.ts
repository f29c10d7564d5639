// Internet checksums: full computation (RFC 1071) over header/payload bytes and the pseudo-header, and
// RFC 1624 incremental updates (HC' = ~(~HC + ~m + m')) as the kernel's csum_replace2/4 and
// inet_proto_csum_replace2/4 apply them. Checksum values are the 16-bit field as stored (big-endian).

import { be16 } from '../util/bytes.js';

/** One's-complement 32-bit partial sum of bytes [off, off+len), added to `sum`. HOT. */
export function csumPartial(b: Uint8Array, off: number, len: number, sum: number): number {
  let i = off;
  const end = off + len;
  // eight bytes per step (four 16-bit words): a quarter of the loop overhead of a word-at-a-time sum
  const end8 = off + (len & ~7);
  for (; i < end8; i += 8) {
    sum += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!) + ((b[i + 4]! << 8) | b[i + 5]!) + ((b[i + 6]! << 8) | b[i + 7]!);
  }
  const even = end - ((end - off) & 1);
  for (; i < even; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  // the sum stays an exact integer (< 2^53) for any length a packet or a file chunk can have
  return sum;
}

/**
 * Does the IPv4 header at `off` (hlen bytes, a multiple of 4 and at least 20, all present) carry a correct
 * checksum?
 * The same answer as csumVerifies(b, off, hlen, 0), in integer arithmetic for the per-packet check. HOT.
 */
export function ipv4HeaderVerifies(b: Uint8Array, off: number, hlen: number): boolean {
  let s =
    ((b[off]! << 8) | b[off + 1]!) +
    ((b[off + 2]! << 8) | b[off + 3]!) +
    ((b[off + 4]! << 8) | b[off + 5]!) +
    ((b[off + 6]! << 8) | b[off + 7]!) +
    ((b[off + 8]! << 8) | b[off + 9]!) +
    ((b[off + 10]! << 8) | b[off + 11]!) +
    ((b[off + 12]! << 8) | b[off + 13]!) +
    ((b[off + 14]! << 8) | b[off + 15]!) +
    ((b[off + 16]! << 8) | b[off + 17]!) +
    ((b[off + 18]! << 8) | b[off + 19]!);
  // options, when present (the 20-byte header above is the unrolled common case, as in ip_fast_csum)
  const end = off + hlen;
  for (let i = off + 20; i < end; i += 4) s += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

/** Fold a partial sum to 16 bits and complement it: the value to store in a checksum field. HOT. */
export function csumFold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** IPv4 header checksum of the header at `off` with length `hlen` (the checksum field is skipped). HOT. */
export function ipv4HeaderChecksum(b: Uint8Array, off: number, hlen: number): number {
  let sum = csumPartial(b, off, 10, 0);
  sum = csumPartial(b, off + 12, hlen - 12, sum);
  return csumFold(sum);
}

/** Pseudo-header partial sum for TCP/UDP over IPv4 (addresses unsigned 32-bit). HOT. */
export function pseudoHeaderSum(saddr: number, daddr: number, proto: number, l4len: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + l4len;
}

/**
 * Checksum of an L4 segment of `l4len` bytes at `off` (TCP, UDP; pass proto 0 and no pseudo-header sum for
 * ICMP), with the 16-bit checksum field at `off + csumAt` treated as zero. HOT.
 */
export function l4Checksum(b: Uint8Array, off: number, l4len: number, csumAt: number, pseudo: number): number {
  let sum = csumPartial(b, off, csumAt, pseudo);
  sum = csumPartial(b, off + csumAt + 2, l4len - csumAt - 2, sum);
  return csumFold(sum);
}

/** RFC 1624 eqn. 3 for a 16-bit field change: returns the new checksum. HOT. */
export function csumReplace2(check: number, oldv: number, newv: number): number {
  let sum = (~check & 0xffff) + (~oldv & 0xffff) + (newv & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * inet_proto_csum_replace4 (pseudohdr) on a CHECKSUM_PARTIAL field, which holds the folded pseudo-header
 * sum, not complemented: the field moves by -old + new. A 16-bit change passes old and new below 2^16. HOT.
 */
export function csumPartialReplace(field: number, oldv: number, newv: number): number {
  let sum = field + (~(oldv >>> 16) & 0xffff) + (~oldv & 0xffff) + (newv >>> 16) + (newv & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1624 for a 32-bit field change (an IPv4 address): returns the new checksum. HOT. */
export function csumReplace4(check: number, oldv: number, newv: number): number {
  let sum = (~check & 0xffff) + (~(oldv >>> 16) & 0xffff) + (~oldv & 0xffff) + (newv >>> 16) + (newv & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Like the kernel's inet_proto_csum_replace* for UDP: a checksum of 0 means "none" and stays 0, and a
 * computed 0 is written as 0xffff (CSUM_MANGLED_0). HOT.
 */
export function udpCsumReplace4(check: number, oldv: number, newv: number): number {
  if (check === 0) return 0;
  const c = csumReplace4(check, oldv, newv);
  return c === 0 ? 0xffff : c;
}
export function udpCsumReplace2(check: number, oldv: number, newv: number): number {
  if (check === 0) return 0;
  const c = csumReplace2(check, oldv, newv);
  return c === 0 ? 0xffff : c;
}

/** Verify a stored checksum over a region that includes its own field: sums to 0xffff when right. */
export function csumVerifies(b: Uint8Array, off: number, len: number, pseudo: number): boolean {
  let sum = csumPartial(b, off, len, pseudo);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum === 0xffff;
}

/** Read the 16-bit checksum field at `off`. */
export function readCsum(b: Uint8Array, off: number): number {
  return be16(b, off);
}
