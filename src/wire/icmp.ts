// Zero-copy view over an ICMP header (RFC 792): type, code, checksum and the 4-byte "rest of header"
// read as echo id/sequence, next-hop MTU (fragmentation needed) or gateway (redirect). Error messages
// (isIcmpError) quote the offending IPv4 header plus at least 8 bytes of its payload after 8 bytes.

import { be16, be32, putBe16, putBe32 } from '../util/bytes.js';
import { IcmpType } from './constants.js';
import { ByteView } from './byte-view.js';

/** Field offsets inside the ICMP header. */
export const IcmpOff = { TYPE: 0, CODE: 1, CSUM: 2, ID: 4, SEQ: 6, MTU: 6, GATEWAY: 4, QUOTED: 8 } as const;
export const ICMP_HDR_LEN = 8;

/** Types the kernel treats as errors quoting a packet (icmp_is_err / nf_conntrack icmp_error): 3, 4, 5, 11, 12. */
export function isIcmpError(type: number): boolean {
  return (
    type === IcmpType.DEST_UNREACH ||
    type === IcmpType.SOURCE_QUENCH ||
    type === IcmpType.REDIRECT ||
    type === IcmpType.TIME_EXCEEDED ||
    type === IcmpType.PARAMETER_PROB
  );
}

/** Types whose rest-of-header is identifier + sequence (echo and timestamp requests and replies). */
export function icmpHasId(type: number): boolean {
  return type === IcmpType.ECHO || type === IcmpType.ECHO_REPLY || type === IcmpType.TIMESTAMP || type === IcmpType.TIMESTAMP_REPLY;
}

export class IcmpView extends ByteView {
  static check(bytes: Uint8Array, off: number, avail: number): boolean {
    return off >= 0 && avail >= ICMP_HDR_LEN && off + ICMP_HDR_LEN <= bytes.length;
  }

  get type(): number {
    return this.bytes[this.off + IcmpOff.TYPE]!;
  }
  get code(): number {
    return this.bytes[this.off + IcmpOff.CODE]!;
  }
  get checksum(): number {
    return be16(this.bytes, this.off + IcmpOff.CSUM);
  }
  get id(): number {
    return be16(this.bytes, this.off + IcmpOff.ID);
  }
  get seq(): number {
    return be16(this.bytes, this.off + IcmpOff.SEQ);
  }
  /** Next-hop MTU of a "fragmentation needed" (type 3 code 4). */
  get mtu(): number {
    return be16(this.bytes, this.off + IcmpOff.MTU);
  }
  /** Gateway address of a redirect (type 5). */
  get gateway(): number {
    return be32(this.bytes, this.off + IcmpOff.GATEWAY);
  }

  set type(v: number) {
    this.bytes[this.off + IcmpOff.TYPE] = v & 0xff;
  }
  set code(v: number) {
    this.bytes[this.off + IcmpOff.CODE] = v & 0xff;
  }
  set checksum(v: number) {
    putBe16(this.bytes, this.off + IcmpOff.CSUM, v);
  }
  set id(v: number) {
    putBe16(this.bytes, this.off + IcmpOff.ID, v);
  }
  set seq(v: number) {
    putBe16(this.bytes, this.off + IcmpOff.SEQ, v);
  }
  set mtu(v: number) {
    putBe16(this.bytes, this.off + IcmpOff.MTU, v);
  }
  set gateway(v: number) {
    putBe32(this.bytes, this.off + IcmpOff.GATEWAY, v);
  }
}
