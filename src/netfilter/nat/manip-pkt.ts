// Header rewrite on packet bytes, mirroring net/netfilter/nf_nat_proto.c: nf_nat_ipv4_manip_pkt and the
// per-protocol tcp/udp/udplite/sctp/dccp/icmp_manip_pkt, with the kernel's incremental checksum updates
// (csum_replace4 for the IP header, inet_proto_csum_replace4/2 for L4 pseudo-header and ports, the UDP
// "no checksum" and CSUM_MANGLED_0 rules). Used for outer headers and for headers quoted in ICMP errors.

import { IpProto } from '../../decode/meta.js';
import { be16, be32, putBe16, putBe32 } from '../../util/bytes.js';
import { csumPartialReplace, csumReplace4 } from '../../wire/checksum.js';
import type { Tuple } from '../conntrack/tuple.js';
import { Manip } from './range.js';
import { sctpChecksum } from './sctp-crc32c.js';

const IPPROTO_DCCP = 33;

/** ICMP types that carry an echo-style identifier (icmp_manip_pkt rewrites only these). */
export function icmpHasId(type: number): boolean {
  return (
    type === 8 || type === 0 || type === 13 || type === 14 || type === 15 || type === 16 || type === 17 || type === 18
  );
}

/**
 * What one nf_nat_ipv4_manip_pkt call did, for the caller to mirror into PacketMeta. Reused; valid until
 * the next call on the same instance.
 */
export class ManipResult {
  /** New IPv4 header checksum (as stored). */
  ipCsum = 0;
  /** 1 when the L4 checksum field was rewritten, with its new value. */
  l4CsumSet = 0;
  l4Csum = 0;
  /** 1 when a port / ICMP id was rewritten (key field of the manipulated side), with its new value. */
  keySet = 0;
  key = 0;
  /**
   * Changes the kernel makes to 16-bit words that were not captured, as two partial one's-complement sums
   * (old words, new words): an enclosing checksum (the ICMP message of an error) must still account for
   * them. Only the L4 checksum field can be lost while the bytes before it were captured.
   */
  lostOld = 0;
  lostNew = 0;
}

/**
 * Rewrites IPv4 packets in place. `end` is the end of the packet as the kernel sees it (IP header offset +
 * total length: skb->len); `capEnd` is the end of the captured bytes. Length checks use `end` exactly as
 * the kernel does (skb_ensure_writable fails → the packet is dropped); bytes beyond `capEnd` were not
 * captured and are neither read nor written (their checksum effect is still applied incrementally).
 */
export class Ipv4Manip {
  readonly res = new ManipResult();
  /**
   * The value the manipulated port / ICMP id had, as the entry's tuples say, for when the capture ends
   * before it (-1 = unknown). Only used to keep an enclosing checksum right; set by the caller per call.
   */
  guessKey = -1;
  /**
   * The packet's TCP/UDP checksum is CHECKSUM_PARTIAL (only the pseudo-header sum, for the NIC to finish):
   * inet_proto_csum_replace4 then moves it by the address change alone and port changes leave it as is.
   * Set by the caller per call (never for a header quoted in an ICMP error).
   */
  partial = false;

  /**
   * nf_nat_ipv4_manip_pkt(skb, iphdroff, target, maniptype): rewrite the source (SRC) or destination (DST)
   * address of the IPv4 header at `iph` to the target's, and the L4 key field when `withL4` (false for a
   * non-first fragment). Returns false when the kernel would fail (→ NF_DROP). HOT.
   */
  ipv4(b: Uint8Array, iph: number, end: number, capEnd: number, withL4: boolean, target: Tuple, manip: number): boolean {
    const r = this.res;
    r.l4CsumSet = 0;
    r.keySet = 0;
    r.lostOld = 0;
    r.lostNew = 0;
    if (iph + 20 > end || iph + 20 > capEnd) return false;
    const ihl = (b[iph]! & 0x0f) * 4;
    // a header length below 20 never reaches NAT in the kernel (ip_rcv, conntrack's ICMP error check)
    if (ihl < 20) return false;
    const hdroff = iph + ihl;
    const addrOff = manip === Manip.SRC ? iph + 12 : iph + 16;
    const oldAddr = be32(b, addrOff);
    const newAddr = manip === Manip.SRC ? target.src : target.dst;
    if (withL4 && !this.l4(b, hdroff, end, capEnd, oldAddr, newAddr, target, manip)) return false;
    const c = csumReplace4(be16(b, iph + 10), oldAddr, newAddr);
    putBe16(b, iph + 10, c);
    putBe32(b, addrOff, newAddr);
    r.ipCsum = c;
    return true;
  }

