// Malformed and cut headers become named decode events (first one in PacketMeta.event / eventOffset, every
// one counted), never exceptions: IHL < 5, TCP data offset past the segment, MSS with a bad length, lengths
// that contradict the wire, VLAN stacks, snap-length cuts, and the layer each event is attributed to.

import { describe, expect, it } from 'vitest';
import { Csum, L3 } from '../../../src/decode/meta.js';
import { LinkType } from '../../../src/capture/types.js';
import { DecodeEvent, EventLayer, eventLayer, eventName } from '../../../src/decode/events.js';
import { DecodeCounter, EVENT_BASE } from '../../../src/decode/counters.js';
import { Verify } from '../../../src/decode/decode.js';
import { fromHex, putBe16 } from '../../../src/util/bytes.js';
import { frame } from './frames.js';
import { decode, rel } from './helpers.js';

const ETH = LinkType.ETHERNET;

describe('IPv4 header events', () => {
  it('IHL < 5 is IPV4_HLEN_TOO_SMALL at the IP header; nothing past it is decoded', () => {
    const b = frame('ETH_IPV4_TCP_SYN');
    b[14] = 0x44;
    const { m, c } = decode(b, ETH);
    expect(m.event).toBe(DecodeEvent.IPV4_HLEN_TOO_SMALL);
    expect(eventName(m.event)).toBe('IPV4_HLEN_TOO_SMALL');
    expect(rel(m, m.eventOffset)).toBe(14);
    expect(m.l3).toBe(L3.IPV4);
    expect(rel(m, m.l3Off)).toBe(14);
    expect([m.ipHdrLen, m.ipProto, m.saddr, m.l4Off, m.sport]).toEqual([0, 0, 0, -1, 0]);
    expect(c.eventCount(DecodeEvent.IPV4_HLEN_TOO_SMALL)).toBe(1);
    expect(c.get(DecodeCounter.PACKETS_WITH_EVENTS)).toBe(1);
    expect(eventLayer(m.event)).toBe(EventLayer.L3);
  });

  it('a total length beyond the bytes on the wire is IPV4_TRUNC (ip_rcv drops it)', () => {
    const b = frame('ETH_IPV4_UDP');
    putBe16(b, 16, 200);
    const { m } = decode(b, ETH);
    expect(m.event).toBe(DecodeEvent.IPV4_TRUNC);
    expect(rel(m, m.eventOffset)).toBe(16);
    expect(m.ipTotalLen).toBe(200);
    expect(m.l4Off).toBe(-1);
  });

  it('a total length below the header length is IPV4_IPLEN_SMALLER_THAN_HLEN', () => {
    const b = frame('ETH_IPV4_UDP');
    putBe16(b, 16, 16);
    expect(decode(b, ETH).m.event).toBe(DecodeEvent.IPV4_IPLEN_SMALLER_THAN_HLEN);
  });

  it('an option whose length is 0 is IPV4_OPT_INVALID_LEN at the option', () => {
    const b = frame('ETH_IPV4_OPT_UDP');
    b[35] = 0;
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.IPV4_OPT_INVALID_LEN);
    expect(rel(m, m.eventOffset)).toBe(34);
  });

  it('fewer than 20 bytes on the wire is IPV4_PKT_TOO_SMALL; fewer captured is SNAPPED', () => {
    const short = frame('ETH_IPV4_UDP').subarray(0, 30);
    expect(decode(short, ETH).m.event).toBe(DecodeEvent.IPV4_PKT_TOO_SMALL);
    const { m } = decode(short, ETH, { caplen: 30, wirelen: 46 });
    expect(m.event).toBe(DecodeEvent.SNAPPED);
    expect(rel(m, m.eventOffset)).toBe(14);
    expect(eventLayer(m.event)).toBe(EventLayer.CAPTURE);
  });
});

