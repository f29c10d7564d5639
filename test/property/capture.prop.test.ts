// Hostile input never crashes, hangs or balloons the capture readers: random files behind every magic,
// and valid pcap / pcapng / gzip files mutated by bit flips, truncations, corrupted length fields and
// spliced bytes. Each case must end (a bounded number of records), throw nothing but
// CaptureFormatError, and hand out records that stay inside their buffer and the 256 KiB limit.

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { CaptureFormatError } from '../../src/util/errors.js';
import { MAX_CAPLEN } from '../../src/capture/errors.js';
import { openCapture } from '../../src/capture/open.js';
import { concat, epb, idb, opt, optStr, pcapHeader, pcapRecord, pb, shb, spb, tempDir, u32, writeTemp, END_OPT } from '../unit/capture/build.js';

const dir = tempDir('prop');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Largest buffer a reader may hold: the 4 MiB default grown for at most one 16 MiB block, doubled. */
const MAX_BUFFER = 32 * 1024 * 1024;

/** Outcomes seen by the current property (error codes, 'records', 'empty'): shows the cases reach the parsers. */
const seen = new Set<string>();

interface Outcome {
  records: number;
  error: unknown;
}

/** Read a file to the end under the invariants; returns how it ended. */
function exercise(data: Uint8Array, strict: boolean): Outcome {
  const p = writeTemp(dir, data, 'case.bin');
  let records = 0;
  try {
    const c = openCapture([p], { strict, chunkSize: 65536 });
    try {
      // every record consumes at least 12 bytes of the (uncompressed) file: a bound on the loop
      const limit = (data.length < 64 ? 64 : data.length) * (c.gzip ? 1100 : 1);
      let lastOffset = -1;
      for (let r = c.next(); r !== null; r = c.next()) {
        records++;
        expect(records).toBeLessThanOrEqual(limit);
        expect(r.caplen).toBeGreaterThanOrEqual(0);
        expect(r.caplen).toBeLessThanOrEqual(MAX_CAPLEN);
        expect(r.offset).toBeGreaterThanOrEqual(0);
        expect(r.offset + r.caplen).toBeLessThanOrEqual(r.data.length);
        expect(r.data.length).toBeLessThanOrEqual(MAX_BUFFER);
        expect(r.fileOffset).toBeGreaterThan(lastOffset);
        expect(Number.isFinite(r.tsSec) && Number.isInteger(r.tsNsec) && r.tsNsec >= 0 && r.tsNsec < 1e9).toBe(true);
        lastOffset = r.fileOffset;
      }
      expect(c.warnings.length).toBeLessThanOrEqual(64);
      expect(c.next()).toBeNull();
    } finally {
      c.close();
    }
    seen.add(records > 0 ? 'records' : 'empty');
    return { records, error: null };
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    seen.add(e.code);
    expect(typeof e.code).toBe('string');
    expect(e.path).toBe(p);
    return { records, error: e };
  }
}

// --- valid files to mutate -------------------------------------------------------------------------

const frame = fc.uint8Array({ minLength: 0, maxLength: 200, size: 'medium' });

const pcapFile = fc
  .record({
    le: fc.boolean(),
    nano: fc.boolean(),
    snaplen: fc.constantFrom(0, 64, 65535, 262144),
    linkType: fc.constantFrom(0, 1, 101, 113, 276),
    recs: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 999999 }), frame), { maxLength: 12, size: 'medium' }),
  })
  .map(({ le, nano, snaplen, linkType, recs }) =>
    concat(pcapHeader({ le, nano, snaplen, linkType }), ...recs.map(([s, f, d]) => pcapRecord(le, s, f, d, d.length + 3))),
  );

