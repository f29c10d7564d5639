// Writer -> reader round trips over random packets (pcap in both byte orders and resolutions; pcapng with
// several interfaces, directions and comments), and exact tick conversions against BigInt arithmetic.

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCapture } from '../../src/capture/open.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';
import { TsConverter, ticksHiLo } from '../../src/capture/timestamp.js';
import { newRecord } from '../../src/capture/reader-base.js';
import { readAll, tempDir } from '../unit/capture/build.js';

const dir = tempDir('roundtrip');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const packet = fc.record({
  sec: fc.nat({ max: 0xffffffff }),
  nsec: fc.nat({ max: 999999999 }),
  data: fc.uint8Array({ maxLength: 300, size: 'medium' }),
  extra: fc.nat({ max: 2000 }),
  iface: fc.nat({ max: 2 }),
  direction: fc.constantFrom(0, 1, 2),
  comment: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
});

describe('writer -> reader round trips', () => {
  it('pcap keeps timestamps (to the file resolution), lengths and bytes', () => {
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), fc.boolean(), fc.boolean(), (pkts, nanosecond, bigEndian) => {
        const p = path.join(dir, 'rt.pcap');
        const w = new PcapWriter(p, { linkType: 1, nanosecond, bigEndian });
        for (const k of pkts) w.writePacket(k.data, 0, k.data.length, k.data.length + k.extra, k.sec, k.nsec);
        w.close();
        const got = readAll(openCapture([p]));
        expect(got.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.origLen, r.bytes])).toEqual(
          pkts.map((k) => [k.sec, nanosecond ? k.nsec : Math.floor(k.nsec / 1000) * 1000, k.data.length, k.data.length + k.extra, Array.from(k.data)]),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('pcapng keeps interfaces, directions, comments, timestamps and bytes', () => {
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 20 }), (pkts) => {
        const p = path.join(dir, 'rt.pcapng');
        const w = new PcapngWriter(p, {
          interfaces: [
            { linkType: 1, name: 'eth0' },
            { linkType: 101, name: 'tun0', tsResolution: 'us' },
            { linkType: 0, name: 'lo' },
          ],
        });
        for (const k of pkts) w.writePacket(k.iface, k.data, 0, k.data.length, k.data.length + k.extra, k.sec, k.nsec, k.direction, k.comment);
        w.close();
        const got = readAll(openCapture([p]));
        expect(got.map((r) => [r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.caplen, r.origLen, r.direction, r.comment, r.bytes])).toEqual(
          pkts.map((k) => [
            k.iface,
            [1, 101, 0][k.iface],
            k.sec,
            k.iface === 1 ? Math.floor(k.nsec / 1000) * 1000 : k.nsec,
            k.data.length,
            k.data.length + k.extra,
            k.direction,
            k.comment,
            Array.from(k.data),
          ]),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('64-bit tick arithmetic', () => {
  it('TsConverter equals BigInt division for every resolution', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat({ max: 18 }), fc.nat({ max: 63 }), fc.boolean(), (ticks, dexp, bexp, binary) => {
        const exponent = binary ? bexp : dexp;
        const units = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
        fc.pre(ticks / units < 1n << 53n); // seconds must be exact numbers
        const rec = newRecord();
        new TsConverter(exponent, binary, 0).convert(Number(ticks >> 32n), Number(ticks & 0xffffffffn), rec);
        expect([rec.tsSec, rec.tsNsec]).toEqual([Number(ticks / units), Number(((ticks % units) * 1000000000n) / units)]);
      }),
      { numRuns: 5000 },
    );
  });

  it('ticksHiLo equals BigInt multiplication', () => {
    const out = new Uint32Array(2);
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.constantFrom(1e6, 1e9), fc.nat({ max: 999999999 }), (sec, units, subRaw) => {
        const sub = subRaw % units;
        ticksHiLo(sec, units, sub, out);
        const want = BigInt(sec) * BigInt(units) + BigInt(sub);
        expect([out[0], out[1]]).toEqual([Number(want >> 32n), Number(want & 0xffffffffn)]);
      }),
      { numRuns: 5000 },
    );
  });
});
