// nf_nat_icmp_reply_translation: ICMP errors quoting packets of NATed flows recorded by the oracle. The
// quoted headers must come out as the other side of the router saw them (checksums from the recordings
// where the quote holds them), the outer header as NAT makes it, and the ICMP checksum must be right
// (expected bytes built here with an independent RFC 1071 routine).
import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src/decode/meta.js';
import { Nat } from '../../../src/netfilter/nat/nat.js';
import { CtInfo, CtStatus, Hook, Verdict } from '../../../src/netfilter/skb.js';
import { Prng } from '../../../src/util/prng.js';
import { FakeCt, tup } from './fake-ct.js';
import { decreaseTtl, fillCsum, hex, metaFor, rfc1071, skbOn, toHexString } from './pkt-helpers.js';

const host = { masqueradeSource: () => 0, redirectAddress: () => 0 };

/** An ICMP error (type/code) from `src` to `dst` quoting `quoted`, TTL 64, with correct checksums. */
function icmpError(src: string, dst: string, type: number, code: number, quoted: Uint8Array): Uint8Array {
  const len = 20 + 8 + quoted.length;
  const b = new Uint8Array(len);
  b.set([0x45, 0xc0, len >>> 8, len & 0xff, 0x12, 0x34, 0, 0, 64, 1, 0, 0]);
  b.set(src.split('.').map(Number), 12);
  b.set(dst.split('.').map(Number), 16);
  b[20] = type;
  b[21] = code;
  b.set(quoted, 28);
  fillCsum(b, 10, 0, 20);
  fillCsum(b, 22, 20, len);
  return b;
}

/** Set an IPv4 address field and recompute the header checksum of the header at `iph` (RFC 1071). */
function setAddr(b: Uint8Array, iph: number, field: 12 | 16, addr: string): void {
  b.set(addr.split('.').map(Number), iph + field);
  fillCsum(b, iph + 10, iph, iph + (b[iph]! & 15) * 4);
}

function world() {
  const ct = new FakeCt();
  return { ct, nat: new Nat({ conntrack: ct, prng: new Prng(1), host, extras: ct }) };
}

// 05: c2 172.17.0.3:5000 -> 198.51.100.10:9999 MASQUERADEd to 198.51.100.1:9651 (conntrack-L.txt)
function masqUdp(w: ReturnType<typeof world>) {
  return w.ct.addConfirmed(
    tup('172.17.0.3', '198.51.100.10', 5000, 9999, IpProto.UDP),
    tup('198.51.100.10', '198.51.100.1', 9999, 9651, IpProto.UDP),
    CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE,
  );
}
const UDP_DATA = '6332207365713d3020303132333435363738396162636465666768696a6b6c6d6e6f707172737475767778797a0a303132333435363738396162636465666768';
/** host-eth0.pcap frame 9 of 05: the datagram as it left the router. */
const SENT_UDP = '4500005c792740003f116df7c6336401c633640a25b3270f0048dba4' + UDP_DATA;

/** What the quoted datagram must look like after translation: c2's own addresses, its recorded UDP checksum. */
function expectedQuote(len: number): Uint8Array {
  const q = hex(SENT_UDP);
  setAddr(q, 0, 12, '172.17.0.3');
  q.set([0x13, 0x88], 20); // sport 5000
  q.set([0x6b, 0xf0], 26); // UDP checksum c2 sent (host-vethc2.pcap frame 4)
  return q.slice(0, len);
}

function forwardError(w: ReturnType<typeof world>, b: Uint8Array, ct: number, ctinfo: number, caplen = b.length) {
  const m = metaFor(b, caplen);
  const skb = skbOn(m, ct, ctinfo);
  const v1 = w.nat.hookFn(skb, Hook.PRE_ROUTING, null);
  decreaseTtl(b);
  const v2 = w.nat.hookFn(skb, Hook.POST_ROUTING, null);
  return { m, v1, v2 };
}

