// Several files as one stream: timestamp order with ties broken by file order, each file's own order
// kept, fileIndex / interface ids unique across files, and per-file warnings and errors.

import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { openCapture } from '../../../src/capture/open.js';
import { bytes, concat, epb, idb, pcapHeader, pcapRecord, readAll, shb, tempDir, thrown, writeTemp } from './build.js';

const dir = tempDir('merge');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('merged cursor', () => {
  // file 0: pcap µs, t = 1.000001, 3.000000, 5.000000
  const f0 = concat(pcapHeader(), pcapRecord(true, 1, 1, bytes(10)), pcapRecord(true, 3, 0, bytes(11)), pcapRecord(true, 5, 0, bytes(12)));
  // file 1: pcapng, two interfaces (ns), t = 1.000001000 (tie with file 0), 2.5, 5.0 (tie), 6
  const ns = (s: number, nsec: number): [number, number] => {
    const v = BigInt(s) * 1000000000n + BigInt(nsec);
    return [Number(v >> 32n), Number(v & 0xffffffffn)];
  };
  const tsres = Uint8Array.of(9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0);
  const f1 = concat(
    shb(true),
    idb(true, 1, 0, tsres),
    idb(true, 113, 0, tsres),
    epb(true, 0, ...ns(1, 1000), bytes(20)),
    epb(true, 1, ...ns(2, 500000000), bytes(21)),
    epb(true, 0, ...ns(5, 0), bytes(22)),
    epb(true, 1, ...ns(6, 0), bytes(23)),
  );
  // file 2: big-endian ns pcap, gzip-compressed, t = 0.5, 5.0 (tie), 4.0 (out of order within the file)
  const f2 = concat(pcapHeader({ le: false, nano: true, linkType: 101 }), pcapRecord(false, 0, 500000000, bytes(30)), pcapRecord(false, 5, 0, bytes(31)), pcapRecord(false, 4, 0, bytes(32)));

  it('orders by timestamp, ties by file order, keeping each file in its own order', () => {
    const paths = [writeTemp(dir, f0), writeTemp(dir, f1), writeTemp(dir, zlib.gzipSync(f2))];
    const c = openCapture(paths);
    expect(c.format).toBe('merged');
    expect(c.gzip).toBe(true);
    const got = readAll(c).map((r) => [r.fileIndex, r.recordIndex, r.tsSec, r.tsNsec, r.caplen, r.interfaceId, r.linkType]);
    expect(got).toEqual([
      [2, 0, 0, 500000000, 30, 3, 101],
      [0, 0, 1, 1000, 10, 0, 1],
      [1, 0, 1, 1000, 20, 1, 1],
      [1, 1, 2, 500000000, 21, 2, 113],
      [0, 1, 3, 0, 11, 0, 1],
      [0, 2, 5, 0, 12, 0, 1],
      [1, 2, 5, 0, 22, 1, 1],
      [2, 1, 5, 0, 31, 3, 101],
      [2, 2, 4, 0, 32, 3, 101], // file 2's own order is kept: 4.0 comes after its 5.0
      [1, 3, 6, 0, 23, 2, 113],
    ]);
    expect(c.interfaces().map((i) => [i.id, i.fileIndex, i.section, i.localId, i.linkType])).toEqual([
      [0, 0, 0, 0, 1],
      [1, 1, 0, 0, 1],
      [2, 1, 0, 1, 113],
      [3, 2, 0, 0, 101],
    ]);
    const total = paths.reduce((a, p) => a + fs.statSync(p).size, 0);
    expect(c.progress()).toEqual({ bytes: total, total });
  });

  it('hands out records that stay valid until the next call', () => {
    const c = openCapture([writeTemp(dir, f0), writeTemp(dir, f1)]);
    const a = c.next()!;
    const aBytes = Array.from(a.data.subarray(a.offset, a.offset + a.caplen));
    expect(aBytes).toEqual(Array.from(bytes(10)));
    const b = c.next()!;
    expect(Array.from(b.data.subarray(b.offset, b.offset + b.caplen))).toEqual(Array.from(bytes(20)));
    c.close();
  });

  it('keeps per-file warnings and goes on with the other files after a truncated one', () => {
    const cut = f0.subarray(0, f0.length - 5);
    const p0 = writeTemp(dir, cut);
    const c = openCapture([p0, writeTemp(dir, f1)]);
    const got = readAll(c);
    expect(got.filter((r) => r.fileIndex === 0)).toHaveLength(2);
    expect(got.filter((r) => r.fileIndex === 1)).toHaveLength(4);
    expect(c.warnings).toMatchObject([{ code: 'ERR_CAPTURE_TRUNCATED_RECORD', path: p0, record: 2 }]);
  });

  it('fails with the path of the bad file and releases the others', () => {
    const bad = writeTemp(dir, new TextEncoder().encode('not a capture at all'));
    expect(thrown(() => openCapture([writeTemp(dir, f0), bad]))).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC', path: bad });
    const badLater = writeTemp(dir, concat(pcapHeader(), pcapRecord(true, 9, 0, bytes(4), 4, 300000)));
    const c = openCapture([writeTemp(dir, f0), badLater]);
    expect(thrown(() => readAll(c))).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN_TOO_BIG', path: badLater, record: 0 });
  });
});
