// pcapng reader on hand-written bytes: sections in both byte orders, interfaces with their own link
// types and time resolutions, EPB / SPB / PB, options (flags, comments, names), skipped blocks, section
// versions, and every malformed-length path.

import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { fromHex } from '../../../src/util/bytes.js';
import { CaptureFormatError } from '../../../src/util/errors.js';
import { openCapture } from '../../../src/capture/open.js';
import {
  END_OPT,
  block,
  bytes,
  concat,
  epb,
  idb,
  opt,
  optStr,
  pb,
  readBytes,
  shb,
  spb,
  tempDir,
  thrown,
  u32,
  writeTemp,
} from './build.js';

const dir = tempDir('pcapng');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// SHB (LE, 1.0), IDB (Ethernet, snaplen 262144, default µs), EPB (if 0, 1600000000.123456, 3 of 3 bytes)
const LE_MIN = fromHex(`
  0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffff ffffffff 1c000000
  01000000 14000000 0100 0000 00000400 14000000
  06000000 24000000 00000000 31af0500 40e2a507 03000000 03000000 45000000 24000000
`);

// the same in big-endian, with if_tsresol 9 and a nanosecond timestamp
const BE_NS = fromHex(`
  0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffff ffffffff 0000001c
  00000001 00000020 0001 0000 00040000 0009 0001 09000000 0000 0000 00000020
  00000006 00000024 00000000 16345785 dffbcd15 00000003 00000003 45000000 00000024
`);

