// nf_nat_packet on real kernel traffic: packets captured before and after the 6.18 router of the oracle
// recordings (02 DNAT, 05 MASQUERADE UDP, 06 MASQUERADE ICMP echo), with the router's own TTL decrement
// applied by the kernel's ip_decrease_ttl arithmetic. The rewrite must produce the kernel's bytes.
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src/decode/meta.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { CtInfo, CtStatus, Hook, Verdict } from '../../../src/netfilter/skb.js';
import { parseIpv4 as ip } from '../../../src/util/ipv4.js';
import { Prng } from '../../../src/util/prng.js';
import { FakeCt, tup } from './fake-ct.js';
import { decreaseTtl, fillCsum, hex, metaFor, pseudo, rfc1071, skbOn, toHexString } from './pkt-helpers.js';

const host = { masqueradeSource: () => 0, redirectAddress: () => 0 };

function world() {
  const ct = new FakeCt();
  return { ct, nat: new Nat({ conntrack: ct, prng: new Prng(1), host, extras: ct }) };
}

/** Forward one packet through NAT at `pre` then (TTL-1) then NAT at POST_ROUTING, as a routed packet goes. */
function route(nat: Nat, bytes: Uint8Array, ct: number, ctinfo: number): Uint8Array {
  const m = metaFor(bytes);
  const skb = skbOn(m, ct, ctinfo);
  expect(nat.packet(skb, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
  decreaseTtl(bytes);
  expect(nat.packet(skb, Hook.POST_ROUTING)).toBe(Verdict.ACCEPT);
  return bytes;
}

describe('02-dnat-published-port: DNAT 198.51.100.1:8080 -> 172.17.0.2:80', () => {
  const w = world();
  const c = w.ct.addConfirmed(
    tup('198.51.100.10', '198.51.100.1', 45384, 8080, IpProto.TCP),
    tup('172.17.0.2', '198.51.100.10', 80, 45384, IpProto.TCP),
    CtStatus.DST_NAT | CtStatus.DST_NAT_DONE | CtStatus.SRC_NAT_DONE,
  );
  // host-eth0.pcap frame 3 (SYN in) -> host-vethc1.pcap frame 3 (SYN out)
  it('SYN: destination rewritten, IP and TCP checksums as the kernel left them', () => {
    const eth0 = hex('4500003cc2ba40004006238fc633640ac6336401b1481f90aecc1f9800000000a002fd5cc7a80000020405820402080afe739105000000000103030a');
    const vethc1 = '4500003cc2ba40003f06a2b0c633640aac110002b1480050aecc1f9800000000a002fd5c650a0000020405820402080afe739105000000000103030a';
    const m = metaFor(eth0);
    const skb = skbOn(m, c, CtInfo.NEW);
    expect(w.nat.packet(skb, Hook.PRE_ROUTING)).toBe(Verdict.ACCEPT);
    expect(m.daddr).toBe(ip('172.17.0.2'));
    expect(m.dport).toBe(80);
    expect(m.l4Csum).toBe(0x650a);
    decreaseTtl(eth0);
    expect(w.nat.packet(skb, Hook.POST_ROUTING)).toBe(Verdict.ACCEPT);
    expect(toHexString(eth0)).toBe(vethc1);
  });

  it('data segment (313 bytes payload) in the original direction', () => {
    const payload = toHexString(new TextEncoder().encode('GET 2000 300\n' + 'ext-'.repeat(75)));
    const eth0 = hex('4500016dc2bc40004006225cc633640ac6336401b1481f90aecc1f99835e7f228018004039cc00000101080afe739106d898ee3d' + payload);
    const want = '4500016dc2bc40003f06a17dc633640aac110002b1480050aecc1f99835e7f2280180040d72d00000101080afe739106d898ee3d' + payload;
    expect(toHexString(route(w.nat, eth0, c, CtInfo.ESTABLISHED))).toBe(want);
  });

  it('reply ACK: source rewritten back at POST_ROUTING (un-DNAT)', () => {
    // host-vethc1.pcap frame 7 -> host-eth0.pcap frame 7
    const vethc1 = hex('450000342d824000400636f1ac110002c633640a0050b148835e7f22aecc20d280100040c62200000101080ad898ee3dfe739106');
    const eth0 = '450000342d8240003f06b9cfc6336401c633640a1f90b148835e7f22aecc20d28010004028c100000101080ad898ee3dfe739106';
    expect(toHexString(route(w.nat, vethc1, c, CtInfo.ESTABLISHED_REPLY))).toBe(eth0);
  });
});

describe('05-same-sport-masq-default: c2 UDP 172.17.0.3:5000 MASQUERADEd to :9651', () => {
  const w = world();
  const c = w.ct.addConfirmed(
    tup('172.17.0.3', '198.51.100.10', 5000, 9999, IpProto.UDP),
    tup('198.51.100.10', '198.51.100.1', 9999, 9651, IpProto.UDP),
    CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE,
  );
  const data = '6332207365713d3020303132333435363738396162636465666768696a6b6c6d6e6f707172737475767778797a0a303132333435363738396162636465666768';
  it('outgoing datagram (vethc2 frame 4 -> eth0 frame 9)', () => {
    const out = route(w.nat, hex('4500005c792740004011eb17ac110003c633640a1388270f00486bf0' + data), c, CtInfo.ESTABLISHED);
    expect(toHexString(out)).toBe('4500005c792740003f116df7c6336401c633640a25b3270f0048dba4' + data);
  });
  it('echo back (eth0 frame 10 -> vethc2 frame 5)', () => {
    const back = route(w.nat, hex('4500005ce29f40004011037fc633640ac6336401270f25b30048dba4' + data), c, CtInfo.ESTABLISHED_REPLY);
    expect(toHexString(back)).toBe('4500005ce29f40003f11829fc633640aac110003270f138800486bf0' + data);
  });
});

describe('06-icmp-ping-out: c2 echo id 4660 MASQUERADEd to id 16880', () => {
  const w = world();
  const c = w.ct.addConfirmed(
    tup('172.17.0.3', '198.51.100.10', 4660, 8 << 8, IpProto.ICMP),
    tup('198.51.100.10', '198.51.100.1', 16880, 0, IpProto.ICMP),
    CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE,
  );
  const data = 'f195016b0000000079d9020000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';
  it('echo request (vethc2 frame 4 -> eth0 frame 9)', () => {
    const b = hex('45000054bad440004001a982ac110003c633640a0800b81d12340001' + data);
    const m = metaFor(b);
    const skb = skbOn(m, c, CtInfo.ESTABLISHED);
    w.nat.packet(skb, Hook.PRE_ROUTING);
    decreaseTtl(b);
    w.nat.packet(skb, Hook.POST_ROUTING);
    expect(toHexString(b)).toBe('45000054bad440003f012c62c6336401c633640a0800886141f00001' + data);
    expect(m.icmpId).toBe(16880);
    expect(m.saddr).toBe(ip('198.51.100.1'));
  });
  it('echo reply (eth0 frame 10 -> vethc2 frame 5)', () => {
    const back = route(w.nat, hex('45000054dacd000040014b69c633640ac63364010000906141f00001' + data), c, CtInfo.ESTABLISHED_REPLY);
    expect(toHexString(back)).toBe('45000054dacd00003f01ca89c633640aac1100030000c01d12340001' + data);
  });
});

describe('edge cases of the header rewrite', () => {
  function udpPacket(check: number, sport = 5000): Uint8Array {
    const b = hex('4500002000004000401100000a0001020a0002021388270f000c0000deadbeef');
    b[20] = sport >>> 8;
    b[21] = sport & 0xff;
    fillCsum(b, 10, 0, 20);
    b[26] = check >>> 8;
    b[27] = check & 0xff;
    return b;
  }
  function snatCt(w: ReturnType<typeof world>, newPort: number, proto: number = IpProto.UDP) {
    return w.ct.addConfirmed(
      tup('10.0.1.2', '10.0.2.2', 5000, 9999, proto),
      tup('10.0.2.2', '10.0.2.1', 9999, newPort, proto),
      CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE,
    );
  }

  it('UDP with checksum 0 ("none") keeps 0 through SNAT', () => {
    const w = world();
    const b = udpPacket(0);
    w.nat.packet(skbOn(metaFor(b), snatCt(w, 7000), CtInfo.ESTABLISHED), Hook.POST_ROUTING);
    expect((b[26]! << 8) | b[27]!).toBe(0);
    expect(b.slice(12, 16)).toEqual(hex('0a000201'));
    expect((b[20]! << 8) | b[21]!).toBe(7000);
    expect(rfc1071(b, 0, 20)).toBe(0);
  });

  it('UDP whose rewritten checksum computes to zero stores 0xffff (CSUM_MANGLED_0)', () => {
    // pick the new port so that the correct new checksum is 0: full sum of the new datagram must be 0xffff
    const w = world();
    const b = udpPacket(0);
    fillCsum(b, 26, 20, 32, pseudo(b));
    const probe = udpPacket(0);
    probe.set([10, 0, 2, 1], 12);
    probe[20] = 0;
    probe[21] = 0;
    const rest = 0xffff - (~rfc1071(probe, 20, 32, pseudo(probe)) & 0xffff); // one's-complement difference
    const newPort = rest & 0xffff;
    w.nat.packet(skbOn(metaFor(b), snatCt(w, newPort), CtInfo.ESTABLISHED), Hook.POST_ROUTING);
    expect((b[20]! << 8) | b[21]!).toBe(newPort);
    expect((b[26]! << 8) | b[27]!).toBe(0xffff);
    // and 0xffff verifies: the datagram sums to 0xffff with it
    expect(rfc1071(b, 20, 32, pseudo(b))).toBe(0);
  });

  it('a non-first fragment only gets its address rewritten', () => {
    const w = world();
    const b = hex('4500002000000005401100000a0001020a000202' + '1388270f000c1234deadbeef');
    fillCsum(b, 10, 0, 20);
    const tail = toHexString(b.slice(20));
    w.nat.packet(skbOn(metaFor(b), snatCt(w, 7000), CtInfo.ESTABLISHED), Hook.POST_ROUTING);
    expect(b.slice(12, 16)).toEqual(hex('0a000201'));
    expect(rfc1071(b, 0, 20)).toBe(0);
    expect(toHexString(b.slice(20))).toBe(tail);
  });

  it('a TCP header cut below 8 bytes is dropped; 8..19 bytes rewrite the port but not the checksum', () => {
    const w = world();
    const ctIdx = snatCt(w, 7000, IpProto.TCP);
    const short = hex('4500001a00004000400600000a0001020a000202138827'.padEnd(52, '0'));
    fillCsum(short, 10, 0, 20);
    expect(w.nat.packet(skbOn(metaFor(short), ctIdx, CtInfo.ESTABLISHED), Hook.POST_ROUTING)).toBe(Verdict.DROP);
    const twelve = hex('4500002000004000400600000a0001020a000202' + '1388270f0000000100000002');
    fillCsum(twelve, 10, 0, 20);
    expect(w.nat.packet(skbOn(metaFor(twelve), ctIdx, CtInfo.ESTABLISHED), Hook.POST_ROUTING)).toBe(Verdict.ACCEPT);
    expect(toHexString(twelve.slice(20))).toBe('1b58270f0000000100000002');
    expect(rfc1071(twelve, 0, 20)).toBe(0);
  });

  it('no status bit for this hook and direction: the packet is untouched', () => {
    const w = world();
    const b = udpPacket(0x1234);
    const before = toHexString(b);
    const skb = skbOn(metaFor(b), snatCt(w, 7000), CtInfo.ESTABLISHED);
    w.nat.packet(skb, Hook.PRE_ROUTING); // SRC_NAT in the original direction acts at POST_ROUTING only
    w.nat.packet(skb, Hook.LOCAL_OUT);
    expect(toHexString(b)).toBe(before);
  });
});
