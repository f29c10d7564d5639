// Zero-copy view over an Ethernet II header (dst MAC, src MAC, EtherType) at an offset in a byte buffer.
// MACs are read as two numbers (high 16 bits, low 32 bits) as everywhere in nfreplay. The smoltcp
// EthernetFrame pattern: one static length check, then getters and setters that never check again.

import { be16, be32, putBe16, putBe32 } from '../util/bytes.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the Ethernet header. */
export const EthOff = { DST: 0, SRC: 6, TYPE: 12 } as const;
/** Length of an untagged Ethernet II header. */
export const ETH_HDR_LEN = 14;

export class EthernetView extends ByteView {
  /** Do `avail` bytes at `off` (all inside `bytes`) hold an Ethernet header? */
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    return off >= 0 && avail >= ETH_HDR_LEN && off + ETH_HDR_LEN <= bytes.length;
  }

  get dstHi(): number {
    return be16(this.bytes, this.off + EthOff.DST);
  }
  get dstLo(): number {
    return be32(this.bytes, this.off + EthOff.DST + 2);
  }
  get srcHi(): number {
    return be16(this.bytes, this.off + EthOff.SRC);
  }
  get srcLo(): number {
    return be32(this.bytes, this.off + EthOff.SRC + 2);
  }
  /** EtherType, or the 802.3 length when below 0x0600. */
  get etherType(): number {
    return be16(this.bytes, this.off + EthOff.TYPE);
  }
  /** Group bit of the destination (multicast or broadcast). */
  get isMulticast(): boolean {
    return (this.bytes[this.off + EthOff.DST]! & 1) === 1;
  }
  get isBroadcast(): boolean {
    return this.dstHi === 0xffff && this.dstLo === 0xffffffff;
  }

  setDst(hi: number, lo: number): void {
    putBe16(this.bytes, this.off + EthOff.DST, hi);
    putBe32(this.bytes, this.off + EthOff.DST + 2, lo);
  }
  setSrc(hi: number, lo: number): void {
    putBe16(this.bytes, this.off + EthOff.SRC, hi);
    putBe32(this.bytes, this.off + EthOff.SRC + 2, lo);
  }
  set etherType(v: number) {
    putBe16(this.bytes, this.off + EthOff.TYPE, v);
  }
}