describe('TCP events', () => {
  it('a data offset past the end of the segment is TCP_HLEN_PAST_END', () => {
    const b = frame('ETH_VLAN_IPV4_TCP');
    b[18 + 20 + 12] = 0xf0;
    const { m, c } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.TCP_HLEN_PAST_END);
    expect(rel(m, m.eventOffset)).toBe(50);
    expect(m.tcpHdrLen).toBe(60);
    expect([m.sport, m.dport]).toEqual([40000, 80]);
    expect(c.eventCount(DecodeEvent.TCP_HLEN_PAST_END)).toBe(1);
    expect(eventLayer(m.event)).toBe(EventLayer.L4);
  });

  it('a data offset below 5 is TCP_HLEN_TOO_SMALL', () => {
    const b = frame('ETH_IPV4_TCP_SYN');
    b[34 + 12] = 0x40;
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.TCP_HLEN_TOO_SMALL);
    expect(rel(m, m.eventOffset)).toBe(46);
  });

  it('fewer than 20 bytes of segment is TCP_PKT_TOO_SMALL', () => {
    const b = frame('ETH_IPV4_TCP_SYN');
    putBe16(b, 16, 20 + 12);
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.TCP_PKT_TOO_SMALL);
    expect(m.l4Off).toBe(-1);
  });

  it('an MSS option of length 3 is TCP_OPT_INVALID_LEN; the MSS is not taken, the packet stays usable', () => {
    const b = frame('ETH_IPV4_TCP_SYN');
    b[55] = 3;
    const { m, c } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.TCP_OPT_INVALID_LEN);
    expect(rel(m, m.eventOffset)).toBe(54);
    expect(m.tcpMssOff).toBe(-1);
    expect(m.tcpMss).toBe(0);
    expect(rel(m, m.l4Off)).toBe(34);
    expect(eventLayer(m.event)).toBe(EventLayer.OPTION);
    expect(c.eventCount(DecodeEvent.TCP_OPT_INVALID_LEN)).toBeGreaterThanOrEqual(1);
  });

  it('an MSS option of length 0 stops the option walk there', () => {
    const b = frame('ETH_IPV4_TCP_SYN');
    b[55] = 0;
    const { m, c } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.TCP_OPT_INVALID_LEN);
    expect([m.tcpMssOff, m.tcpSackPerm, m.tcpTsOff, m.tcpWscale]).toEqual([-1, 0, -1, -1]);
    expect(c.eventCount(DecodeEvent.TCP_OPT_INVALID_LEN)).toBe(1);
  });

  it('a window-scale option running past the header is TCP_OPT_INVALID_LEN', () => {
    const b = frame('ETH_IPV4_TCP_SYN');
    b[72] = 9; // WS at 71: length 9 from 71 passes the header end at 74
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.TCP_OPT_INVALID_LEN);
    expect(rel(m, m.eventOffset)).toBe(71);
    expect(m.tcpWscale).toBe(-1);
    expect(m.tcpMss).toBe(1460);
  });

  it('options cut by the snap length: base header decoded, SNAPPED, checksum unverifiable', () => {
    const { m } = decode(frame('ETH_IPV4_TCP_SYN'), ETH, { caplen: 54, wirelen: 74 });
    expect(m.event).toBe(DecodeEvent.SNAPPED);
    expect(rel(m, m.eventOffset)).toBe(54);
    expect([m.sport, m.dport, m.tcpHdrLen]).toEqual([40000, 80, 40]);
    expect(m.tcpMssOff).toBe(-1);
    expect(m.csum).toBe(Csum.IPV4_CHECKED | Csum.L4_UNVERIFIABLE);
  });

  it('a TCP header cut by the snap length: IPv4 decoded, no transport', () => {
    const { m } = decode(frame('ETH_IPV4_TCP_SYN'), ETH, { caplen: 40, wirelen: 74 });
    expect(m.event).toBe(DecodeEvent.SNAPPED);
    expect(rel(m, m.eventOffset)).toBe(34);
    expect(m.ipProto).toBe(6);
    expect(m.l4Off).toBe(-1);
  });
});

describe('UDP and ICMP events', () => {
  it('a UDP length beyond the IP payload is UDP_LEN_INVALID', () => {
    const b = frame('ETH_IPV4_UDP');
    putBe16(b, 38, 100);
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.UDP_LEN_INVALID);
    expect(rel(m, m.eventOffset)).toBe(38);
    expect([m.sport, m.dport]).toEqual([5353, 53]);
  });

  it('a UDP length below 8 is UDP_LEN_INVALID', () => {
    const b = frame('ETH_IPV4_UDP');
    putBe16(b, 38, 7);
    expect(decode(b, ETH, { verify: Verify.NONE }).m.event).toBe(DecodeEvent.UDP_LEN_INVALID);
  });

  it('an IP payload shorter than a UDP header is UDP_PKT_TOO_SMALL', () => {
    const b = frame('ETH_IPV4_UDP');
    putBe16(b, 16, 24);
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.UDP_PKT_TOO_SMALL);
    expect(rel(m, m.eventOffset)).toBe(34);
  });

  it('an IP payload shorter than an ICMP header is ICMP_PKT_TOO_SMALL', () => {
    const b = frame('ETH_IPV4_ICMP_ECHO');
    putBe16(b, 16, 24);
    expect(decode(b, ETH, { verify: Verify.NONE }).m.event).toBe(DecodeEvent.ICMP_PKT_TOO_SMALL);
  });

  it('an ICMP error whose quoted header is shorter than 20 bytes is ICMP_INNER_IPV4_TOO_SMALL', () => {
    const b = frame('ETH_IPV4_ICMP_UNREACH_UDP');
    putBe16(b, 16, 20 + 8 + 12);
    const { m } = decode(b, ETH, { verify: Verify.NONE });
    expect(m.event).toBe(DecodeEvent.ICMP_INNER_IPV4_TOO_SMALL);
    expect(eventLayer(m.event)).toBe(EventLayer.ICMP_INNER);
    expect(m.icmpType).toBe(3);
  });
});