  /** l4proto_manip_pkt by the target's protocol; unknown protocols pass unmodified. HOT. */
  private l4(
    b: Uint8Array,
    hdroff: number,
    end: number,
    capEnd: number,
    oldAddr: number,
    newAddr: number,
    target: Tuple,
    manip: number,
  ): boolean {
    switch (target.proto) {
      case IpProto.TCP:
        return this.portCsum(b, hdroff, end, capEnd, oldAddr, newAddr, target, manip, 20, 16);
      case IPPROTO_DCCP:
        return this.portCsum(b, hdroff, end, capEnd, oldAddr, newAddr, target, manip, 12, 6);
      case IpProto.UDP:
        return this.udp(b, hdroff, end, capEnd, oldAddr, newAddr, target, manip, false);
      case IpProto.UDPLITE:
        return this.udp(b, hdroff, end, capEnd, oldAddr, newAddr, target, manip, true);
      case IpProto.SCTP:
        return this.sctp(b, hdroff, end, capEnd, target, manip);
      case IpProto.ICMP:
        return this.icmp(b, hdroff, end, capEnd, target);
      default:
        // GRE keys change only for PPTP children, which need a conntrack helper we do not model.
        return true;
    }
  }

  /**
   * tcp_manip_pkt / dccp_manip_pkt: 8 header bytes are guaranteed; the checksum is only updated when the
   * whole fixed header (`full` bytes) is inside the packet (an ICMP error may quote just 8 bytes).
   */
  private portCsum(
    b: Uint8Array,
    hdroff: number,
    end: number,
    capEnd: number,
    oldAddr: number,
    newAddr: number,
    target: Tuple,
    manip: number,
    full: number,
    csumAt: number,
  ): boolean {
    const hdrsize = end >= hdroff + full ? full : 8;
    if (hdroff + hdrsize > end) return false;
    const portOff = manip === Manip.SRC ? hdroff : hdroff + 2;
    const newPort = manip === Manip.SRC ? target.sport : target.dport;
    const r = this.res;
    const oldPort = portOff + 2 <= capEnd ? be16(b, portOff) : newPort;
    if (portOff + 2 <= capEnd) putBe16(b, portOff, newPort);
    r.keySet = 1;
    r.key = newPort;
    if (hdrsize < full) {
      if (portOff + 2 > capEnd && this.guessKey >= 0) {
        r.lostOld += this.guessKey;
        r.lostNew += newPort;
      }
      return true;
    }
    const co = hdroff + csumAt;
    if (co + 2 > capEnd) {
      this.lostCsum(oldAddr, newAddr, oldPort, newPort, portOff + 2 <= capEnd);
      return true;
    }
    const c = this.replaceAddrPort(be16(b, co), oldAddr, newAddr, oldPort, newPort);
    putBe16(b, co, c);
    r.l4CsumSet = 1;
    r.l4Csum = c;
    return true;
  }

  /**
   * inet_proto_csum_replace4 for the pseudo-header address, then inet_proto_csum_replace2 (widened to 32
   * bits) for the port; on a CHECKSUM_PARTIAL field only the address moves it. HOT.
   */
  private replaceAddrPort(check: number, oldAddr: number, newAddr: number, oldPort: number, newPort: number): number {
    if (this.partial) return csumPartialReplace(check, oldAddr, newAddr);
    return csumReplace4(csumReplace4(check, oldAddr, newAddr), oldPort, newPort);
  }

