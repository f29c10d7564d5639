// Exact 64-bit tick conversions, checked against BigInt arithmetic done here (an independent oracle) on
// chosen edge values; random values are in test/property/capture-timestamp.prop.test.ts.

import { describe, expect, it } from 'vitest';
import { TsConverter, ticksHiLo, tsresolUnits } from '../../../src/capture/timestamp.js';
import { newRecord } from '../../../src/capture/reader-base.js';

function viaBigInt(ticks: bigint, exponent: number, binary: boolean, offset = 0): [number, number] {
  const units = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
  const sec = ticks / units;
  const rem = ticks % units;
  return [Number(sec) + offset, Number((rem * 1000000000n) / units)];
}

function convert(ticks: bigint, exponent: number, binary: boolean, offset = 0): [number, number] {
  const rec = newRecord();
  new TsConverter(exponent, binary, offset).convert(Number(ticks >> 32n), Number(ticks & 0xffffffffn), rec);
  return [rec.tsSec, rec.tsNsec];
}

describe('TsConverter', () => {
  const values = [
    0n,
    1n,
    999999n,
    1000000n,
    1600000000123456n, // µs now
    1600000000123456789n, // ns now: above 2^53
    (1n << 53n) - 1n,
    1n << 53n,
    (1n << 64n) - 1n,
    0x5a8c0dc032n,
  ];
  const resolutions: [number, boolean][] = [
    [0, false],
    [3, false],
    [6, false],
    [9, false],
    [10, false],
    [12, false],
    [18, false],
    [0, true],
    [8, true],
    [9, true],
    [10, true],
    [20, true],
    [32, true],
    [40, true],
    [63, true],
  ];
  for (const [exp, bin] of resolutions) {
    it(`matches BigInt division for ${bin ? '2' : '10'}^-${exp}`, () => {
      const units = bin ? 1n << BigInt(exp) : 10n ** BigInt(exp);
      // seconds beyond 2^53 (2^64 ticks at coarse resolutions) cannot be exact numbers at all
      const inRange = values.filter((v) => v / units < 1n << 53n);
      expect(inRange.length).toBeGreaterThanOrEqual(7);
      for (const v of inRange) expect(convert(v, exp, bin)).toEqual(viaBigInt(v, exp, bin));
    });
  }

  it('adds if_tsoffset seconds, including negative ones', () => {
    expect(convert(1600000000123456n, 6, false, 3600)).toEqual([1600003600, 123456000]);
    expect(convert(1600000000123456n, 6, false, -1600000000)).toEqual([0, 123456000]);
  });

  it('decodes if_tsresol', () => {
    expect(tsresolUnits(6)).toEqual({ units: 1e6, binary: false, exponent: 6 });
    expect(tsresolUnits(0x88)).toEqual({ units: 256, binary: true, exponent: 8 });
    expect(tsresolUnits(19)).toBeNull();
    expect(tsresolUnits(0x80 | 64)).toBeNull();
  });
});

describe('ticksHiLo', () => {
  it('splits sec * units + sub exactly', () => {
    const out = new Uint32Array(2);
    for (const [sec, units, sub] of [
      [0, 1e9, 0],
      [1600000000, 1e9, 123456789],
      [0xffffffff, 1e9, 999999999],
      [1600000000, 1e6, 123456],
      [65535, 1e9, 5],
      [65536, 1e9, 5],
    ] as const) {
      ticksHiLo(sec, units, sub, out);
      const want = BigInt(sec) * BigInt(units) + BigInt(sub);
      expect([out[0], out[1]]).toEqual([Number(want >> 32n), Number(want & 0xffffffffn)]);
    }
  });
});