describe('pcapng reader: sections, interfaces, packets', () => {
  it('reads a minimal little-endian file field by field', () => {
    const { records, cursor } = readBytes(dir, LE_MIN);
    expect(cursor.format).toBe('pcapng');
    expect(records).toEqual([
      {
        tsSec: 1600000000,
        tsNsec: 123456000,
        caplen: 3,
        origLen: 3,
        linkType: 1,
        interfaceId: 0,
        ifIndex: -1,
        direction: 0,
        pktType: -1,
        fileIndex: 0,
        recordIndex: 0,
        fileOffset: 48,
        comment: null,
        bytes: [0x45, 0, 0],
      },
    ]);
    expect(cursor.interfaces()).toEqual([
      { id: 0, fileIndex: 0, section: 0, localId: 0, linkType: 1, snaplen: 262144, name: null, description: null, tsUnitsPerSec: 1e6, tsOffsetSec: 0 },
    ]);
  });

  it('reads a big-endian section with nanosecond resolution', () => {
    const { records, cursor } = readBytes(dir, BE_NS);
    expect(records[0]).toMatchObject({ tsSec: 1600000000, tsNsec: 123456789, caplen: 3, bytes: [0x45, 0, 0] });
    expect(cursor.interfaces()[0]).toMatchObject({ tsUnitsPerSec: 1e9 });
  });

  it('applies binary if_tsresol (2^-8) and if_tsoffset', () => {
    for (const le of [true, false]) {
      const tsoff = le ? concat(u32(100, true), u32(0, true)) : concat(u32(0, false), u32(100, false));
      const data = concat(
        shb(le),
        idb(le, 1, 0, concat(opt(9, Uint8Array.of(0x88), le), opt(14, tsoff, le), END_OPT)),
        epb(le, 0, 0x5a, 0x8c0dc032, bytes(4)),
      );
      const { records, cursor } = readBytes(dir, data);
      // 0x5a8c0dc032 / 256 = 1519128000 + 50/256 s; plus 100 s of if_tsoffset
      expect(records[0]).toMatchObject({ tsSec: 1519128100, tsNsec: 195312500 });
      expect(cursor.interfaces()[0]).toMatchObject({ tsUnitsPerSec: 256, tsOffsetSec: 100, snaplen: 0 });
    }
  });

  it('reads if_name, if_description, epb_flags direction and opt_comment', () => {
    const le = true;
    const flags = (d: number): Uint8Array => opt(2, u32(d, le), le);
    const data = concat(
      shb(le),
      idb(le, 113, 65535, concat(optStr(2, 'eth0', le), optStr(3, 'uplink ✓', le), END_OPT)),
      epb(le, 0, 0, 1, fromHex('0004 0001 0006 020000000001 0000 0800'), 16, concat(flags(1), optStr(1, 'first', le), optStr(1, 'second', le), END_OPT)),
      epb(le, 0, 0, 2, fromHex('0000 0001 0006 020000000001 0000 0800'), 16, concat(flags(2), END_OPT)),
      epb(le, 0, 0, 3, fromHex('0004 0001 0006 020000000001 0000 0800')),
      epb(le, 0, 0, 4, fromHex('0000 0001 0006 020000000001 0000 0800'), 16, concat(flags(3), END_OPT)),
    );
    const { records, cursor } = readBytes(dir, data);
    expect(cursor.interfaces()[0]).toMatchObject({ name: 'eth0', description: 'uplink ✓', linkType: 113 });
    // flags win over the SLL packet type; without flags (or with the invalid value 3) SLL decides
    expect(records.map((r) => [r.direction, r.pktType, r.comment])).toEqual([
      [1, 4, 'first'],
      [2, 0, null],
      [2, 4, null],
      [1, 0, null],
    ]);
  });

  it('numbers interfaces uniquely across sections while ids restart per section', () => {
    const data = concat(
      shb(true),
      idb(true, 1, 0),
      idb(true, 0, 0),
      epb(true, 1, 0, 10, bytes(4)),
      shb(false),
      idb(false, 101, 0),
      epb(false, 0, 0, 20, bytes(5)),
      shb(true),
      idb(true, 1, 0),
      idb(true, 276, 0),
      epb(true, 1, 0, 30, bytes(6)),
      epb(true, 0, 0, 40, bytes(7)),
    );
    const { records, cursor } = readBytes(dir, data);
    expect(records.map((r) => [r.interfaceId, r.linkType, r.caplen, r.tsNsec])).toEqual([
      [1, 0, 4, 10000],
      [2, 101, 5, 20000],
      [4, 276, 6, 30000],
      [3, 1, 7, 40000],
    ]);
    expect(cursor.interfaces().map((i) => [i.id, i.section, i.localId, i.linkType])).toEqual([
      [0, 0, 0, 1],
      [1, 0, 1, 0],
      [2, 1, 0, 101],
      [3, 2, 0, 1],
      [4, 2, 1, 276],
    ]);
  });

  it('reads simple packet blocks (snaplen-bounded, previous timestamp) and obsolete packet blocks', () => {
    const le = false;
    const data = concat(
      shb(le),
      idb(le, 1, 6),
      epb(le, 0, 0, 7, bytes(4)),
      spb(le, 10, bytes(10)),
      spb(le, 3, bytes(3)),
      pb(le, 0, 0, 9, bytes(5), 50, concat(opt(2, u32(2, le), le), optStr(1, 'pb', le), END_OPT)),
    );
    const { records } = readBytes(dir, data);
    expect(records.map((r) => [r.caplen, r.origLen, r.tsNsec, r.direction, r.comment, r.recordIndex])).toEqual([
      [4, 4, 7000, 0, null, 0],
      [6, 10, 7000, 0, null, 1],
      [3, 3, 7000, 0, null, 2],
      [5, 50, 9000, 2, 'pb', 3],
    ]);
    expect(records[1]!.bytes).toEqual(Array.from(bytes(6)));
  });

  it('skips NRB, ISB, DSB, custom and unknown blocks', () => {
    const le = true;
    const data = concat(
      shb(le),
      block(4, concat(opt(1, fromHex('c0a80001 6c6f63616c00'), le), END_OPT), le), // NRB
      idb(le, 1, 0),
      block(5, concat(u32(0, le), u32(0, le), u32(0, le)), le), // ISB
      block(0x0bad, concat(u32(32473, le), bytes(8)), le), // custom, copiable
      block(0x40000bad, concat(u32(32473, le), bytes(4)), le), // custom, do not copy
      block(0x0a, concat(u32(0x544c534b, le), u32(4, le), bytes(4)), le), // DSB
      block(0x12345678, bytes(20), le), // unknown
      epb(le, 0, 0, 1, bytes(8)),
    );
    const { records, cursor } = readBytes(dir, data);
    expect(records.map((r) => r.caplen)).toEqual([8]);
    expect(cursor.warnings).toEqual([]);
  });

  it('skips a section of unknown version with a warning, and stops on it with strict', () => {
    const data = concat(shb(true), idb(true, 1, 0), epb(true, 0, 0, 1, bytes(4)), shb(true, END_OPT, 2, 0), idb(true, 1, 0), epb(true, 0, 0, 2, bytes(5)), shb(true), idb(true, 1, 0), epb(true, 0, 0, 3, bytes(6)));
    const { records, cursor } = readBytes(dir, data);
    expect(records.map((r) => r.caplen)).toEqual([4, 6]);
    expect(cursor.warnings).toMatchObject([{ code: 'ERR_PCAPNG_UNSUPPORTED_VERSION', record: 1 }]);
    const c = openCapture([writeTemp(dir, data)], { strict: true });
    expect(c.next()!.caplen).toBe(4);
    expect(thrown(() => c.next())).toMatchObject({ code: 'ERR_PCAPNG_UNSUPPORTED_VERSION', record: 1 });
    c.close();
  });
});

