// decodeFrame's network and transport layers on hand-built frames: IPv4 fields, options and fragments,
// TCP and its options, UDP, ICMP with the packet quoted by errors, IPv6 extension headers, checksum flags
// (the frames' checksums are known good from tshark; single-bit flips make them bad), and decodeIpv4Packet.

import { describe, expect, it } from 'vitest';
import { Csum, L3 } from '../../../src/decode/meta.js';
import { LinkType } from '../../../src/capture/types.js';
import { DecodeEvent } from '../../../src/decode/events.js';
import { DecodeCounter, DecodeCounters } from '../../../src/decode/counters.js';
import { decodeIpv4Packet, Verify } from '../../../src/decode/decode.js';
import { PacketMeta } from '../../../src/decode/meta.js';
import { frame } from './frames.js';
import { decode, ip, rel } from './helpers.js';

const ETH = LinkType.ETHERNET;

describe('IPv4', () => {
  it('reads every header field', () => {
    const { m } = decode(frame('ETH_IPV4_TCP_SYN'), ETH);
    expect(m.l3).toBe(L3.IPV4);
    expect(m.ipHdrLen).toBe(20);
    expect(m.ipTotalLen).toBe(60);
    expect(m.ipTos).toBe(0);
    expect(m.ipId).toBe(0x1234);
    expect(m.ipFragField).toBe(0x4000);
    expect([m.dontFrag, m.moreFrags, m.fragOffset]).toEqual([1, 0, 0]);
    expect(m.ipTtl).toBe(64);
    expect(m.ipProto).toBe(6);
    expect(m.ipCsum).toBe(0x1486);
    expect([ip(m.saddr), ip(m.daddr)]).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(m.l4Len).toBe(40);
  });

  it('keeps addresses above 2^31 unsigned', () => {
    const b = frame('ETH_IPV4_ICMP_TTL_ECHO');
    const { m } = decode(b, ETH);
    expect(m.innerDaddr).toBe(0xc0000209);
  });

  it('accepts well-formed options (Router Alert) and finds the transport header after them', () => {
    const { m } = decode(frame('ETH_IPV4_OPT_UDP'), ETH);
    expect(m.ipHdrLen).toBe(24);
    expect(rel(m, m.l4Off)).toBe(38);
    expect([m.sport, m.dport]).toEqual([5353, 53]);
    expect(m.event).toBe(0);
    expect(m.csum & Csum.IPV4_BAD).toBe(0);
  });

  it('first fragment: transport header decoded, L4 checksum unverifiable, UDP length not judged', () => {
    const { m, c } = decode(frame('ETH_IPV4_FRAG_FIRST'), ETH);
    expect([m.moreFrags, m.fragOffset, m.ipId]).toEqual([1, 0, 0x77]);
    expect(rel(m, m.l4Off)).toBe(34);
    expect([m.sport, m.dport]).toEqual([5353, 53]);
    expect(m.payloadLen).toBe(8);
    expect(m.event).toBe(0);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_UNVERIFIABLE);
    expect(c.get(DecodeCounter.FRAGMENTS)).toBe(1);
  });

  it('non-first fragment: no transport header', () => {
    const { m, c } = decode(frame('ETH_IPV4_FRAG_SECOND'), ETH);
    expect([m.moreFrags, m.fragOffset]).toEqual([0, 16]);
    expect(m.l4Off).toBe(-1);
    expect([m.sport, m.dport]).toEqual([0, 0]);
    expect(m.ipProto).toBe(17);
    expect(rel(m, m.payloadOff)).toBe(34);
    expect(m.payloadLen).toBe(16);
    expect(m.csum).toBe(Csum.IPV4_CHECKED);
    expect(c.get(DecodeCounter.FRAGMENTS)).toBe(1);
    expect(c.get(DecodeCounter.UDP)).toBe(1);
  });

  it('ignores Ethernet padding after the IP packet', () => {
    const b = new Uint8Array(60);
    b.set(frame('ETH_IPV4_UDP'));
    const { m } = decode(b, ETH);
    expect(m.event).toBe(0);
    expect(m.ipTotalLen).toBe(32);
    expect(m.payloadLen).toBe(4);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
  });
});