  /** __udp_manip_pkt: a zero UDP checksum means "none" and stays zero; a computed zero becomes 0xffff. */
  private udp(
    b: Uint8Array,
    hdroff: number,
    end: number,
    capEnd: number,
    oldAddr: number,
    newAddr: number,
    target: Tuple,
    manip: number,
    lite: boolean,
  ): boolean {
    if (hdroff + 8 > end) return false;
    const portOff = manip === Manip.SRC ? hdroff : hdroff + 2;
    const newPort = manip === Manip.SRC ? target.sport : target.dport;
    const r = this.res;
    const co = hdroff + 6;
    const captured = co + 2 <= capEnd;
    const oldPort = portOff + 2 <= capEnd ? be16(b, portOff) : newPort;
    if (captured) {
      const check = be16(b, co);
      if (lite || check !== 0 || this.partial) {
        let c = this.replaceAddrPort(check, oldAddr, newAddr, oldPort, newPort);
        if (c === 0) c = 0xffff; // CSUM_MANGLED_0
        putBe16(b, co, c);
        r.l4CsumSet = 1;
        r.l4Csum = c;
      }
    } else {
      // the checksum was not captured: assume it is in use (UDP "no checksum" is rare on the wire)
      this.lostCsum(oldAddr, newAddr, oldPort, newPort, portOff + 2 <= capEnd);
    }
    if (portOff + 2 <= capEnd) putBe16(b, portOff, newPort);
    r.keySet = 1;
    r.key = newPort;
    return true;
  }

  /**
   * Record the change of an uncaptured L4 checksum field: it moves by -(delta of the pseudo-header address
   * + delta of the port). When the port word was not captured either, its own change cancels the port
   * part, leaving -(address delta).
   */
  private lostCsum(oldAddr: number, newAddr: number, oldPort: number, newPort: number, portCaptured: boolean): void {
    const r = this.res;
    // field_new - field_old = (oldAddr + oldPort) - (newAddr + newPort)
    r.lostOld += (newAddr >>> 16) + (newAddr & 0xffff);
    r.lostNew += (oldAddr >>> 16) + (oldAddr & 0xffff);
    if (portCaptured) {
      r.lostOld += newPort;
      r.lostNew += oldPort;
    }
  }

  /** sctp_manip_pkt: ports, then the CRC32c recomputed over the whole packet when the header is complete. */
  private sctp(b: Uint8Array, hdroff: number, end: number, capEnd: number, target: Tuple, manip: number): boolean {
    const hdrsize = end >= hdroff + 12 ? 12 : 8;
    if (hdroff + hdrsize > end) return false;
    const portOff = manip === Manip.SRC ? hdroff : hdroff + 2;
    const newPort = manip === Manip.SRC ? target.sport : target.dport;
    if (portOff + 2 <= capEnd) putBe16(b, portOff, newPort);
    const r = this.res;
    r.keySet = 1;
    r.key = newPort;
    if (hdrsize < 12) return true;
    // The CRC covers the whole SCTP packet: only recomputable when all of it was captured.
    if (end > capEnd) return true;
    const crc = sctpChecksum(b, hdroff, end - hdroff);
    b[hdroff + 8] = crc & 0xff;
    b[hdroff + 9] = (crc >>> 8) & 0xff;
    b[hdroff + 10] = (crc >>> 16) & 0xff;
    b[hdroff + 11] = crc >>> 24;
    return true;
  }

  /** icmp_manip_pkt: echo-style messages get the target's id (kept in the source half of the tuple). */
  private icmp(b: Uint8Array, hdroff: number, end: number, capEnd: number, target: Tuple): boolean {
    if (hdroff + 8 > end) return false;
    // type not captured: an id change and its checksum change would both be lost, and they cancel
    if (hdroff + 1 > capEnd) return true;
    if (!icmpHasId(b[hdroff]!)) return true;
    const newId = target.sport;
    const r = this.res;
    const idCaptured = hdroff + 6 <= capEnd;
    const oldId = idCaptured ? be16(b, hdroff + 4) : this.guessKey;
    r.keySet = 1;
    r.key = newId;
    if (hdroff + 4 > capEnd || oldId < 0) return true; // checksum lost too (or unknowable): nothing to do
    const c = csumReplace4(be16(b, hdroff + 2), oldId, newId);
    putBe16(b, hdroff + 2, c);
    r.l4CsumSet = 1;
    r.l4Csum = c;
    if (idCaptured) {
      putBe16(b, hdroff + 4, newId);
    } else {
      r.lostOld += oldId;
      r.lostNew += newId;
    }
    return true;
  }
}
