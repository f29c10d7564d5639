// Zero-copy views over the Linux "cooked" capture headers: SLL (LINKTYPE_LINUX_SLL, 16 bytes) and SLL2
// (LINKTYPE_LINUX_SLL2, 20 bytes, adds the interface index). Both carry the packet type (host, broadcast,
// multicast, otherhost, outgoing), the ARPHRD device type, up to 8 link-address bytes and the protocol.

import { be16, be32 } from '../util/bytes.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the SLL header (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html). */
export const SllOff = { PKTTYPE: 0, HATYPE: 2, HALEN: 4, ADDR: 6, PROTO: 14 } as const;
export const SLL_HDR_LEN = 16;
/** Field offsets inside the SLL2 header (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html). */
export const Sll2Off = { PROTO: 0, RESERVED: 2, IFINDEX: 4, HATYPE: 8, PKTTYPE: 10, HALEN: 11, ADDR: 12 } as const;
export const SLL2_HDR_LEN = 20;

export class SllView extends ByteView {
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    return off >= 0 && avail >= SLL_HDR_LEN && off + SLL_HDR_LEN <= bytes.length;
  }

  /** SllPktType.* (0 host .. 4 outgoing). */
  get pktType(): number {
    return be16(this.bytes, this.off + SllOff.PKTTYPE);
  }
  /** ARPHRD_* of the capturing device. */
  get haType(): number {
    return be16(this.bytes, this.off + SllOff.HATYPE);
  }
  /** Link-layer address length as stated (only the first 8 bytes are stored). */
  get haLen(): number {
    return be16(this.bytes, this.off + SllOff.HALEN);
  }
  /** First 6 address bytes as (hi 16, lo 32): the source MAC on Ethernet devices. */
  get addrHi(): number {
    return be16(this.bytes, this.off + SllOff.ADDR);
  }
  get addrLo(): number {
    return be32(this.bytes, this.off + SllOff.ADDR + 2);
  }
  /** EtherType (or an SllProto value for non-Ethernet payloads). */
  get protocol(): number {
    return be16(this.bytes, this.off + SllOff.PROTO);
  }
}

export class Sll2View extends ByteView {
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    return off >= 0 && avail >= SLL2_HDR_LEN && off + SLL2_HDR_LEN <= bytes.length;
  }

  get protocol(): number {
    return be16(this.bytes, this.off + Sll2Off.PROTO);
  }
  get ifIndex(): number {
    return be32(this.bytes, this.off + Sll2Off.IFINDEX);
  }
  get haType(): number {
    return be16(this.bytes, this.off + Sll2Off.HATYPE);
  }
  get pktType(): number {
    return this.bytes[this.off + Sll2Off.PKTTYPE]!;
  }
  get haLen(): number {
    return this.bytes[this.off + Sll2Off.HALEN]!;
  }
  get addrHi(): number {
    return be16(this.bytes, this.off + Sll2Off.ADDR);
  }
  get addrLo(): number {
    return be32(this.bytes, this.off + Sll2Off.ADDR + 2);
  }
}
