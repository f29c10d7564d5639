// Classic pcap reader on hand-written bytes: both byte orders, µs and ns magic, link types passed
// through, SLL/SLL2 packet type and ifindex, snaplen warnings, impossible lengths and truncation.

import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { fromHex } from '../../../src/util/bytes.js';
import { CaptureFormatError } from '../../../src/util/errors.js';
import { openCapture } from '../../../src/capture/open.js';
import { bytes, concat, pcapHeader, pcapRecord, readAll, readBytes, tempDir, thrown, writeTemp } from './build.js';

const dir = tempDir('pcap');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// little-endian, µs magic, snaplen 65535, Ethernet; two records
const LE_MICRO = fromHex(`
  d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000
  00105e5f 40e20100 04000000 3c000000 deadbeef
  01105e5f 3f420f00 02000000 02000000 cafe
`);

// big-endian, ns magic, snaplen 262144, LINKTYPE_RAW (101); one record
const BE_NANO = fromHex(`
  a1b23c4d 0002 0004 00000000 00000000 00040000 00000065
  5f5e1000 075bcd15 00000003 00000005 450000
`);

describe('pcap reader: file and record headers', () => {
  it('reads a little-endian microsecond file field by field', () => {
    const { records, cursor } = readBytes(dir, LE_MICRO);
    expect(cursor.format).toBe('pcap');
    expect(cursor.gzip).toBe(false);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      tsSec: 1600000000,
      tsNsec: 123456000,
      caplen: 4,
      origLen: 60,
      linkType: 1,
      interfaceId: 0,
      fileIndex: 0,
      recordIndex: 0,
      fileOffset: 24,
      direction: 0,
      pktType: -1,
      ifIndex: -1,
      comment: null,
      bytes: [0xde, 0xad, 0xbe, 0xef],
    });
    expect(records[1]).toMatchObject({ tsSec: 1600000001, tsNsec: 999999000, caplen: 2, origLen: 2, recordIndex: 1, fileOffset: 44, bytes: [0xca, 0xfe] });
    const ifs = cursor.interfaces();
    expect(ifs).toEqual([
      { id: 0, fileIndex: 0, section: 0, localId: 0, linkType: 1, snaplen: 65535, name: null, description: null, tsUnitsPerSec: 1e6, tsOffsetSec: 0 },
    ]);
    expect(cursor.warnings).toEqual([]);
  });

  it('reads a big-endian nanosecond file with a raw-IP link type', () => {
    const { records, cursor } = readBytes(dir, BE_NANO);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ tsSec: 1600000000, tsNsec: 123456789, caplen: 3, origLen: 5, linkType: 101, bytes: [0x45, 0, 0] });
    expect(cursor.interfaces()[0]).toMatchObject({ linkType: 101, snaplen: 262144, tsUnitsPerSec: 1e9 });
  });

  it('accepts little-endian ns and big-endian µs magic', () => {
    const le = readBytes(dir, concat(pcapHeader({ le: true, nano: true }), pcapRecord(true, 7, 999999999, bytes(3)))).records;
    expect(le[0]).toMatchObject({ tsSec: 7, tsNsec: 999999999, caplen: 3 });
    const be = readBytes(dir, concat(pcapHeader({ le: false }), pcapRecord(false, 7, 5, bytes(3)))).records;
    expect(be[0]).toMatchObject({ tsSec: 7, tsNsec: 5000, caplen: 3 });
  });

  it('carries an out-of-range fraction into the seconds', () => {
    const r = readBytes(dir, concat(pcapHeader(), pcapRecord(true, 10, 2500000, bytes(1)))).records;
    expect(r[0]).toMatchObject({ tsSec: 12, tsNsec: 500000000 });
  });

  it('passes every link type through, masking the FCS bits of the header field', () => {
    for (const lt of [0, 1, 12, 14, 101, 108, 228, 229, 239, 0xfff0]) {
      const { records } = readBytes(dir, concat(pcapHeader({ linkType: lt }), pcapRecord(true, 1, 0, bytes(20))));
      expect(records[0]!.linkType).toBe(lt);
    }
    // 0x14000001: FCS length 1 (4 bytes) present, link type Ethernet
    const { records } = readBytes(dir, concat(pcapHeader({ linkType: 0x14000001 }), pcapRecord(true, 1, 0, bytes(20))));
    expect(records[0]!.linkType).toBe(1);
  });

  it('reads a header-only file as zero records', () => {
    const { records } = readBytes(dir, pcapHeader());
    expect(records).toEqual([]);
  });
});

describe('pcap reader: Linux cooked captures', () => {
  it('takes the SLL packet type and derives the direction', () => {
    // SLL header: pkttype, ARPHRD_ETHER, addr len 6, address (8), protocol 0x0800
    const sll = (pkttype: number): Uint8Array => fromHex(`${pkttype.toString(16).padStart(4, '0')} 0001 0006 020000000001 0000 0800 45`);
    const data = concat(pcapHeader({ linkType: 113 }), ...[0, 1, 2, 3, 4, 7].map((t) => pcapRecord(true, 1, 0, sll(t))));
    const { records } = readBytes(dir, data);
    expect(records.map((r) => [r.pktType, r.direction, r.ifIndex])).toEqual([
      [0, 1, -1],
      [1, 1, -1],
      [2, 1, -1],
      [3, 1, -1],
      [4, 2, -1],
      [7, 0, -1],
    ]);
  });

  it('takes the SLL2 interface index and packet type', () => {
    // SLL2: protocol 0x0800, reserved, ifindex 7, ARPHRD_ETHER, pkttype, addr len 6, address (8)
    const sll2 = (pkttype: number): Uint8Array => fromHex(`0800 0000 00000007 0001 ${pkttype.toString(16).padStart(2, '0')} 06 0200000000010000 45`);
    const data = concat(pcapHeader({ linkType: 276 }), pcapRecord(true, 1, 0, sll2(4)), pcapRecord(true, 1, 0, sll2(0)), pcapRecord(true, 1, 0, fromHex('0800 0000 0000')));
    const { records } = readBytes(dir, data);
    expect(records.map((r) => [r.ifIndex, r.pktType, r.direction])).toEqual([
      [7, 4, 2],
      [7, 0, 1],
      [-1, -1, 0], // header cut short by the capture: nothing to take
    ]);
  });
});

