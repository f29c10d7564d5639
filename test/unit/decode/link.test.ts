// decodeFrame over every supported link type, on hand-built frames (frames.ts): Ethernet with 802.1Q,
// 802.1ad and 0x9100 tags, Linux SLL and SLL2, BSD NULL/LOOP in both byte orders and address families,
// raw IP (101, 12, 14, 228, 229), ARP, a non-IP EtherType and an unsupported link type.

import { describe, expect, it } from 'vitest';
import { L3 } from '../../../src/decode/meta.js';
import { LinkType } from '../../../src/capture/types.js';
import { DecodeEvent } from '../../../src/decode/events.js';
import { DecodeCounter, EVENT_BASE } from '../../../src/decode/counters.js';
import { fromHex } from '../../../src/util/bytes.js';
import { frame, HEX } from './frames.js';
import { decode, ip, rel } from './helpers.js';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

describe('Ethernet', () => {
  it('reads MACs, EtherType and the IPv4/TCP behind them', () => {
    const { m } = decode(frame('ETH_IPV4_TCP_SYN'), LinkType.ETHERNET);
    expect([m.dstMacHi, m.dstMacLo, m.srcMacHi, m.srcMacLo]).toEqual([0x0200, 0x00000002, 0x0200, 0x00000001]);
    expect(m.etherType).toBe(0x0800);
    expect(m.l2Len).toBe(14);
    expect(rel(m, m.l2Off)).toBe(0);
    expect(m.pktType).toBe(0);
    expect(m.vlanCount).toBe(0);
    expect([m.vlanOuter, m.vlanInner]).toEqual([-1, -1]);
    expect(m.l3).toBe(L3.IPV4);
    expect(rel(m, m.l3Off)).toBe(14);
    expect(m.linkType).toBe(1);
    expect(m.caplen).toBe(74);
    expect(m.wirelen).toBe(74);
  });

  it('derives the packet type from the destination MAC: broadcast and multicast', () => {
    expect(decode(frame('ETH_IPV4_ICMP_ECHO'), LinkType.ETHERNET).m.pktType).toBe(1);
    expect(decode(frame('ETH_IPV4_ICMP_TTL_ECHO'), LinkType.ETHERNET).m.pktType).toBe(2);
  });

  it('unwraps one 802.1Q tag', () => {
    const { m } = decode(frame('ETH_VLAN_IPV4_TCP'), LinkType.ETHERNET);
    expect(m.vlanCount).toBe(1);
    expect(m.vlanOuter).toBe(100);
    expect(m.vlanInner).toBe(-1);
    expect(m.etherType).toBe(0x0800);
    expect(m.l2Len).toBe(18);
    expect(rel(m, m.l3Off)).toBe(18);
    expect([m.sport, m.dport, m.tcpFlags]).toEqual([40000, 80, 0x10]);
  });

  it('unwraps 802.1ad + 802.1Q (QinQ) and 0x9100 + 802.1Q', () => {
    const a = decode(frame('ETH_QINQ_IPV4_UDP'), LinkType.ETHERNET).m;
    expect([a.vlanCount, a.vlanOuter, a.vlanInner, a.l2Len, a.etherType]).toEqual([2, 200, 100, 22, 0x0800]);
    expect([a.sport, a.dport]).toEqual([5353, 53]);
    const b = decode(frame('ETH_9100_IPV4_UDP'), LinkType.ETHERNET).m;
    expect([b.vlanCount, b.vlanOuter, b.vlanInner, b.l2Len]).toEqual([2, 300, 10, 22]);
    expect(ip(b.daddr)).toBe('10.0.0.2');
  });

  it('counts VLAN-tagged frames', () => {
    const { c } = decode(frame('ETH_QINQ_IPV4_UDP'), LinkType.ETHERNET);
    expect(c.get(DecodeCounter.VLAN_TAGGED)).toBe(1);
  });

  it('recognises ARP and leaves its fields in the frame', () => {
    const { m, c } = decode(frame('ETH_ARP_REQUEST'), LinkType.ETHERNET);
    expect(m.l3).toBe(L3.ARP);
    expect(rel(m, m.l3Off)).toBe(14);
    expect(m.etherType).toBe(0x0806);
    expect(m.event).toBe(0);
    expect(m.l4Off).toBe(-1);
    expect(c.get(DecodeCounter.L3_ARP)).toBe(1);
  });

  it('classifies a non-IP EtherType as OTHER', () => {
    const { m, c } = decode(frame('ETH_LLDP'), LinkType.ETHERNET);
    expect(m.l3).toBe(L3.OTHER);
    expect(m.etherType).toBe(0x88cc);
    expect(m.l3Off).toBe(-1);
    expect(m.event).toBe(0);
    expect(c.get(DecodeCounter.L3_OTHER)).toBe(1);
  });
});

