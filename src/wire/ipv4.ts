// Zero-copy view over an IPv4 header (RFC 791) at an offset: every field by name, setters for what NAT,
// TTL handling and mangling rewrite, and the header checksum (full computation; incremental updates are
// in checksum.ts). Addresses are unsigned 32-bit numbers (10.0.0.1 = 0x0a000001).

import { be16, be32, putBe16, putBe32 } from '../util/bytes.js';
import { ipv4HeaderChecksum, csumVerifies } from './checksum.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the IPv4 header. */
export const Ipv4Off = {
  VER_IHL: 0,
  TOS: 1,
  TOT_LEN: 2,
  ID: 4,
  FRAG: 6,
  TTL: 8,
  PROTO: 9,
  CSUM: 10,
  SADDR: 12,
  DADDR: 16,
  OPTIONS: 20,
} as const;
/** Minimum and maximum header lengths (IHL 5 and 15). */
export const IPV4_MIN_HDR_LEN = 20;
export const IPV4_MAX_HDR_LEN = 60;
/** Bits of the flags + fragment-offset field. */
export const Ipv4Frag = { RESERVED: 0x8000, DF: 0x4000, MF: 0x2000, OFFSET_MASK: 0x1fff } as const;
/** IPv4 option types the decoder knows by name (single-byte ones have no length byte). */
export const Ipv4Opt = { EOL: 0, NOP: 1, RR: 7, TS: 68, SEC: 130, LSRR: 131, SSRR: 137, RA: 148 } as const;

export class Ipv4View extends ByteView {
  /**
   * Do `avail` bytes at `off` hold a whole IPv4 header: version 4, IHL >= 5 and IHL * 4 bytes present?
   * (Whether the total length fits the packet is the decoder's business: it is a packet property.)
   */
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    if (off < 0 || avail < IPV4_MIN_HDR_LEN || off + IPV4_MIN_HDR_LEN > bytes.length) return false;
    const b = bytes[off]!;
    const hlen = (b & 0x0f) << 2;
    return b >>> 4 === 4 && hlen >= IPV4_MIN_HDR_LEN && hlen <= avail && off + hlen <= bytes.length;
  }

  get version(): number {
    return this.bytes[this.off]! >>> 4;
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return this.bytes[this.off]! & 0x0f;
  }
  /** Header length in bytes. */
  get headerLen(): number {
    return (this.bytes[this.off]! & 0x0f) << 2;
  }
  get tos(): number {
    return this.bytes[this.off + Ipv4Off.TOS]!;
  }
  get dscp(): number {
    return this.bytes[this.off + Ipv4Off.TOS]! >>> 2;
  }
  get ecn(): number {
    return this.bytes[this.off + Ipv4Off.TOS]! & 3;
  }
  get totalLen(): number {
    return be16(this.bytes, this.off + Ipv4Off.TOT_LEN);
  }
  get ident(): number {
    return be16(this.bytes, this.off + Ipv4Off.ID);
  }
  /** Raw flags + fragment offset field. */
  get fragField(): number {
    return be16(this.bytes, this.off + Ipv4Off.FRAG);
  }
  get dontFrag(): number {
    return (this.bytes[this.off + Ipv4Off.FRAG]! >>> 6) & 1;
  }
  get moreFrags(): number {
    return (this.bytes[this.off + Ipv4Off.FRAG]! >>> 5) & 1;
  }
  /** Fragment offset in bytes. */
  get fragOffset(): number {
    return (this.fragField & Ipv4Frag.OFFSET_MASK) << 3;
  }
  get ttl(): number {
    return this.bytes[this.off + Ipv4Off.TTL]!;
  }
  get protocol(): number {
    return this.bytes[this.off + Ipv4Off.PROTO]!;
  }
  get checksum(): number {
    return be16(this.bytes, this.off + Ipv4Off.CSUM);
  }
  get saddr(): number {
    return be32(this.bytes, this.off + Ipv4Off.SADDR);
  }
  get daddr(): number {
    return be32(this.bytes, this.off + Ipv4Off.DADDR);
  }

  set tos(v: number) {
    this.bytes[this.off + Ipv4Off.TOS] = v & 0xff;
  }
  set totalLen(v: number) {
    putBe16(this.bytes, this.off + Ipv4Off.TOT_LEN, v);
  }
  set ident(v: number) {
    putBe16(this.bytes, this.off + Ipv4Off.ID, v);
  }
  set fragField(v: number) {
    putBe16(this.bytes, this.off + Ipv4Off.FRAG, v);
  }
  set ttl(v: number) {
    this.bytes[this.off + Ipv4Off.TTL] = v & 0xff;
  }
  set protocol(v: number) {
    this.bytes[this.off + Ipv4Off.PROTO] = v & 0xff;
  }
  set checksum(v: number) {
    putBe16(this.bytes, this.off + Ipv4Off.CSUM, v);
  }
  set saddr(v: number) {
    putBe32(this.bytes, this.off + Ipv4Off.SADDR, v);
  }
  set daddr(v: number) {
    putBe32(this.bytes, this.off + Ipv4Off.DADDR, v);
  }

  /** Header checksum computed over the header as it is now (the stored checksum field is ignored). */
  computeChecksum(): number {
    return ipv4HeaderChecksum(this.bytes, this.off, this.headerLen);
  }
  /** Store a freshly computed header checksum (the kernel's ip_send_check). */
  fillChecksum(): void {
    this.checksum = this.computeChecksum();
  }
  /** Does the stored header checksum verify? */
  verifyChecksum(): boolean {
    return csumVerifies(this.bytes, this.off, this.headerLen, 0);
  }
}
