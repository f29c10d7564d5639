// IPv4 and IPv6 views on byte literals: every field, the setters NAT and TTL handling use, the header
// checksum (a published worked example), and the length checks on truncated and impossible headers.

import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { Ipv4View } from '../../../src/wire/ipv4.js';
import { Ipv6View } from '../../../src/wire/ipv6.js';

// The IPv4 header of the Wikipedia "Internet checksum" worked example: checksum 0xb861.
const V4 = '4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7';

describe('Ipv4View', () => {
  it('reads every field', () => {
    const v = new Ipv4View(fromHex('aabb' + V4), 2);
    expect([v.version, v.ihl, v.headerLen, v.tos, v.dscp, v.ecn, v.totalLen, v.ident]).toEqual([4, 5, 20, 0, 0, 0, 115, 0]);
    expect([v.fragField, v.dontFrag, v.moreFrags, v.fragOffset]).toEqual([0x4000, 1, 0, 0]);
    expect([v.ttl, v.protocol, v.checksum]).toEqual([64, 17, 0xb861]);
    expect([v.saddr, v.daddr]).toEqual([0xc0a80001, 0xc0a800c7]);
  });

  it('computes and verifies the header checksum', () => {
    const v = new Ipv4View(fromHex(V4), 0);
    expect(v.computeChecksum()).toBe(0xb861);
    expect(v.verifyChecksum()).toBe(true);
  });

  it('a TTL decrement breaks the checksum until it is refilled (0xb861 + 0x0100)', () => {
    const b = fromHex(V4);
    const v = new Ipv4View(b, 0);
    v.ttl = 63;
    expect(v.verifyChecksum()).toBe(false);
    v.fillChecksum();
    expect(v.checksum).toBe(0xb961);
    expect(v.verifyChecksum()).toBe(true);
  });

  it('writes addresses, lengths, id, fragment field, TOS and protocol', () => {
    const b = fromHex(V4);
    const v = new Ipv4View(b, 0);
    v.saddr = 0x0a000001;
    v.daddr = 0xfffffffe;
    v.totalLen = 1500;
    v.ident = 0xbeef;
    v.fragField = 0x2000 | 185;
    v.tos = 0xb8;
    v.protocol = 6;
    v.checksum = 0;
    expect(toHex(b)).toBe('45b805dcbeef20b94006' + '0000' + '0a000001fffffffe');
    expect([v.moreFrags, v.dontFrag, v.fragOffset, v.dscp, v.ecn]).toEqual([1, 0, 1480, 46, 0]);
  });

  it('length check: version 4, IHL >= 5, the whole header present', () => {
    const ok = fromHex(V4);
    expect(Ipv4View.check(ok, 0, 20)).toBe(true);
    expect(Ipv4View.check(ok, 0, 19)).toBe(false);
    const ihl4 = fromHex(V4);
    ihl4[0] = 0x44;
    expect(Ipv4View.check(ihl4, 0, 20)).toBe(false);
    const ihl6 = fromHex(V4);
    ihl6[0] = 0x46; // needs 24 bytes, only 20 exist
    expect(Ipv4View.check(ihl6, 0, 20)).toBe(false);
    expect(Ipv4View.check(ihl6, 0, 24)).toBe(false);
    const v6 = fromHex(V4);
    v6[0] = 0x65;
    expect(Ipv4View.check(v6, 0, 20)).toBe(false);
    expect(Ipv4View.check(ok, -1, 20)).toBe(false);
  });
});

// fe80::1 -> fe80::2, traffic class 0xb8, flow label 0x12345, payload 12, ICMPv6, hop limit 64
const V6 = '6b812345 000c 3a 40 fe800000000000000000000000000001 fe800000000000000000000000000002';

describe('Ipv6View', () => {
  it('reads every field of the fixed header', () => {
    const v = new Ipv6View(fromHex(V6), 0);
    expect([v.version, v.trafficClass, v.flowLabel, v.payloadLen, v.nextHeader, v.hopLimit]).toEqual([6, 0xb8, 0x12345, 12, 58, 64]);
    expect([v.saddrWord(0), v.saddrWord(3), v.daddrWord(0), v.daddrWord(3)]).toEqual([0xfe800000, 1, 0xfe800000, 2]);
  });

  it('writes payload length, next header and hop limit', () => {
    const b = fromHex(V6);
    const v = new Ipv6View(b, 0);
    v.payloadLen = 0x1234;
    v.nextHeader = 6;
    v.hopLimit = 1;
    expect(toHex(b, 0, 8)).toBe('6b81234512340601');
  });

  it('length check: 40 bytes with version 6', () => {
    expect(Ipv6View.check(fromHex(V6), 0, 40)).toBe(true);
    expect(Ipv6View.check(fromHex(V6), 0, 39)).toBe(false);
    expect(Ipv6View.check(fromHex(V4 + V4), 0, 40)).toBe(false);
  });
});
