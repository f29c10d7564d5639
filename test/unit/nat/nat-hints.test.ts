// NatHints (engine/prescan.ts): the kernel's NAT choices read back from the host's outgoing copies. A received
// packet paired with its copy is found by its tuple as received, however NAT rewrote both sides and even with
// IP ID 0; the last copy wins; without a pairing the side NAT left alone finds the copy.
import { describe, expect, it } from 'vitest';
import { NatHints, Seen } from '../../../src/engine/prescan.js';
import { IpProto, L3, PacketMeta } from '../../../src/decode/meta.js';
import { Tuple } from '../../../src/netfilter/conntrack/tuple.js';
import { parseIpv4 } from '../../../src/util/ipv4.js';

/** A decoded UDP datagram (IP ID `id`, 48 payload bytes) with its UDP header in `data`. */
function udp(src: string, sport: number, dst: string, dport: number, id: number): PacketMeta {
  const m = new PacketMeta();
  m.data = new Uint8Array(28);
  m.frameOff = 0;
  m.caplen = 28;
  m.l3 = L3.IPV4;
  m.l3Off = 0;
  m.ipHdrLen = 20;
  m.ipProto = IpProto.UDP;
  m.ipId = id;
  m.saddr = parseIpv4(src);
  m.daddr = parseIpv4(dst);
  m.l4Off = 20;
  m.l4Len = 56;
  m.sport = sport;
  m.dport = dport;
  m.data[24] = 0;
  m.data[25] = 56; // UDP length
  return m;
}

const seen = (m: PacketMeta): Seen => new Seen(m.ipProto, m.ipId, 56, m.saddr, m.sport, m.daddr, m.dport);

describe('NatHints', () => {
  it('finds the copy of a datagram whose both sides NAT rewrote, by its tuple as received, with IP ID 0', () => {
    const h = new NatHints();
    const a = udp('172.18.0.2', 46001, '10.96.0.10', 53, 0);
    const b = udp('172.18.0.2', 46002, '10.96.0.10', 53, 0);
    const outA = udp('172.17.0.1', 15817, '172.17.0.2', 5353, 0);
    const outB = udp('172.17.0.1', 43099, '172.17.0.4', 5353, 0);
    for (const [r, o] of [[a, outA], [b, outB]] as const) {
      h.add(o);
      h.pair(seen(r), o);
    }
    expect(h.sentAs(a, null)).toMatchObject({ daddr: parseIpv4('172.17.0.2'), dport: 5353 });
    expect(h.sentAs(b, null)).toMatchObject({ daddr: parseIpv4('172.17.0.4'), dport: 5353 });
    expect(h.srcPort(b, null)).toBe(43099);
    // nothing to go by: both sides changed and the IP ID says nothing
    expect(h.sentAs(udp('172.18.0.2', 46003, '10.96.0.10', 53, 0), null)).toBeNull();
  });

  it('looks a packet rewritten since it arrived up by its tuple as received (the conntrack ORIGINAL tuple)', () => {
    const h = new NatHints();
    const r = udp('172.17.0.2', 46002, '10.96.0.10', 53, 0x82c5);
    const onBridge = udp('172.17.0.2', 46002, '172.17.0.2', 5353, 0x82c5);
    const onPort = udp('172.17.0.1', 42602, '172.17.0.2', 5353, 0x82c5);
    for (const o of [onBridge, onPort]) {
      h.add(o);
      h.pair(seen(r), o);
    }
    // at POSTROUTING the packet already carries the DNAT destination
    const atPost = udp('172.17.0.2', 46002, '172.17.0.2', 5353, 0x82c5);
    const orig = new Tuple(parseIpv4('172.17.0.2'), parseIpv4('10.96.0.10'), 46002, 53, IpProto.UDP);
    expect(h.srcPort(atPost, orig)).toBe(42602); // the last copy: after the source NAT on the port
    // unpaired, the copy with the same destination is the one on the bridge, before its source NAT
    expect(h.srcPort(atPost, null)).toBe(46002);
  });

  it('without a pairing, finds the copy by the side NAT left alone', () => {
    const h = new NatHints();
    h.add(udp('198.51.100.1', 40123, '198.51.100.10', 9999, 0x1234));
    expect(h.srcPort(udp('172.17.0.2', 5300, '198.51.100.10', 9999, 0x1234), null)).toBe(40123);
    expect(h.srcPort(udp('172.17.0.2', 5300, '198.51.100.10', 9999, 0x1235), null)).toBe(-1);
  });
});