describe('TCP', () => {
  it('SYN: header and the MSS, SACK-permitted, timestamp and window-scale options', () => {
    const { m } = decode(frame('ETH_IPV4_TCP_SYN'), ETH);
    expect(rel(m, m.l4Off)).toBe(34);
    expect([m.sport, m.dport, m.tcpSeq, m.tcpAck, m.tcpFlags, m.tcpWindow]).toEqual([40000, 80, 1000, 0, 0x02, 64240]);
    expect(m.tcpHdrLen).toBe(40);
    expect(m.l4Csum).toBe(0x9825);
    expect(rel(m, m.tcpMssOff)).toBe(54);
    expect(m.tcpMss).toBe(1460);
    expect(m.tcpSackPerm).toBe(1);
    expect(rel(m, m.tcpTsOff)).toBe(60);
    expect([m.tcpTsVal, m.tcpTsEcr]).toEqual([111, 0]);
    expect(m.tcpWscale).toBe(7);
    expect(rel(m, m.payloadOff)).toBe(74);
    expect(m.payloadLen).toBe(0);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
    expect(m.event).toBe(0);
  });

  it('NOP NOP TIMESTAMP and payload', () => {
    const { m } = decode(frame('ETH_IPV4_TCP_ACK_TS'), ETH);
    expect([m.tcpSeq, m.tcpAck, m.tcpFlags, m.tcpWindow, m.tcpHdrLen]).toEqual([1001, 5001, 0x18, 502, 32]);
    expect(rel(m, m.tcpTsOff)).toBe(56);
    expect([m.tcpTsVal, m.tcpTsEcr]).toEqual([0x01020304, 0x0a0b0c0d]);
    expect([m.tcpMssOff, m.tcpWscale, m.tcpSackPerm]).toEqual([-1, -1, 0]);
    expect(rel(m, m.payloadOff)).toBe(66);
    expect(m.payloadLen).toBe(5);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
  });

  it('the same options in a non-aligned layout decode the same way', () => {
    // TS first, then NOP NOP: 08 0a <val> <ecr> 01 01 (same length, checksum no longer matters here)
    const b = frame('ETH_IPV4_TCP_ACK_TS');
    b.set([0x08, 0x0a, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 1, 1], 54);
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(rel(m, m.tcpTsOff)).toBe(54);
    expect([m.tcpTsVal, m.tcpTsEcr]).toEqual([0x01020304, 0x0a0b0c0d]);
  });

  it('flags a wrong checksum (one payload bit flipped)', () => {
    const b = frame('ETH_IPV4_TCP_ACK_TS');
    b[b.length - 1]! ^= 0x01;
    const { m, c } = decode(b, ETH);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED | Csum.L4_BAD);
    expect(c.get(DecodeCounter.L4_CSUM_BAD)).toBe(1);
    expect(m.event).toBe(0);
  });

  it('takes a checksum holding only the pseudo-header sum as left for the NIC (CHECKSUM_PARTIAL), cut or whole', () => {
    const b = frame('ETH_IPV4_TCP_ACK_TS');
    const ipOff = 14;
    const tot = (b[ipOff + 2]! << 8) | b[ipOff + 3]!;
    const l4len = tot - 20;
    let sum = 6 + l4len;
    for (let i = ipOff + 12; i < ipOff + 20; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    b[ipOff + 20 + 16] = sum >>> 8;
    b[ipOff + 20 + 17] = sum & 0xff;
    const whole = decode(b, ETH);
    expect(whole.m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_PARTIAL);
    expect(whole.c.get(DecodeCounter.L4_CSUM_PARTIAL)).toBe(1);
    const cut = decode(b, ETH, { caplen: b.length - 4, wirelen: b.length });
    expect(cut.m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_PARTIAL);
    // any other wrong value stays a bad checksum, or an unverifiable one when the segment is cut
    b[ipOff + 20 + 17] ^= 1;
    expect(decode(b, ETH).m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED | Csum.L4_BAD);
    expect(decode(b, ETH, { caplen: b.length - 4, wirelen: b.length }).m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_UNVERIFIABLE);
  });

  it('verify bits: NONE checks nothing, IPV4_HEADER only the IP header', () => {
    expect(decode(frame('ETH_IPV4_TCP_ACK_TS'), ETH, { verify: Verify.NONE }).m.csum).toBe(0);
    expect(decode(frame('ETH_IPV4_TCP_ACK_TS'), ETH, { verify: Verify.IPV4_HEADER }).m.csum).toBe(Csum.IPV4_CHECKED);
  });
});

