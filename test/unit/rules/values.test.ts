// Value parsers with libxtables' acceptance rules, and address text (numeric IPv4 autocompletion, IPv6 in
// glibc inet_ntop form — expected strings produced with Python's socket.inet_ntop, which calls glibc).

import { describe, expect, it } from 'vitest';
import { parseMarkMask, parsePort, parsePortRange, parseUint, parseUintRange, scanUint } from '../../../src/netfilter/rules/values.js';
import { formatIpv6, parseIpv4Net, parseIpv4Numeric, parseIpv4Strict, parseIpv6, parseIpv6Net, formatIpv4Net } from '../../../src/netfilter/rules/addr.js';
import { parseProtocol, protocolName, serviceToPort } from '../../../src/netfilter/rules/names.js';
import { probabilityText } from '../../../src/netfilter/rules/match/xt_statistic.js';

describe('xtables_strtoui', () => {
  it('reads decimal, 0x hex and leading-zero octal, rejects signs and garbage', () => {
    expect(parseUint('42', 0, 100)).toBe(42);
    expect(parseUint('0x2a', 0, 100)).toBe(42);
    expect(parseUint('052', 0, 100)).toBe(42);
    expect(parseUint('-1', 0, 100)).toBe(-1);
    expect(parseUint('4x', 0, 100)).toBe(-1);
    expect(parseUint('', 0, 100)).toBe(-1);
    expect(parseUint('101', 0, 100)).toBe(-1);
    expect(parseUint('42949672956', 0, 0xffffffff)).toBe(-1);
    expect(scanUint('12:34')).toEqual({ value: 12, end: 2 });
  });
  it('parses port ranges with defaults and service names', () => {
    expect(parsePortRange(':', 'tcp')).toEqual([0, 65535]);
    expect(parsePortRange('1024:', 'tcp')).toEqual([1024, 65535]);
    expect(parsePortRange('ssh:http', 'tcp')).toEqual([22, 80]);
    expect(parsePortRange('4:3', 'tcp')).toBe('invalid portrange (min > max)');
    expect(parsePort('domain', 'udp')).toBe(53);
    expect(parsePort('ssh', 'udp')).toBe(-1);
    expect(serviceToPort('www', 'tcp')).toBe(80);
    expect(parseUintRange(':5', 0, 10)).toEqual([0, 5]);
  });
  it('parses value/mask marks', () => {
    expect(parseMarkMask('0x4000/0x4000')).toEqual([0x4000, 0x4000]);
    expect(parseMarkMask('16')).toEqual([16, 0xffffffff]);
    expect(parseMarkMask('4294967296')).toBeNull();
  });
});

describe('protocol names', () => {
  it('parses numbers, netbase names, xtables aliases; prints netbase names', () => {
    expect(parseProtocol('TCP')).toBe(6);
    expect(parseProtocol('icmpv6')).toBe(58);
    expect(parseProtocol('mh')).toBe(135);
    expect(parseProtocol('all')).toBe(0);
    expect(parseProtocol('256')).toBe(-1);
    expect(protocolName(47)).toBe('gre');
    expect(protocolName(58)).toBe('ipv6-icmp');
    expect(protocolName(135)).toBe('mobility-header');
    expect(protocolName(253)).toBe('253');
  });
});

describe('IPv4 address arguments', () => {
  it('autocompletes network addresses and accepts octal/hex octets (__numeric_to_ipaddr)', () => {
    expect(parseIpv4Numeric('10')).toBe(0x0a000000);
    expect(parseIpv4Numeric('10.1')).toBe(0x0a010000);
    expect(parseIpv4Numeric('010.0x10.1.1')).toBe(0x08100101);
    expect(parseIpv4Numeric('255.255.0', true)).toBe(-1);
    expect(parseIpv4Numeric('1.2.3.256')).toBe(-1);
  });
  it('masks the address and keeps non-contiguous masks', () => {
    expect(parseIpv4Net('10.1.2.3/8')).toEqual({ addr: 0x0a000000, mask: 0xff000000 });
    expect(parseIpv4Net('10.11.12.13/255.0.255.0')).toEqual({ addr: 0x0a000c00, mask: 0xff00ff00 });
    expect(formatIpv4Net(0x0a000c00, 0xff00ff00)).toBe('10.0.12.0/255.0.255.0');
    expect(parseIpv4Net('1.2.3.4/33')).toBe("invalid mask `33' specified");
  });
  it('takes only plain dotted quads where inet_pton is used', () => {
    expect(parseIpv4Strict('1.2.3.4')).toBe(0x01020304);
    expect(parseIpv4Strict('01.2.3.4')).toBe(-1);
    expect(parseIpv4Strict('1.2.3')).toBe(-1);
  });
});

describe('IPv6 text (glibc inet_ntop)', () => {
  const cases: Array<[string, string]> = [
    ['fd49:efd7:54aa::1', 'fd49:efd7:54aa::1'],
    ['::', '::'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
    ['1:0:0:0:1:0:0:0', '1::1:0:0:0'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['0:0:0:0:0:0:0:2', '::2'],
    ['2001:DB8::A', '2001:db8::a'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
  ];
  for (const [input, out] of cases) {
    it(`${input} → ${out}`, () => {
      expect(formatIpv6(parseIpv6(input)!)).toBe(out);
    });
  }
  it('rejects malformed text and masks prefixes', () => {
    expect(parseIpv6('1::2::3')).toBeNull();
    expect(parseIpv6('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIpv6Net('fd49:efd7:54aa::1/64')).toMatchObject({ text: 'fd49:efd7:54aa::', len: 64 });
  });
});

describe('statistic probability text', () => {
  it('prints %.11f of round(p * 2^31) / 2^31 with round-half-even', () => {
    // 2^19 / 2^31 = 0.000244140625 exactly: glibc rounds the tie to even (…62)
    expect(probabilityText(1 << 19)).toBe('0.00024414062');
    expect(probabilityText(0x80000000)).toBe('1.00000000000');
    expect(probabilityText(0)).toBe('0.00000000000');
  });
});
