// Zero-copy view over the fixed IPv6 header (RFC 8200): version, traffic class, flow label, payload
// length, next header, hop limit and the two 128-bit addresses (read as four 32-bit words each).
// nfreplay models an IPv4 datapath; IPv6 is recognised, counted and identified for flows and reports.

import { be16, be32, putBe16 } from '../util/bytes.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the fixed IPv6 header. */
export const Ipv6Off = { VER_TC_FL: 0, PAYLOAD_LEN: 4, NEXT_HDR: 6, HOP_LIMIT: 7, SADDR: 8, DADDR: 24 } as const;
export const IPV6_HDR_LEN = 40;
/** Offsets inside the IPv6 fragment extension header. */
export const Ipv6FragOff = { NEXT_HDR: 0, FRAG: 2, IDENT: 4 } as const;
export const IPV6_FRAG_HDR_LEN = 8;

export class Ipv6View extends ByteView {
  /** Do `avail` bytes at `off` hold the fixed IPv6 header with version 6? */
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    return off >= 0 && avail >= IPV6_HDR_LEN && off + IPV6_HDR_LEN <= bytes.length && bytes[off]! >>> 4 === 6;
  }

  get version(): number {
    return this.bytes[this.off]! >>> 4;
  }
  get trafficClass(): number {
    return (be16(this.bytes, this.off) >>> 4) & 0xff;
  }
  get flowLabel(): number {
    return be32(this.bytes, this.off) & 0xfffff;
  }
  get payloadLen(): number {
    return be16(this.bytes, this.off + Ipv6Off.PAYLOAD_LEN);
  }
  get nextHeader(): number {
    return this.bytes[this.off + Ipv6Off.NEXT_HDR]!;
  }
  get hopLimit(): number {
    return this.bytes[this.off + Ipv6Off.HOP_LIMIT]!;
  }
  /** Word i (0 = most significant) of the source address. */
  saddrWord(i: number): number {
    return be32(this.bytes, this.off + Ipv6Off.SADDR + 4 * i);
  }
  daddrWord(i: number): number {
    return be32(this.bytes, this.off + Ipv6Off.DADDR + 4 * i);
  }

  set payloadLen(v: number) {
    putBe16(this.bytes, this.off + Ipv6Off.PAYLOAD_LEN, v);
  }
  set nextHeader(v: number) {
    this.bytes[this.off + Ipv6Off.NEXT_HDR] = v & 0xff;
  }
  set hopLimit(v: number) {
    this.bytes[this.off + Ipv6Off.HOP_LIMIT] = v & 0xff;
  }
}