describe('pcap reader: lengths and truncation', () => {
  it('accepts caplen above the snaplen with one counted warning', () => {
    const data = concat(pcapHeader({ snaplen: 4 }), pcapRecord(true, 1, 0, bytes(6)), pcapRecord(true, 2, 0, bytes(8)));
    const { records, cursor } = readBytes(dir, data);
    expect(records.map((r) => r.caplen)).toEqual([6, 8]);
    expect(cursor.warnings).toHaveLength(1);
    expect(cursor.warnings[0]).toMatchObject({ code: 'WARN_CAPTURE_CAPLEN_ABOVE_SNAPLEN', offset: 24, record: 0, count: 2 });
  });

  it('rejects caplen above 256 KiB with path, offset and record', () => {
    const data = concat(pcapHeader(), pcapRecord(true, 1, 0, bytes(2)), pcapRecord(true, 1, 0, bytes(0), 300000, 262145));
    const p = writeTemp(dir, data);
    const c = openCapture([p]);
    expect(c.next()).not.toBeNull();
    const e = thrown(() => c.next());
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect(e).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN_TOO_BIG', path: p, offset: 42, record: 1 });
    c.close();
  });

  it('accepts caplen of exactly 256 KiB', () => {
    const { records } = readBytes(dir, concat(pcapHeader({ snaplen: 262144 }), pcapRecord(true, 1, 0, bytes(262144))));
    expect(records[0]!.caplen).toBe(262144);
    expect(records[0]!.bytes[262143]).toBe((262143 * 31 + 7) & 0xff);
  });

  it('treats a cut final record as a warning and the end of the stream', () => {
    const whole = concat(pcapHeader(), pcapRecord(true, 1, 0, bytes(10)), pcapRecord(true, 2, 0, bytes(10)));
    for (const cut of [1, 5, 16, 20]) {
      const { records, cursor } = readBytes(dir, whole.subarray(0, whole.length - cut));
      expect(records).toHaveLength(1);
      expect(cursor.warnings).toHaveLength(1);
      expect(cursor.warnings[0]).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED_RECORD', offset: 50, record: 1 });
    }
  });

  it('makes a cut final record an error with strict', () => {
    const whole = concat(pcapHeader(), pcapRecord(true, 1, 0, bytes(10)), pcapRecord(true, 2, 0, bytes(10)));
    const p = writeTemp(dir, whole.subarray(0, whole.length - 3));
    const c = openCapture([p], { strict: true });
    expect(c.next()).not.toBeNull();
    expect(thrown(() => c.next())).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED_RECORD', path: p, offset: 50, record: 1 });
    c.close();
  });

  it('rejects a file header shorter than 24 bytes', () => {
    const p = writeTemp(dir, pcapHeader().subarray(0, 20));
    expect(thrown(() => openCapture([p]))).toMatchObject({ code: 'ERR_PCAP_TRUNCATED_HEADER', path: p, offset: 0 });
  });

  it('rejects versions libpcap does not read', () => {
    for (const [major, minor] of [[1, 0], [2, 5], [3, 4]] as const) {
      const p = writeTemp(dir, pcapHeader({ major, minor }));
      expect(thrown(() => openCapture([p]))).toMatchObject({ code: 'ERR_PCAP_BAD_VERSION' });
    }
    expect(readBytes(dir, concat(pcapHeader({ major: 2, minor: 2 }), pcapRecord(true, 1, 0, bytes(2)))).records).toHaveLength(1);
  });

  it('keeps record views valid while records straddle the buffer end', () => {
    // 64 KiB buffer, records of 1000..3000 bytes: many straddle the end and force compaction
    const recs: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) recs.push(pcapRecord(true, 1000 + i, i, bytes(1000 + ((i * 37) % 2000), i)));
    const p = writeTemp(dir, concat(pcapHeader(), ...recs));
    const got = readAll(openCapture([p], { chunkSize: 65536 }));
    expect(got).toHaveLength(300);
    let off = 24;
    for (let i = 0; i < 300; i++) {
      const n = 1000 + ((i * 37) % 2000);
      expect(got[i]!.tsSec).toBe(1000 + i);
      expect(got[i]!.fileOffset).toBe(off);
      expect(got[i]!.bytes).toEqual(Array.from(bytes(n, i)));
      off += 16 + n;
    }
  });

  it('grows the buffer for a record larger than it', () => {
    const big = bytes(200000, 3);
    const p = writeTemp(dir, concat(pcapHeader({ snaplen: 262144 }), pcapRecord(true, 1, 0, bytes(5)), pcapRecord(true, 2, 0, big)));
    const got = readAll(openCapture([p], { chunkSize: 65536 }));
    expect(got.map((r) => r.caplen)).toEqual([5, 200000]);
    expect(got[1]!.bytes).toEqual(Array.from(big));
  });
});