describe('Linux cooked captures', () => {
  it('SLL: packet type, source MAC, protocol', () => {
    const { m } = decode(frame('SLL_IPV4_UDP'), LinkType.LINUX_SLL);
    expect(m.pktType).toBe(4);
    expect([m.srcMacHi, m.srcMacLo]).toEqual([0x0200, 1]);
    expect([m.dstMacHi, m.dstMacLo]).toEqual([0, 0]);
    expect(m.etherType).toBe(0x0800);
    expect(m.l2Len).toBe(16);
    expect(rel(m, m.l3Off)).toBe(16);
    expect([ip(m.saddr), ip(m.daddr), m.sport, m.dport]).toEqual(['10.0.0.1', '10.0.0.2', 5353, 53]);
  });

  it('SLL2: IPv6 ICMPv6 echo behind the 20-byte header', () => {
    const { m } = decode(frame('SLL2_IPV6_ICMPV6_ECHO'), LinkType.LINUX_SLL2);
    expect(m.pktType).toBe(0);
    expect([m.srcMacHi, m.srcMacLo]).toEqual([0x0200, 1]);
    expect(m.etherType).toBe(0x86dd);
    expect(m.l2Len).toBe(20);
    expect(m.l3).toBe(L3.IPV6);
    expect(rel(m, m.l3Off)).toBe(20);
    expect([m.ipProto, m.ipTtl, m.ipTotalLen, m.ipHdrLen]).toEqual([58, 64, 52, 40]);
    expect([m.icmpType, m.icmpCode, m.icmpId, m.icmpSeq]).toEqual([128, 0, 0x77, 3]);
    expect(rel(m, m.l4Off)).toBe(60);
  });

  it('SLL with a non-EtherType protocol (802.2) is OTHER', () => {
    const b = frame('SLL_IPV4_UDP');
    b[14] = 0x00;
    b[15] = 0x04;
    const { m } = decode(b, LinkType.LINUX_SLL);
    expect(m.l3).toBe(L3.OTHER);
    expect(m.l2Len).toBe(16);
  });
});

describe('BSD NULL / LOOP', () => {
  const v4 = frame('IPV4_UDP_RAW');
  const v6 = frame('IPV6_ICMPV6_RAW');
  it.each([
    ['NULL, AF_INET little-endian', LinkType.NULL, '02000000'],
    ['NULL, AF_INET big-endian', LinkType.NULL, '00000002'],
    ['LOOP, AF_INET big-endian', LinkType.LOOP, '00000002'],
    ['LOOP, AF_INET little-endian', LinkType.LOOP, '02000000'],
  ])('%s', (_n, lt, af) => {
    const { m } = decode(concat(fromHex(af), v4), lt);
    expect(m.l3).toBe(L3.IPV4);
    expect(m.l2Len).toBe(4);
    expect(rel(m, m.l3Off)).toBe(4);
    expect(m.etherType).toBe(0);
    expect([m.sport, m.dport]).toEqual([5353, 53]);
  });

  it.each([
    ['AF_INET6 24 (NetBSD/OpenBSD)', '18000000'],
    ['AF_INET6 28 (FreeBSD) big-endian', '0000001c'],
    ['AF_INET6 30 (Darwin)', '1e000000'],
  ])('%s', (_n, af) => {
    const { m } = decode(concat(fromHex(af), v6), LinkType.NULL);
    expect(m.l3).toBe(L3.IPV6);
    expect(m.icmpType).toBe(128);
  });

  it('an unknown address family is OTHER', () => {
    const { m } = decode(concat(fromHex('07000000'), v4), LinkType.NULL);
    expect(m.l3).toBe(L3.OTHER);
    expect(m.event).toBe(0);
  });
});

describe('raw IP link types', () => {
  it.each([LinkType.RAW, LinkType.RAW_OPENBSD_12, LinkType.RAW_BSDOS_14])('link type %i carries IPv4 and IPv6', (lt) => {
    const a = decode(frame('IPV4_UDP_RAW'), lt).m;
    expect(a.l3).toBe(L3.IPV4);
    expect(rel(a, a.l3Off)).toBe(0);
    expect(a.l2Len).toBe(0);
    expect(a.dport).toBe(53);
    const b = decode(frame('IPV6_ICMPV6_RAW'), lt).m;
    expect(b.l3).toBe(L3.IPV6);
    expect(b.icmpId).toBe(0x77);
  });

  it('228 is IPv4 only, 229 IPv6 only', () => {
    expect(decode(frame('IPV4_UDP_RAW'), LinkType.IPV4).m.l3).toBe(L3.IPV4);
    expect(decode(frame('IPV6_ICMPV6_RAW'), LinkType.IPV6).m.l3).toBe(L3.IPV6);
    const wrong = decode(frame('IPV6_ICMPV6_RAW'), LinkType.IPV4).m;
    expect(wrong.event).toBe(DecodeEvent.IPV4_WRONG_IP_VER);
    // 60 bytes of IPv4/TCP: long enough for an IPv6 header, so the version nibble decides
    const wrong6 = decode(frame('ETH_IPV4_TCP_SYN').subarray(14), LinkType.IPV6).m;
    expect(wrong6.event).toBe(DecodeEvent.IPV6_WRONG_IP_VER);
    expect(decode(frame('IPV4_UDP_RAW'), LinkType.IPV6).m.event).toBe(DecodeEvent.IPV6_PKT_TOO_SMALL);
  });

  it('a version nibble other than 4 or 6 is RAW_INVALID_IP_VERSION', () => {
    const b = frame('IPV4_UDP_RAW');
    b[0] = 0x55;
    const { m, c } = decode(b, LinkType.RAW);
    expect(m.event).toBe(DecodeEvent.RAW_INVALID_IP_VERSION);
    expect(rel(m, m.eventOffset)).toBe(0);
    expect(m.l3).toBe(L3.NONE);
    expect(c.get(EVENT_BASE + DecodeEvent.RAW_INVALID_IP_VERSION)).toBe(1);
  });
});

describe('unsupported link types', () => {
  it('are an event, not an exception, and decode to L3.NONE', () => {
    const { m, c } = decode(fromHex(HEX.ETH_IPV4_UDP), 239);
    expect(m.event).toBe(DecodeEvent.LINKTYPE_UNSUPPORTED);
    expect(m.l3).toBe(L3.NONE);
    expect(m.l3Off).toBe(-1);
    expect(m.linkType).toBe(239);
    expect(c.get(DecodeCounter.PACKETS)).toBe(1);
    expect(c.get(DecodeCounter.L3_NONE)).toBe(1);
    expect(c.eventCount(DecodeEvent.LINKTYPE_UNSUPPORTED)).toBe(1);
  });
});