describe('port unreachable for a MASQUERADEd UDP flow (PRE_ROUTING, RELATED_REPLY)', () => {
  for (const quoteLen of [92, 28]) {
    it(`quoting ${quoteLen} bytes: inner source and port restored, outer destination de-NATed`, () => {
      const w = world();
      const ct = masqUdp(w);
      const b = icmpError('198.51.100.10', '198.51.100.1', 3, 3, hex(SENT_UDP).slice(0, quoteLen));
      const { m, v1, v2 } = forwardError(w, b, ct, CtInfo.RELATED_REPLY);
      expect([v1, v2]).toEqual([Verdict.ACCEPT, Verdict.ACCEPT]);
      const want = icmpError('198.51.100.10', '172.17.0.3', 3, 3, expectedQuote(quoteLen));
      decreaseTtl(want);
      expect(toHexString(b)).toBe(toHexString(want));
      expect(m.daddr).toBe(0xac110003);
      expect(m.innerSaddr).toBe(0xac110003);
      expect(m.innerSport).toBe(5000);
      expect(m.l4Csum).toBe((want[22]! << 8) | want[23]!);
    });
  }

  it('a capture cut short still gets a correct ICMP checksum (adjusted by the rewritten bytes)', () => {
    const w = world();
    const ct = masqUdp(w);
    const b = icmpError('198.51.100.10', '198.51.100.1', 3, 3, hex(SENT_UDP));
    forwardError(w, b, ct, CtInfo.RELATED_REPLY, 60);
    const want = icmpError('198.51.100.10', '172.17.0.3', 3, 3, expectedQuote(92));
    decreaseTtl(want);
    expect(toHexString(b)).toBe(toHexString(want));
  });

  it('a bad ICMP checksum, a message too short for the quoted header, or a NATed redirect is dropped', () => {
    const w = world();
    const ct = masqUdp(w);
    const bad = icmpError('198.51.100.10', '198.51.100.1', 3, 3, hex(SENT_UDP).slice(0, 28));
    bad[23] = bad[23]! ^ 1;
    expect(w.nat.hookFn(skbOn(metaFor(bad), ct, CtInfo.RELATED_REPLY), Hook.PRE_ROUTING, null)).toBe(Verdict.DROP);
    const short = icmpError('198.51.100.10', '198.51.100.1', 3, 3, hex(SENT_UDP).slice(0, 19));
    expect(w.nat.hookFn(skbOn(metaFor(short), ct, CtInfo.RELATED_REPLY), Hook.PRE_ROUTING, null)).toBe(Verdict.DROP);
    const redirect = icmpError('198.51.100.10', '198.51.100.1', 5, 1, hex(SENT_UDP).slice(0, 28));
    expect(w.nat.hookFn(skbOn(metaFor(redirect), ct, CtInfo.RELATED_REPLY), Hook.PRE_ROUTING, null)).toBe(Verdict.DROP);
  });

  it('an entry without the matching NAT bit leaves the error alone', () => {
    const w = world();
    const ct = w.ct.addConfirmed(
      tup('198.51.100.10', '198.51.100.1', 40000, 8080, IpProto.UDP),
      tup('198.51.100.1', '198.51.100.10', 8080, 40000, IpProto.UDP),
      CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE,
    );
    const b = icmpError('198.51.100.1', '198.51.100.10', 3, 3, hex('4500001c0000400040110000c633640ac63364019c401f9000080000'));
    const before = toHexString(b);
    expect(w.nat.hookFn(skbOn(metaFor(b), ct, CtInfo.RELATED_REPLY), Hook.LOCAL_OUT, null)).toBe(Verdict.ACCEPT);
    expect(w.nat.hookFn(skbOn(metaFor(b), ct, CtInfo.RELATED_REPLY), Hook.POST_ROUTING, null)).toBe(Verdict.ACCEPT);
    expect(toHexString(b)).toBe(before);
  });
});

describe('error from a DNAT backend about a TCP segment (POST_ROUTING, RELATED_REPLY)', () => {
  // 02: 198.51.100.10:45384 -> 198.51.100.1:8080 DNATed to 172.17.0.2:80 (conntrack-L.txt)
  const SYN_AT_C1 = '4500003cc2ba40003f06a2b0c633640aac110002b1480050aecc1f9800000000a002fd5c650a0000020405820402080afe739105000000000103030a';
  function dnatTcp(w: ReturnType<typeof world>) {
    return w.ct.addConfirmed(
      tup('198.51.100.10', '198.51.100.1', 45384, 8080, IpProto.TCP),
      tup('172.17.0.2', '198.51.100.10', 80, 45384, IpProto.TCP),
      CtStatus.DST_NAT | CtStatus.DST_NAT_DONE | CtStatus.SRC_NAT_DONE,
    );
  }
  for (const [quoteLen, tcpCsum] of [
    [60, 0xc7a8], // whole SYN quoted: checksum updated to what ext sent (host-eth0.pcap frame 3)
    [28, -1], // 8 bytes of TCP: only the port, the checksum is not in the quote
    [38, -1], // 18 bytes: still below a full TCP header
  ] as const) {
    it(`quoting ${quoteLen} bytes`, () => {
      const w = world();
      const ct = dnatTcp(w);
      const b = icmpError('172.17.0.2', '198.51.100.10', 3, 1, hex(SYN_AT_C1).slice(0, quoteLen));
      const { v1, v2 } = forwardError(w, b, ct, CtInfo.RELATED_REPLY);
      expect([v1, v2]).toEqual([Verdict.ACCEPT, Verdict.ACCEPT]);
      const q = hex(SYN_AT_C1);
      setAddr(q, 0, 16, '198.51.100.1');
      q.set([0x1f, 0x90], 22); // dport 8080
      if (tcpCsum >= 0) q.set([tcpCsum >>> 8, tcpCsum & 0xff], 36);
      const want = icmpError('198.51.100.1', '198.51.100.10', 3, 1, q.slice(0, quoteLen));
      decreaseTtl(want);
      expect(toHexString(b)).toBe(toHexString(want));
      expect(rfc1071(b, 20, b.length)).toBe(0);
    });
  }
});

describe('time exceeded about a MASQUERADEd echo request (inner ICMP id)', () => {
  it('the quoted echo gets its id and checksum back (host-vethc2.pcap frame 4 of 06)', () => {
    const w = world();
    const ct = w.ct.addConfirmed(
      tup('172.17.0.3', '198.51.100.10', 4660, 8 << 8, IpProto.ICMP),
      tup('198.51.100.10', '198.51.100.1', 16880, 0, IpProto.ICMP),
      CtStatus.SRC_NAT | CtStatus.SRC_NAT_DONE | CtStatus.DST_NAT_DONE,
    );
    const sent = hex('45000054bad440003f012c62c6336401c633640a0800886141f00001f195016b0000000079d9020000000000');
    const b = icmpError('198.51.100.10', '198.51.100.1', 11, 0, sent.slice(0, 28));
    const { m } = forwardError(w, b, ct, CtInfo.RELATED_REPLY);
    const q = sent.slice(0, 28);
    setAddr(q, 0, 12, '172.17.0.3');
    q.set([0xb8, 0x1d, 0x12, 0x34], 22); // checksum b81d and id 4660 as c2 sent them
    const want = icmpError('198.51.100.10', '172.17.0.3', 11, 0, q);
    decreaseTtl(want);
    expect(toHexString(b)).toBe(toHexString(want));
    expect(m.innerSport).toBe(4660);
  });
});