describe('IPv4 header checksum', () => {
  it('flags a wrong header checksum and counts it', () => {
    const b = frame('ETH_IPV4_UDP');
    b[14 + 8] = 63; // TTL changed, checksum left alone
    const { m, c } = decode(b, ETH);
    expect(m.csum & (Csum.IPV4_CHECKED | Csum.IPV4_BAD)).toBe(Csum.IPV4_CHECKED | Csum.IPV4_BAD);
    expect(c.get(DecodeCounter.IPV4_CSUM_BAD)).toBe(1);
    expect(m.ipTtl).toBe(63);
  });

  it('verifies headers with options', () => {
    const b = frame('ETH_IPV4_OPT_UDP');
    expect(decode(b, ETH).m.csum & Csum.IPV4_BAD).toBe(0);
    b[14 + 21] ^= 0x80; // inside the option
    expect(decode(b, ETH).m.csum & Csum.IPV4_BAD).toBe(Csum.IPV4_BAD);
  });
});

describe('UDP', () => {
  it('ports, length, checksum', () => {
    const { m, c } = decode(frame('ETH_IPV4_UDP'), ETH);
    expect(rel(m, m.l4Off)).toBe(34);
    expect([m.sport, m.dport, m.l4Csum]).toEqual([5353, 53, 0xc381]);
    expect(rel(m, m.payloadOff)).toBe(42);
    expect(m.payloadLen).toBe(4);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
    expect(c.get(DecodeCounter.UDP)).toBe(1);
  });

  it('checksum 0 means none', () => {
    const { m, c } = decode(frame('ETH_IPV4_UDP_NOCSUM'), ETH);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_NONE);
    expect(c.get(DecodeCounter.L4_CSUM_NONE)).toBe(1);
  });

  it('a snapped datagram cannot be verified', () => {
    const { m } = decode(frame('ETH_IPV4_UDP'), ETH, { caplen: 44, wirelen: 46 });
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_UNVERIFIABLE);
    expect(m.event).toBe(0);
    expect(m.dport).toBe(53);
  });
});

describe('ICMP', () => {
  it('echo request: type, code, id, sequence, checksum', () => {
    const { m, c } = decode(frame('ETH_IPV4_ICMP_ECHO'), ETH);
    expect([m.icmpType, m.icmpCode, m.icmpId, m.icmpSeq, m.l4Csum]).toEqual([8, 0, 0x4242, 7, 0x2421]);
    expect([m.sport, m.dport]).toEqual([0, 0]);
    expect(m.payloadLen).toBe(8);
    expect(m.innerL3Off).toBe(-1);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
    expect(c.get(DecodeCounter.ICMP)).toBe(1);
  });

  it('port unreachable: the quoted IPv4 header and UDP ports', () => {
    const { m, c } = decode(frame('ETH_IPV4_ICMP_UNREACH_UDP'), ETH);
    expect([m.icmpType, m.icmpCode, m.icmpId, m.icmpSeq]).toEqual([3, 3, 0, 0]);
    expect([ip(m.saddr), ip(m.daddr)]).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(rel(m, m.innerL3Off)).toBe(42);
    expect(m.innerIpHdrLen).toBe(20);
    expect(m.innerProto).toBe(17);
    expect([ip(m.innerSaddr), ip(m.innerDaddr)]).toEqual(['10.0.0.1', '10.0.0.2']);
    expect([m.innerSport, m.innerDport]).toEqual([5353, 53]);
    expect(rel(m, m.innerL4Off)).toBe(62);
    expect(m.innerL4Avail).toBe(8);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
    expect(c.get(DecodeCounter.ICMP_ERRORS)).toBe(1);
  });

  it('time exceeded quoting an echo request: id and type/code of the quoted ICMP', () => {
    const { m } = decode(frame('ETH_IPV4_ICMP_TTL_ECHO'), ETH);
    expect([m.icmpType, m.icmpCode]).toEqual([11, 0]);
    expect(m.innerProto).toBe(1);
    expect([ip(m.innerSaddr), ip(m.innerDaddr)]).toEqual(['10.0.0.1', '192.0.2.9']);
    expect(m.innerSport).toBe(0x4242);
    expect(m.innerDport).toBe(0x0800);
    expect(m.innerL4Avail).toBe(8);
  });

  it('a quoted packet that is not IPv4 is an ICMP_INNER event, the outer message stays decoded', () => {
    const b = frame('ETH_IPV4_ICMP_UNREACH_UDP');
    b[42] = 0x65;
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.ICMP_INNER_IPV4_UNKNOWN_VER);
    expect(rel(m, m.eventOffset)).toBe(42);
    expect(m.icmpType).toBe(3);
    expect(m.innerL3Off).toBe(-1);
  });
});

