// Checksum verification during decode: which checksums to verify (the `verify` bits of decodeFrame) and the
// helpers that set PacketMeta.csum and the counters. Cost: the IPv4 header sum is ~10 16-bit adds; a full
// L4 sum reads every payload byte (a few hundred ns for 1500 bytes), so L4 verification is opt-out.

import { csumPartial, csumVerifies } from '../wire/checksum.js';
import { Csum, type PacketMeta } from './meta.js';
import { DecodeCounter, type DecodeCounters } from './counters.js';

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
  m.csum |= Csum.IPV4_CHECKED;
  c.values[DecodeCounter.IPV4_CSUM_CHECKED]! += 1;
  if (!csumVerifies(m.data, off, hlen, 0)) {
    m.csum |= Csum.IPV4_BAD;
    c.values[DecodeCounter.IPV4_CSUM_BAD]! += 1;
  }
}

/**
 * Verify an L4 checksum over [off, off + len) plus the pseudo-header partial sum `pseudo` (0 for ICMPv4).
 * Unverifiable when the segment is a fragment or not wholly captured (capEnd). HOT.
 */
export function verifyL4(m: PacketMeta, c: DecodeCounters, off: number, len: number, capEnd: number, pseudo: number, fragmented: boolean): void {
  if (fragmented || off + len > capEnd) {
    m.csum |= Csum.L4_UNVERIFIABLE;
    c.values[DecodeCounter.L4_CSUM_UNVERIFIABLE]! += 1;
    return;
  }
  m.csum |= Csum.L4_CHECKED;
  c.values[DecodeCounter.L4_CSUM_CHECKED]! += 1;
  if (!csumVerifies(m.data, off, len, pseudo)) {
    m.csum |= Csum.L4_BAD;
    c.values[DecodeCounter.L4_CSUM_BAD]! += 1;
  }
}

/** A UDP datagram without checksum (0 over IPv4). HOT. */
export function markL4None(m: PacketMeta, c: DecodeCounters): void {
  m.csum |= Csum.L4_NONE;
  c.values[DecodeCounter.L4_CSUM_NONE]! += 1;
}

/** IPv4 pseudo-header partial sum without the length: addresses and protocol. HOT. */
export function ipv4PseudoBase(saddr: number, daddr: number, proto: number): number {
  return (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto;
}

/** IPv6 pseudo-header partial sum without the length: the 16-byte addresses at srcOff/dstOff and the protocol. HOT. */
export function ipv6PseudoBase(b: Uint8Array, srcOff: number, dstOff: number, proto: number): number {
  return csumPartial(b, dstOff, 16, csumPartial(b, srcOff, 16, proto));
}