describe('link-layer events', () => {
  it('fewer than 14 bytes: ETH_PKT_TOO_SMALL on the wire, SNAPPED when the wire had more', () => {
    const b = frame('ETH_IPV4_UDP').subarray(0, 10);
    const a = decode(b, ETH).m;
    expect(a.event).toBe(DecodeEvent.ETH_PKT_TOO_SMALL);
    expect(a.l3).toBe(L3.NONE);
    expect(decode(b, ETH, { caplen: 10, wirelen: 46 }).m.event).toBe(DecodeEvent.SNAPPED);
  });

  it('a fourth VLAN tag is VLAN_TOO_MANY_LAYERS', () => {
    const b = fromHex('020000000002 020000000001 8100 0001 8100 0002 8100 0003 8100 0004 0800' + '45000014000000004000000000000000000000000000');
    const { m } = decode(b, ETH);
    expect(m.event).toBe(DecodeEvent.VLAN_TOO_MANY_LAYERS);
    expect(m.vlanCount).toBe(3);
    expect([m.vlanOuter, m.vlanInner]).toEqual([1, 2]);
    expect(m.l3).toBe(L3.NONE);
  });

  it('a frame ending inside a VLAN tag is VLAN_HEADER_TOO_SMALL', () => {
    const b = fromHex('020000000002 020000000001 8100 00');
    expect(decode(b, ETH).m.event).toBe(DecodeEvent.VLAN_HEADER_TOO_SMALL);
  });

  it('short SLL, SLL2, NULL and ARP headers', () => {
    expect(decode(frame('SLL_IPV4_UDP').subarray(0, 12), LinkType.LINUX_SLL).m.event).toBe(DecodeEvent.SLL_PKT_TOO_SMALL);
    expect(decode(frame('SLL2_IPV6_ICMPV6_ECHO').subarray(0, 12), LinkType.LINUX_SLL2).m.event).toBe(DecodeEvent.SLL2_PKT_TOO_SMALL);
    expect(decode(fromHex('020000'), LinkType.NULL).m.event).toBe(DecodeEvent.NULL_PKT_TOO_SMALL);
    const arp = decode(frame('ETH_ARP_REQUEST').subarray(0, 30), ETH).m;
    expect(arp.event).toBe(DecodeEvent.ARP_PKT_TOO_SMALL);
    expect(arp.l3).toBe(L3.ARP);
  });

  it('IPv6 with a payload length beyond the wire is IPV6_TRUNC', () => {
    const b = frame('ETH_IPV6_HBH_TCP');
    putBe16(b, 18, 500);
    const { m } = decode(b, ETH);
    expect(m.event).toBe(DecodeEvent.IPV6_TRUNC);
    expect(m.l4Off).toBe(-1);
  });
});

describe('event bookkeeping', () => {
  it('keeps the first event in meta and counts every one', () => {
    // MSS length 3 makes the walk land on garbage: the first event is at the MSS option, more follow
    const b = frame('ETH_IPV4_TCP_SYN');
    b[55] = 3;
    const { m, c } = decode(b, ETH, { verify: Verify.NONE });
    expect(rel(m, m.eventOffset)).toBe(54);
    expect(c.get(EVENT_BASE + DecodeEvent.TCP_OPT_INVALID_LEN)).toBe(2);
    expect(c.get(DecodeCounter.PACKETS_WITH_EVENTS)).toBe(1);
    expect(c.events()).toEqual({ TCP_OPT_INVALID_LEN: 2 });
  });

  it('names and layers every event id', () => {
    for (const [name, id] of Object.entries(DecodeEvent)) {
      expect(eventName(id)).toBe(id === 0 ? '' : name);
      expect(eventLayer(id) === EventLayer.NONE).toBe(id === 0);
    }
    expect(eventName(999)).toBe('EVENT_999');
  });
});
