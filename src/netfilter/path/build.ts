// Byte-level builders of the packets the host's own stack generates: the IPv4 header (ip_send_check),
// TCP resets (nf_reject_ip_tcphdr_put and tcp_v4_send_reset share the field rules), ICMP errors
// (icmp_send's header + as much of the offending packet as fits) and ICMP echo replies (icmp_echo).

import { putBe16, putBe32, be16 } from '../../util/bytes.js';
import { csumFold, csumPartial, ipv4HeaderChecksum, l4Checksum, pseudoHeaderSum } from '../../wire/checksum.js';
import type { PacketMeta } from '../../decode/meta.js';
import { IpProto, TcpFlag } from '../../decode/meta.js';

export const IP_DF = 0x4000;

/** Write a 20-byte IPv4 header at `off` and its checksum. HOT. */
export function writeIpv4Header(
  b: Uint8Array, off: number, tos: number, totLen: number, id: number, fragField: number,
  ttl: number, proto: number, saddr: number, daddr: number,
): void {
  b[off] = 0x45;
  b[off + 1] = tos & 0xff;
  putBe16(b, off + 2, totLen);
  putBe16(b, off + 4, id & 0xffff);
  putBe16(b, off + 6, fragField);
  b[off + 8] = ttl & 0xff;
  b[off + 9] = proto;
  putBe16(b, off + 10, 0);
  putBe32(b, off + 12, saddr);
  putBe32(b, off + 16, daddr);
  putBe16(b, off + 10, ipv4HeaderChecksum(b, off, 20));
}

/**
 * A TCP reset answering the segment in `orig` (40 bytes at `off`), from orig's destination to its source:
 * ports swapped, doff 5, window 0; seq = orig ack when orig has ACK (flags RST), else seq 0 and
 * ack = seq + SYN + FIN + payload (flags RST|ACK). Returns the packet length. HOT.
 */
export function buildTcpReset(b: Uint8Array, off: number, orig: PacketMeta, tos: number, ttl: number, id: number): number {
  const saddr = orig.daddr;
  const daddr = orig.saddr;
  writeIpv4Header(b, off, tos, 40, id, IP_DF, ttl, IpProto.TCP, saddr, daddr);
  const t = off + 20;
  putBe16(b, t, orig.dport);
  putBe16(b, t + 2, orig.sport);
  let flags = TcpFlag.RST;
  if ((orig.tcpFlags & TcpFlag.ACK) !== 0) {
    putBe32(b, t + 4, orig.tcpAck);
    putBe32(b, t + 8, 0);
  } else {
    const payload = orig.ipTotalLen - orig.ipHdrLen - orig.tcpHdrLen;
    const ack = (orig.tcpSeq + ((orig.tcpFlags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((orig.tcpFlags & TcpFlag.FIN) !== 0 ? 1 : 0) + payload) >>> 0;
    putBe32(b, t + 4, 0);
    putBe32(b, t + 8, ack);
    flags |= TcpFlag.ACK;
  }
  b[t + 12] = 5 << 4;
  b[t + 13] = flags;
  putBe16(b, t + 14, 0);
  putBe16(b, t + 16, 0);
  putBe16(b, t + 18, 0);
  putBe16(b, t + 16, l4Checksum(b, t, 20, 16, pseudoHeaderSum(saddr, daddr, IpProto.TCP, 20)));
  return 40;
}

/**
 * An ICMP error (icmp_send) quoting `dataLen` bytes of the offending packet that starts at `origOff` in
 * `origBuf`. `info` is the 32-bit rest-of-header (the next-hop MTU for frag-needed). Returns the length. HOT.
 */
export function buildIcmpError(
  b: Uint8Array, off: number, type: number, code: number, info: number,
  origBuf: Uint8Array, origOff: number, dataLen: number,
  saddr: number, daddr: number, tos: number, ttl: number, id: number,
): number {
  const tot = 20 + 8 + dataLen;
  writeIpv4Header(b, off, tos, tot, id, 0, ttl, IpProto.ICMP, saddr, daddr);
  const ic = off + 20;
  b[ic] = type;
  b[ic + 1] = code;
  putBe16(b, ic + 2, 0);
  putBe32(b, ic + 4, info >>> 0);
  b.set(origBuf.subarray(origOff, origOff + dataLen), ic + 8);
  putBe16(b, ic + 2, csumFold(csumPartial(b, ic, 8 + dataLen, 0)));
  return tot;
}

/**
 * An ICMP echo reply (icmp_echo → icmp_reply) to the request in `req`: type 0, same code, id, sequence and
 * data; the IP header carries the request's TOS. Returns the length. HOT.
 */
export function buildEchoReply(b: Uint8Array, off: number, req: PacketMeta, saddr: number, ttl: number, id: number): number {
  const icmpLen = req.ipTotalLen - req.ipHdrLen;
  const tot = 20 + icmpLen;
  writeIpv4Header(b, off, req.ipTos, tot, id, 0, ttl, IpProto.ICMP, saddr, req.saddr);
  const ic = off + 20;
  b.set(req.data.subarray(req.l4Off, req.l4Off + icmpLen), ic);
  b[ic] = 0;
  putBe16(b, ic + 2, 0);
  putBe16(b, ic + 2, csumFold(csumPartial(b, ic, icmpLen, 0)));
  return tot;
}

/**
 * An ICMP timestamp reply to the request `req` (icmp_timestamp): its header with type 14 and code 0, the
 * originate timestamp it carried, and `ms` as receive and transmit timestamps. 20 bytes of ICMP whatever the
 * request's length.
 */
export function buildTimestampReply(b: Uint8Array, off: number, req: PacketMeta, saddr: number, ttl: number, id: number, ms: number): number {
  const tot = 20 + 20;
  writeIpv4Header(b, off, req.ipTos, tot, id, 0, ttl, IpProto.ICMP, saddr, req.saddr);
  const ic = off + 20;
  b.set(req.data.subarray(req.l4Off, req.l4Off + 12), ic);
  b[ic] = 14;
  b[ic + 1] = 0;
  putBe16(b, ic + 2, 0);
  putBe32(b, ic + 12, ms);
  putBe32(b, ic + 16, ms);
  putBe16(b, ic + 2, csumFold(csumPartial(b, ic, 20, 0)));
  return tot;
}

/** The 16-bit word of an ICMP header, for tests and reports. */
export function icmpChecksumAt(b: Uint8Array, off: number): number {
  return be16(b, off + 2);
}