describe('pcapng reader: malformed input', () => {
  const shbIdb = concat(shb(true), idb(true, 1, 0));

  function errorOf(data: Uint8Array, strict = false): Error & { code?: string; offset?: number; record?: number; path?: string } {
    const p = writeTemp(dir, data);
    const e = thrown(() => {
      const c = openCapture([p], { strict });
      try {
        while (c.next() !== null);
      } finally {
        c.close();
      }
    });
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect(e.path).toBe(p);
    return e;
  }

  it('rejects a trailing block length that differs from the leading one', () => {
    const bad = epb(true, 0, 0, 1, bytes(4));
    bad[bad.length - 4] = 0x30;
    expect(errorOf(concat(shbIdb, bad))).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_LENGTH', offset: 48, record: 0 });
  });

  it('rejects block lengths below 12 or not a multiple of 4', () => {
    expect(errorOf(concat(shbIdb, u32(6, true), u32(8, true), u32(8, true)))).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_LENGTH', offset: 48 });
    expect(errorOf(concat(shbIdb, u32(6, true), u32(34, true), new Uint8Array(40)))).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_LENGTH' });
  });

  it('rejects packet blocks too short for their fixed part or their data', () => {
    // EPB of 28 bytes (no room for the lengths)
    expect(errorOf(concat(shbIdb, block(6, new Uint8Array(16), true)))).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_LENGTH' });
    // EPB claiming 100 captured bytes in a 40-byte block
    const b = epb(true, 0, 0, 1, bytes(8));
    b.set(u32(100, true), 20);
    expect(errorOf(concat(shbIdb, b))).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_LENGTH', offset: 48 });
  });

  it('rejects a packet naming an interface never described', () => {
    expect(errorOf(concat(shbIdb, epb(true, 0, 0, 1, bytes(4)), epb(true, 1, 0, 1, bytes(4))))).toMatchObject({
      code: 'ERR_PCAPNG_UNKNOWN_INTERFACE',
      offset: 84,
      record: 1,
    });
    expect(errorOf(concat(shb(true), spb(true, 4, bytes(4))))).toMatchObject({ code: 'ERR_PCAPNG_UNKNOWN_INTERFACE' });
    // interface ids restart with each section
    expect(errorOf(concat(shbIdb, shb(true), epb(true, 0, 0, 1, bytes(4))))).toMatchObject({ code: 'ERR_PCAPNG_UNKNOWN_INTERFACE' });
  });

  it('rejects caplen above 256 KiB', () => {
    const b = epb(true, 0, 0, 1, bytes(4));
    b.set(u32(262145, true), 20);
    expect(errorOf(concat(shbIdb, b))).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN_TOO_BIG', offset: 48 });
  });

  it('warns about caplen above the interface snaplen', () => {
    const { records, cursor } = readBytes(dir, concat(shb(true), idb(true, 1, 2), epb(true, 0, 0, 1, bytes(4))));
    expect(records[0]!.caplen).toBe(4);
    expect(cursor.warnings).toMatchObject([{ code: 'WARN_CAPTURE_CAPLEN_ABOVE_SNAPLEN', offset: 48, record: 0 }]);
  });

  it('rejects an option running past its block', () => {
    const idbBad = idb(true, 1, 0, concat(optStr(2, 'eth0', true), END_OPT));
    idbBad.set(Uint8Array.of(0x40, 0), 18); // if_name length 64
    expect(errorOf(concat(shb(true), idbBad))).toMatchObject({ code: 'ERR_PCAPNG_OPTION_LENGTH', offset: 28 });
    const e = epb(true, 0, 0, 1, bytes(4), 4, concat(optStr(1, 'hi', true), END_OPT));
    e.set(Uint8Array.of(0xff, 0), 34);
    expect(errorOf(concat(shbIdb, e))).toMatchObject({ code: 'ERR_PCAPNG_OPTION_LENGTH', offset: 48, record: 0 });
  });

  it('rejects an unrepresentable if_tsresol', () => {
    expect(errorOf(concat(shb(true), idb(true, 1, 0, concat(opt(9, Uint8Array.of(19), true), END_OPT))))).toMatchObject({ code: 'ERR_PCAPNG_BAD_TSRESOL' });
    expect(errorOf(concat(shb(true), idb(true, 1, 0, concat(opt(9, Uint8Array.of(0x80 | 64), true), END_OPT))))).toMatchObject({ code: 'ERR_PCAPNG_BAD_TSRESOL' });
  });

  it('rejects a bad byte-order magic and an incomplete first section header', () => {
    const bad = shb(true);
    bad.set(fromHex('01020304'), 8);
    expect(errorOf(bad)).toMatchObject({ code: 'ERR_PCAPNG_BAD_BYTE_ORDER', offset: 0 });
    expect(errorOf(shb(true).subarray(0, 20))).toMatchObject({ code: 'ERR_PCAPNG_TRUNCATED_HEADER', offset: 0 });
  });

  it('treats a cut final block as a warning and the end, or an error with strict', () => {
    const whole = concat(shbIdb, epb(true, 0, 0, 1, bytes(4)), epb(true, 0, 0, 2, bytes(40)));
    for (const cut of [1, 30, 70]) {
      const { records, cursor } = readBytes(dir, whole.subarray(0, whole.length - cut));
      expect(records).toHaveLength(1);
      expect(cursor.warnings).toMatchObject([{ code: 'ERR_CAPTURE_TRUNCATED_RECORD', offset: 84, record: 1 }]);
      expect(errorOf(whole.subarray(0, whole.length - cut), true)).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED_RECORD', offset: 84, record: 1 });
    }
  });

  it('rejects packet blocks larger than 16 MiB and reads through other huge blocks', () => {
    const huge = concat(u32(6, true), u32(17 * 1024 * 1024, true), new Uint8Array(64));
    expect(errorOf(concat(shbIdb, huge))).toMatchObject({ code: 'ERR_PCAPNG_BLOCK_TOO_BIG', offset: 48 });
    const bigUnknown = block(0x1234, new Uint8Array(17 * 1024 * 1024), true);
    const { records } = readBytes(dir, concat(shbIdb, bigUnknown, epb(true, 0, 0, 1, bytes(4))));
    expect(records.map((r) => r.caplen)).toEqual([4]);
  });
});