const pcapngFile = fc
  .record({
    le: fc.boolean(),
    sections: fc.array(
      fc.record({
        ifaces: fc.array(fc.tuple(fc.constantFrom(1, 113, 276, 101), fc.constantFrom(0, 64, 262144), fc.constantFrom(6, 9, 0x88)), {
          minLength: 1,
          maxLength: 3,
        }),
        pkts: fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat(), fc.nat(), frame, fc.constantFrom(0, 1, 2, 3)), { maxLength: 6, size: 'medium' }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ le, sections }) => {
    const parts: Uint8Array[] = [];
    for (const s of sections) {
      parts.push(shb(le, concat(optStr(1, 'fuzz', le), END_OPT)));
      for (const [lt, snap, res] of s.ifaces) parts.push(idb(le, lt, snap, concat(optStr(2, 'if', le), opt(9, Uint8Array.of(res), le), END_OPT)));
      for (const [i, hi, lo, d, kind] of s.pkts) {
        const ifId = i % s.ifaces.length;
        if (kind === 0) parts.push(epb(le, ifId, hi, lo, d, d.length, concat(opt(2, u32(1, le), le), optStr(1, 'c', le), END_OPT)));
        else if (kind === 1) parts.push(spb(le, d.length, d));
        else if (kind === 2) parts.push(pb(le, ifId, hi, lo, d));
        else parts.push(epb(le, ifId, hi, lo, d));
      }
    }
    return concat(...parts);
  });

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; at: number; value: number }
  | { kind: 'splice'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('length' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(0, 1, 3, 11, 12, 16, 0x7fffffff, 0xffffffff, 262145, 16 * 1024 * 1024 + 4), fc.nat()),
  }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
);

function mutate(data: Uint8Array, muts: Mutation[]): Uint8Array {
  let d = Uint8Array.from(data);
  for (const m of muts) {
    if (d.length === 0) break;
    const at = m.at % d.length;
    if (m.kind === 'flip') d[at] = d[at]! ^ (1 << m.bit);
    else if (m.kind === 'truncate') d = d.subarray(0, at);
    else if (m.kind === 'length') {
      // length fields sit at 4-byte boundaries in both formats
      const o = at & ~3;
      if (o + 4 <= d.length) new DataView(d.buffer, d.byteOffset).setUint32(o, m.value >>> 0, (m.value & 1) === 0);
    } else d = concat(d.subarray(0, at), m.bytes, d.subarray(at));
  }
  return d;
}

describe('capture readers on hostile input', () => {
  beforeEach(() => seen.clear());

  it('survive random bytes behind every magic', () => {
    // bare magics, and whole valid file headers (so that the random part is parsed as records / blocks)
    const magic = fc.constantFrom(
      Uint8Array.of(),
      Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1),
      Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a),
      pcapHeader({ le: true }),
      pcapHeader({ le: false, nano: true, snaplen: 0 }),
      pcapHeader({ le: true, linkType: 276 }),
      shb(true),
      shb(false),
      concat(shb(true), idb(true, 1, 0)),
      concat(shb(false), idb(false, 113, 64), idb(false, 1, 0)),
    );
    fc.assert(
      fc.property(magic, fc.uint8Array({ maxLength: 600, size: 'max' }), fc.boolean(), (m, rest, strict) => {
        exercise(concat(m, rest), strict);
      }),
      { numRuns: 1500 },
    );
    expect([...seen]).toEqual(expect.arrayContaining(['ERR_CAPTURE_CAPLEN_TOO_BIG', 'ERR_PCAPNG_BLOCK_LENGTH', 'ERR_CAPTURE_BAD_MAGIC']));
  });

  it('survive mutated pcap files', () => {
    fc.assert(
      fc.property(pcapFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (file, muts, strict) => {
        exercise(mutate(file, muts), strict);
      }),
      { numRuns: 1500 },
    );
    expect([...seen]).toEqual(expect.arrayContaining(['records', 'ERR_CAPTURE_TRUNCATED_RECORD', 'ERR_CAPTURE_CAPLEN_TOO_BIG']));
  });

  it('survive mutated pcapng files', () => {
    fc.assert(
      fc.property(pcapngFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), (file, muts, strict) => {
        exercise(mutate(file, muts), strict);
      }),
      { numRuns: 1500 },
    );
    expect([...seen]).toEqual(expect.arrayContaining(['records', 'ERR_CAPTURE_TRUNCATED_RECORD', 'ERR_PCAPNG_BLOCK_LENGTH', 'ERR_PCAPNG_UNKNOWN_INTERFACE']));
  });

  it('read every unmutated generated file completely', () => {
    fc.assert(
      fc.property(fc.oneof(pcapFile, pcapngFile), (file) => {
        expect(exercise(file, true).error).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('survive mutated gzip streams', () => {
    fc.assert(
      fc.property(fc.oneof(pcapFile, pcapngFile), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (file, muts, strict) => {
        exercise(mutate(zlib.gzipSync(file), muts), strict);
      }),
      { numRuns: 150 },
    );
    expect([...seen]).toEqual(expect.arrayContaining(['records', 'ERR_GZIP_CORRUPT']));
  });
});