describe('IPv6', () => {
  it('walks a hop-by-hop header to TCP', () => {
    const { m, c } = decode(frame('ETH_IPV6_HBH_TCP'), ETH);
    expect(m.l3).toBe(L3.IPV6);
    expect(m.ipHdrLen).toBe(48);
    expect(m.ipTotalLen).toBe(68);
    expect(m.ipProto).toBe(6);
    expect([m.saddr, m.daddr]).toEqual([0, 0]);
    expect(rel(m, m.l4Off)).toBe(62);
    expect([m.sport, m.dport, m.tcpSeq, m.tcpAck, m.tcpFlags, m.tcpWindow]).toEqual([443, 50000, 7, 8, 0x12, 1000]);
    expect(m.csum).toBe(Csum.L4_CHECKED);
    expect(c.get(DecodeCounter.TCP)).toBe(1);
    expect(c.get(DecodeCounter.L3_IPV6)).toBe(1);
  });

  it('a later fragment: fragment fields, upper-layer protocol, no transport header', () => {
    const { m, c } = decode(frame('ETH_IPV6_FRAG_LATER'), ETH);
    expect([m.fragOffset, m.moreFrags, m.ipId]).toEqual([800, 1, 0xabcd]);
    expect(m.ipProto).toBe(17);
    expect(m.ipHdrLen).toBe(48);
    expect(m.l4Off).toBe(-1);
    expect(m.payloadLen).toBe(16);
    expect(c.get(DecodeCounter.FRAGMENTS)).toBe(1);
  });

  it('a flipped bit makes the ICMPv6 checksum bad', () => {
    const b = frame('SLL2_IPV6_ICMPV6_ECHO');
    b[b.length - 1]! ^= 4;
    const { m } = decode(b, LinkType.LINUX_SLL2);
    expect(m.csum).toBe(Csum.L4_CHECKED | Csum.L4_BAD);
  });
});

describe('decodeIpv4Packet', () => {
  it('decodes a bare IPv4 packet at an offset', () => {
    const pkt = frame('ETH_IPV4_ICMP_UNREACH_UDP').subarray(14);
    const buf = new Uint8Array(100);
    buf.set(pkt, 30);
    const m = new PacketMeta();
    const c = new DecodeCounters();
    decodeIpv4Packet(m, buf, 30, pkt.length, c);
    expect(m.linkType).toBe(LinkType.IPV4);
    expect([m.frameOff, m.l3Off, m.l2Len, m.caplen, m.wirelen]).toEqual([30, 30, 0, 56, 56]);
    expect([m.icmpType, m.innerSport, m.innerDport]).toEqual([3, 5353, 53]);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_CHECKED);
    expect(c.get(DecodeCounter.PACKETS)).toBe(1);
  });

  it('an impossible offset or length decodes nothing and does not throw', () => {
    const m = new PacketMeta();
    const c = new DecodeCounters();
    decodeIpv4Packet(m, new Uint8Array(10), 50, 40, c);
    expect(m.event).toBe(DecodeEvent.IPV4_PKT_TOO_SMALL);
    decodeIpv4Packet(m, new Uint8Array(10), 0, -5, c);
    expect(m.event).toBe(DecodeEvent.IPV4_PKT_TOO_SMALL);
  });
});
