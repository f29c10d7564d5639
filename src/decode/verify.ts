// Checksum verification during decode: which checksums to verify (the `verify` bits of decodeFrame) and the
// helpers that set PacketMeta.csum and the counters. Cost: the IPv4 header sum is ~10 16-bit adds; a full
// L4 sum reads every payload byte (a few hundred ns for 1500 bytes), so L4 verification is opt-out.

import { csumPartial } from '../wire/checksum.js';
import { viewOf } from './view.js';
import { Csum, type PacketMeta } from './meta.js';
import { DecodeCounter, type DecodeCounters } from './counters.js';

// Module-local copies of shared constants: V8 folds these into the code; property loads would stay loads.
const CS_IPV4_BAD = Csum.IPV4_BAD;
const CS_IPV4_CHECKED = Csum.IPV4_CHECKED;
const CS_L4_BAD = Csum.L4_BAD;
const CS_L4_CHECKED = Csum.L4_CHECKED;
const CS_L4_NONE = Csum.L4_NONE;
const CS_L4_UNVERIFIABLE = Csum.L4_UNVERIFIABLE;
const C_IPV4_CSUM_BAD = DecodeCounter.IPV4_CSUM_BAD;
const C_IPV4_CSUM_CHECKED = DecodeCounter.IPV4_CSUM_CHECKED;
const C_L4_CSUM_BAD = DecodeCounter.L4_CSUM_BAD;
const C_L4_CSUM_CHECKED = DecodeCounter.L4_CSUM_CHECKED;
const C_L4_CSUM_NONE = DecodeCounter.L4_CSUM_NONE;
const C_L4_CSUM_UNVERIFIABLE = DecodeCounter.L4_CSUM_UNVERIFIABLE;
const C_L4_CSUM_PARTIAL = DecodeCounter.L4_CSUM_PARTIAL;
const CS_L4_PARTIAL = Csum.L4_PARTIAL;

/** Bits of the `verify` argument of decodeFrame / decodeIpv4Packet. */
export const Verify = {
  NONE: 0,
  /** IPv4 header checksum (cheap). */
  IPV4_HEADER: 1,
  /** TCP, UDP, ICMP and ICMPv6 checksums over the whole segment (costs a pass over the payload). */
  L4: 2,
  ALL: 3,
} as const;

/** Verify the IPv4 header checksum of the header at `off` (hlen bytes, all captured). HOT. */
export function verifyIpv4Header(m: PacketMeta, c: DecodeCounters, off: number, hlen: number): void {
  m.csum |= CS_IPV4_CHECKED;
  c.values[C_IPV4_CSUM_CHECKED]! += 1;
  // the same sum as ipv4HeaderVerifies(), one 32-bit load per two 16-bit words
  const dv = viewOf(m.data);
  let s = 0;
  const end = off + hlen;
  for (let i = off; i < end; i += 4) {
    const w = dv.getUint32(i);
    s += (w >>> 16) + (w & 0xffff);
  }
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  if (s !== 0xffff) {
    m.csum |= CS_IPV4_BAD;
    c.values[C_IPV4_CSUM_BAD]! += 1;
  }
}

/**
 * Verify an L4 checksum over [off, off + len) plus the pseudo-header partial sum `pseudo` (0 for ICMPv4).
 * Unverifiable when the segment is a fragment or not wholly captured (capEnd). A TCP/UDP checksum that
 * fails (or cannot be checked) but holds exactly the folded pseudo-header sum was left for the NIC: it is
 * CHECKSUM_PARTIAL, which the kernel never verifies. HOT.
 */
export function verifyL4(m: PacketMeta, c: DecodeCounters, off: number, len: number, capEnd: number, pseudo: number, fragmented: boolean): void {
  if (fragmented || off + len > capEnd) {
    if (!fragmented && isPartial(m, pseudo)) return markPartial(m, c);
    m.csum |= CS_L4_UNVERIFIABLE;
    c.values[C_L4_CSUM_UNVERIFIABLE]! += 1;
    return;
  }
  const sum = foldSum(sumWords(viewOf(m.data), off, len, pseudo));
  if (sum !== 0xffff && isPartial(m, pseudo)) return markPartial(m, c);
  m.csum |= CS_L4_CHECKED;
  c.values[C_L4_CSUM_CHECKED]! += 1;
  if (sum !== 0xffff) {
    m.csum |= CS_L4_BAD;
    c.values[C_L4_CSUM_BAD]! += 1;
  }
}

/** A partial sum folded to 16 bits, not complemented: what a CHECKSUM_PARTIAL field holds. */
function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

/** Does the TCP/UDP checksum field (pseudo-header sum `pseudo`; 0 for ICMP) hold just that sum? */
function isPartial(m: PacketMeta, pseudo: number): boolean {
  return pseudo !== 0 && foldSum(pseudo) === m.l4Csum;
}

/**
 * Does the TCP/UDP checksum of decoded IPv4 packet `m` hold just its pseudo-header sum, as one left for the
 * NIC does (what verifyL4 calls CHECKSUM_PARTIAL), without verifying the segment? HOT.
 */
export function holdsPseudoSum(m: PacketMeta): boolean {
  return isPartial(m, ipv4PseudoBase(m.saddr, m.daddr, m.ipProto) + m.l4Len);
}

function markPartial(m: PacketMeta, c: DecodeCounters): void {
  m.csum |= CS_L4_PARTIAL;
  c.values[C_L4_CSUM_PARTIAL]! += 1;
}

/**
 * One's-complement partial sum of [off, off + len) read through a DataView, four bytes per load: the same
 * value as csumPartial() over the same bytes (addition commutes), at a fraction of its loads. HOT.
 */
export function sumWords(dv: DataView, off: number, len: number, sum: number): number {
  let i = off;
  const end4 = off + (len & ~3);
  for (; i < end4; i += 4) {
    const w = dv.getUint32(i);
    sum += (w >>> 16) + (w & 0xffff);
  }
  if ((len & 2) !== 0) {
    sum += dv.getUint16(i);
    i += 2;
  }
  if ((len & 1) !== 0) sum += dv.getUint8(i) << 8;
  return sum;
}

/** A UDP datagram without checksum (0 over IPv4). HOT. */
export function markL4None(m: PacketMeta, c: DecodeCounters): void {
  m.csum |= CS_L4_NONE;
  c.values[C_L4_CSUM_NONE]! += 1;
}

/** IPv4 pseudo-header partial sum without the length: addresses and protocol. HOT. */
export function ipv4PseudoBase(saddr: number, daddr: number, proto: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto;
}

/** IPv6 pseudo-header partial sum without the length: the 16-byte addresses at srcOff/dstOff and the protocol. HOT. */
export function ipv6PseudoBase(b: Uint8Array, srcOff: number, dstOff: number, proto: number): number {
  return csumPartial(b, dstOff, 16, csumPartial(b, srcOff, 16, proto));
}
