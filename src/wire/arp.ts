// Zero-copy view over an ARP packet (RFC 826). The generic header gives hardware/protocol types and address
// sizes; the sender/target getters assume the Ethernet + IPv4 form (hlen 6, plen 4), which isEthernetIpv4()
// confirms. MACs as (hi 16, lo 32) numbers, IPv4 addresses as unsigned 32-bit.

import { be16, be32, putBe16, putBe32 } from '../util/bytes.js';
import { ArpHrd, EtherType } from './constants.js';
import { ByteView } from './byte-view.js';

/** Offsets of the generic header and of the Ethernet/IPv4 address fields. */
export const ArpOff = { HTYPE: 0, PTYPE: 2, HLEN: 4, PLEN: 5, OPER: 6, SHA: 8, SPA: 14, THA: 18, TPA: 24 } as const;
/** Fixed part, and the whole Ethernet/IPv4 form. */
export const ARP_HDR_LEN = 8;
export const ARP_ETH_IPV4_LEN = 28;

export class ArpView extends ByteView {
  /** Do `avail` bytes hold the fixed header and the four addresses its hlen/plen announce? */
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    if (off < 0 || avail < ARP_HDR_LEN || off + ARP_HDR_LEN > bytes.length) return false;
    const need = ARP_HDR_LEN + 2 * bytes[off + ArpOff.HLEN]! + 2 * bytes[off + ArpOff.PLEN]!;
    return need <= avail && off + need <= bytes.length;
  }

  get htype(): number {
    return be16(this.bytes, this.off + ArpOff.HTYPE);
  }
  get ptype(): number {
    return be16(this.bytes, this.off + ArpOff.PTYPE);
  }
  get hlen(): number {
    return this.bytes[this.off + ArpOff.HLEN]!;
  }
  get plen(): number {
    return this.bytes[this.off + ArpOff.PLEN]!;
  }
  get oper(): number {
    return be16(this.bytes, this.off + ArpOff.OPER);
  }
  /** Ethernet hardware and IPv4 protocol addresses (the only form the address getters read). */
  get isEthernetIpv4(): boolean {
    return this.htype === ArpHrd.ETHER && this.ptype === EtherType.IPV4 && this.hlen === 6 && this.plen === 4;
  }
  get shaHi(): number {
    return be16(this.bytes, this.off + ArpOff.SHA);
  }
  get shaLo(): number {
    return be32(this.bytes, this.off + ArpOff.SHA + 2);
  }
  get spa(): number {
    return be32(this.bytes, this.off + ArpOff.SPA);
  }
  get thaHi(): number {
    return be16(this.bytes, this.off + ArpOff.THA);
  }
  get thaLo(): number {
    return be32(this.bytes, this.off + ArpOff.THA + 2);
  }
  get tpa(): number {
    return be32(this.bytes, this.off + ArpOff.TPA);
  }

  set oper(v: number) {
    putBe16(this.bytes, this.off + ArpOff.OPER, v);
  }
  setSha(hi: number, lo: number): void {
    putBe16(this.bytes, this.off + ArpOff.SHA, hi);
    putBe32(this.bytes, this.off + ArpOff.SHA + 2, lo);
  }
  set spa(v: number) {
    putBe32(this.bytes, this.off + ArpOff.SPA, v);
  }
  setTha(hi: number, lo: number): void {
    putBe16(this.bytes, this.off + ArpOff.THA, hi);
    putBe32(this.bytes, this.off + ArpOff.THA + 2, lo);
  }
  set tpa(v: number) {
    putBe32(this.bytes, this.off + ArpOff.TPA, v);
  }
}
