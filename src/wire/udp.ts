// Zero-copy view over a UDP header (RFC 768): ports, length and checksum, with setters for NAT. A checksum
// of 0 means "none" over IPv4 (see udpCsumReplace* in checksum.ts for how rewrites keep it).

import { be16, putBe16 } from '../util/bytes.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the UDP header. */
export const UdpOff = { SPORT: 0, DPORT: 2, LEN: 4, CSUM: 6 } as const;
export const UDP_HDR_LEN = 8;

export class UdpView extends ByteView {
  /** Do `avail` bytes at `off` hold a UDP header whose length field is possible (8 <= len <= avail)? */
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    if (off < 0 || avail < UDP_HDR_LEN || off + UDP_HDR_LEN > bytes.length) return false;
    const len = be16(bytes, off + UdpOff.LEN);
    return len >= UDP_HDR_LEN && len <= avail;
  }

  get srcPort(): number {
    return be16(this.bytes, this.off + UdpOff.SPORT);
  }
  get dstPort(): number {
    return be16(this.bytes, this.off + UdpOff.DPORT);
  }
  /** Length of header + payload as the header states it. */
  get length(): number {
    return be16(this.bytes, this.off + UdpOff.LEN);
  }
  get checksum(): number {
    return be16(this.bytes, this.off + UdpOff.CSUM);
  }

  set srcPort(v: number) {
    putBe16(this.bytes, this.off + UdpOff.SPORT, v);
  }
  set dstPort(v: number) {
    putBe16(this.bytes, this.off + UdpOff.DPORT, v);
  }
  set length(v: number) {
    putBe16(this.bytes, this.off + UdpOff.LEN, v);
  }
  set checksum(v: number) {
    putBe16(this.bytes, this.off + UdpOff.CSUM, v);
  }
}
