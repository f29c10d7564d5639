import { describe, expect, it } from 'vitest';
import { be16, be32, fromHex, le32, putBe32, toHex } from '../../src/util/bytes.js';
import { formatIpv4, maskToPrefix, parseIpv4, prefixMask, parseMac, formatMac } from '../../src/util/ipv4.js';
import { Prng } from '../../src/util/prng.js';
import { NfError } from '../../src/util/errors.js';

describe('bytes', () => {
  it('reads unsigned big and little endian', () => {
    const b = fromHex('ff fe 80 01 02 03');
    expect(be16(b, 0)).toBe(0xfffe);
    expect(be32(b, 0)).toBe(0xfffe8001);
    expect(le32(b, 2)).toBe(0x03020180);
    const out = new Uint8Array(4);
    putBe32(out, 0, 0xdeadbeef);
    expect(toHex(out)).toBe('deadbeef');
  });
  it('rejects odd hex', () => {
    expect(() => fromHex('abc')).toThrow();
  });
});

describe('ipv4', () => {
  it('parses and formats', () => {
    expect(parseIpv4('198.51.100.1')).toBe(0xc6336401);
    expect(formatIpv4(0xc6336401)).toBe('198.51.100.1');
    expect(parseIpv4('1.2.3')).toBe(-1);
    expect(parseIpv4('1.2.3.256')).toBe(-1);
  });
  it('converts masks', () => {
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(maskToPrefix(0xffffff00)).toBe(24);
    expect(maskToPrefix(0)).toBe(0);
    expect(maskToPrefix(0xff00ff00)).toBe(-1);
  });
  it('round-trips MACs', () => {
    const m = parseMac('02:42:ac:11:00:02')!;
    expect(formatMac(m.hi, m.lo)).toBe('02:42:ac:11:00:02');
  });
});

describe('prng', () => {
  it('repeats for a seed and differs between seeds and forks', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 8 }, () => a.u32());
    expect(Array.from({ length: 8 }, () => b.u32())).toEqual(xs);
    expect(new Prng(43).u32()).not.toBe(xs[0]);
    expect(new Prng(42).fork('nat').u32()).not.toBe(new Prng(42).fork('stat').u32());
  });
  it('below() stays in range', () => {
    const p = new Prng(1);
    for (let i = 0; i < 1000; i++) {
      const v = p.below(7);
      expect(v >= 0 && v < 7).toBe(true);
    }
  });
});

describe('NfError', () => {
  it('describes its location and survives a record round trip', () => {
    const e = new NfError('ERR_X', 'broken', { path: 'a.pcap', offset: 24, record: 0 });
    expect(e.describe()).toBe('a.pcap: byte offset 24, record 0: broken [ERR_X]');
    const back = NfError.fromRecord(e.toRecord());
    expect(back.code).toBe('ERR_X');
    expect(back.offset).toBe(24);
  });
});
