// TCP (with the option walker), UDP and ICMP views on byte literals: reads, writes, the length checks on
// truncated and impossible headers, and option walks over well-formed and malformed option lists.

import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../src/util/bytes.js';
import { TcpView, TcpOptionWalker, TcpOptWalk } from '../../../src/wire/tcp.js';
import { UdpView } from '../../../src/wire/udp.js';
import { IcmpView, isIcmpError, icmpHasId } from '../../../src/wire/icmp.js';

// 40000 -> 80 SYN seq 1000 win 64240 csum 0x9825, options MSS 1460, SACK_PERM, TS 111/0, NOP, WS 7
const SYN = '9c40 0050 000003e8 00000000 a0 02 faf0 9825 0000' + '020405b4 0402 080a0000006f00000000 01 030307';

describe('TcpView', () => {
  it('reads every field', () => {
    const v = new TcpView(fromHex(SYN), 0);
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.dataOffset, v.headerLen, v.flags, v.window, v.checksum, v.urgent]).toEqual([
      40000, 80, 1000, 0, 10, 40, 0x02, 64240, 0x9825, 0,
    ]);
  });

  it('reads sequence numbers above 2^31 unsigned', () => {
    const v = new TcpView(fromHex('0000 0000 fffffffe 80000000 5010 0000 0000 0000'), 0);
    expect([v.seq, v.ack]).toEqual([0xfffffffe, 0x80000000]);
  });

  it('writes ports, numbers, flags, window, checksum and header length (keeping the reserved bits)', () => {
    const b = fromHex(SYN);
    b[12] = 0xa1; // a reserved bit set
    const v = new TcpView(b, 0);
    v.srcPort = 1;
    v.dstPort = 65535;
    v.seq = 0xdeadbeef;
    v.ack = 7;
    v.headerLen = 24;
    v.flags = 0x12;
    v.window = 0;
    v.checksum = 0xabcd;
    v.urgent = 9;
    expect(toHex(b, 0, 20)).toBe('0001ffffdeadbeef000000076112' + '0000abcd0009');
  });

  it('length check: data offset >= 5 and the whole header present', () => {
    expect(TcpView.check(fromHex(SYN), 0, 40)).toBe(true);
    expect(TcpView.check(fromHex(SYN), 0, 39)).toBe(false);
    expect(TcpView.check(fromHex(SYN), 0, 19)).toBe(false);
    const doff4 = fromHex(SYN);
    doff4[12] = 0x40;
    expect(TcpView.check(doff4, 0, 40)).toBe(false);
    const doff15 = fromHex(SYN);
    doff15[12] = 0xf0;
    expect(TcpView.check(doff15, 0, 40)).toBe(false);
  });
});

function walk(hex: string): Array<[number, number, number]> {
  const b = fromHex(hex);
  const w = new TcpOptionWalker().reset(b, 0, b.length);
  const out: Array<[number, number, number]> = [];
  for (let k = w.next(); ; k = w.next()) {
    out.push([k, k >= 0 ? w.len : 0, w.at]);
    if (k < 0) return out;
  }
}

describe('TcpOptionWalker', () => {
  it('walks a SYN option list, skipping NOPs', () => {
    expect(walk('020405b4 0402 080a0000006f00000000 01 030307')).toEqual([
      [2, 4, 0],
      [4, 2, 4],
      [8, 10, 6],
      [3, 3, 17],
      [TcpOptWalk.END, 0, 17],
    ]);
  });

  it('stops at EOL', () => {
    expect(walk('0101 00 020405b4')).toEqual([[TcpOptWalk.END, 0, -1]]);
  });

  it('a length below 2, past the end, or missing is MALFORMED at that option', () => {
    expect(walk('01 0201')).toEqual([[TcpOptWalk.MALFORMED, 0, 1]]);
    expect(walk('020405b4 0306 00')).toEqual([
      [2, 4, 0],
      [TcpOptWalk.MALFORMED, 0, 4],
    ]);
    expect(walk('010102')).toEqual([[TcpOptWalk.MALFORMED, 0, 2]]);
    expect(walk('')).toEqual([[TcpOptWalk.END, 0, -1]]);
  });

  it('stays stopped after MALFORMED', () => {
    const b = fromHex('0201 020405b4');
    const w = new TcpOptionWalker().reset(b, 0, b.length);
    expect(w.next()).toBe(TcpOptWalk.MALFORMED);
    expect(w.next()).toBe(TcpOptWalk.END);
  });
});

describe('UdpView', () => {
  const UDP = '14e9 0035 000c c381 12340100';
  it('reads and writes', () => {
    const b = fromHex(UDP);
    const v = new UdpView(b, 0);
    expect([v.srcPort, v.dstPort, v.length, v.checksum]).toEqual([5353, 53, 12, 0xc381]);
    v.srcPort = 1024;
    v.dstPort = 5353;
    v.length = 8;
    v.checksum = 0;
    expect(toHex(b, 0, 8)).toBe('040014e900080000');
  });

  it('length check: header present and a length field between 8 and what is there', () => {
    expect(UdpView.check(fromHex(UDP), 0, 12)).toBe(true);
    expect(UdpView.check(fromHex(UDP), 0, 11)).toBe(false);
    expect(UdpView.check(fromHex('14e9 0035 0007 0000'), 0, 8)).toBe(false);
    expect(UdpView.check(fromHex('14e9 0035'), 0, 4)).toBe(false);
  });
});

describe('IcmpView', () => {
  it('echo: type, code, checksum, id, sequence; writes', () => {
    const b = fromHex('0800 2421 4242 0007 6162');
    const v = new IcmpView(b, 0);
    expect([v.type, v.code, v.checksum, v.id, v.seq]).toEqual([8, 0, 0x2421, 0x4242, 7]);
    v.type = 0;
    v.id = 0x1111;
    v.seq = 8;
    v.checksum = 0xffff;
    expect(toHex(b, 0, 8)).toBe('0000ffff11110008');
  });

  it('fragmentation needed: next-hop MTU; redirect: gateway', () => {
    expect(new IcmpView(fromHex('0304 0000 0000 05dc'), 0).mtu).toBe(1500);
    const r = new IcmpView(fromHex('0501 0000 c0a80001'), 0);
    expect(r.gateway).toBe(0xc0a80001);
    r.gateway = 0x0a000001;
    r.code = 0;
    r.mtu = 1400;
    expect(toHex(r.bytes)).toBe('050000000a000578');
  });

  it('error and identifier types; length check', () => {
    expect([0, 3, 4, 5, 8, 11, 12, 13].map(isIcmpError)).toEqual([false, true, true, true, false, true, true, false]);
    expect([0, 8, 13, 14, 3, 15].map(icmpHasId)).toEqual([true, true, true, true, false, false]);
    expect(IcmpView.check(fromHex('0800 2421 4242 00'), 0, 7)).toBe(false);
  });
});
