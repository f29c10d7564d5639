// gzip-compressed captures: inflated transparently (node:zlib's gzip as the independent compressor),
// multi-member streams, truncated and corrupt streams, bounded memory through the ring (a stream much
// larger than the ring), and workers that stop and release their descriptors when a cursor closes.

import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { CaptureFormatError } from '../../../src/util/errors.js';
import { openCapture } from '../../../src/capture/open.js';
import { bytes, concat, epb, idb, pcapHeader, pcapRecord, readAll, readBytes, shb, tempDir, thrown, writeTemp } from './build.js';

const dir = tempDir('gzip');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function samplePcap(records: number, size = 100): Uint8Array {
  const parts = [pcapHeader({ snaplen: 262144 })];
  for (let i = 0; i < records; i++) parts.push(pcapRecord(true, 1000 + i, i, bytes(size + (i % 50), i)));
  return concat(...parts);
}

describe('gzip captures', () => {
  it('reads a gzip pcap exactly like the plain file', () => {
    const plain = samplePcap(500);
    const expected = readBytes(dir, plain).records;
    const p = writeTemp(dir, zlib.gzipSync(plain), 'a.pcap.gz');
    const c = openCapture([p]);
    expect(c.gzip).toBe(true);
    expect(c.format).toBe('pcap');
    const got = readAll(c);
    expect(got).toEqual(expected);
    expect(got[1]!.fileOffset).toBe(24 + 16 + 100); // offsets are in the inflated file
    expect(c.progress()).toEqual({ bytes: fs.statSync(p).size, total: fs.statSync(p).size });
  });

  it('reads gzip pcapng and multi-member gzip streams', () => {
    const ng = concat(shb(true), idb(true, 1, 0), epb(true, 0, 0, 5, bytes(70)), epb(true, 0, 0, 6, bytes(80)));
    const expected = readBytes(dir, ng).records;
    expect(readBytes(dir, zlib.gzipSync(ng)).records).toEqual(expected);
    // two gzip members, split inside a block
    expect(readBytes(dir, concat(zlib.gzipSync(ng.subarray(0, 60)), zlib.gzipSync(ng.subarray(60)))).records).toEqual(expected);
  });

  it('streams far more data than the ring holds, with exact bytes', () => {
    // ~40 MiB inflated through a 2 MiB ring
    const plain = samplePcap(40000, 1000);
    const gz = zlib.gzipSync(plain, { level: 1 });
    const c = openCapture([writeTemp(dir, gz)]);
    let n = 0;
    let sum = 0;
    for (let r = c.next(); r !== null; r = c.next()) {
      for (let i = r.offset; i < r.offset + r.caplen; i += 97) sum = (sum + r.data[i]! * (i - r.offset + 1)) % 1000000007;
      n++;
    }
    c.close();
    let want = 0;
    for (let i = 0; i < 40000; i++) {
      const b = bytes(1000 + (i % 50), i);
      for (let j = 0; j < b.length; j += 97) want = (want + b[j]! * (j + 1)) % 1000000007;
    }
    expect(n).toBe(40000);
    expect(sum).toBe(want);
  });

  it('ends a truncated gzip stream with a warning, or an error with strict', () => {
    const plain = samplePcap(2000);
    const gz = zlib.gzipSync(plain);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const { records, cursor } = readBytes(dir, cut);
    expect(records.length).toBeGreaterThan(100);
    expect(records.length).toBeLessThan(2000);
    const expected = readBytes(dir, plain).records.slice(0, records.length);
    expect(records).toEqual(expected);
    expect(cursor.warnings).toHaveLength(1);
    expect(cursor.warnings[0]!.code).toBe('ERR_GZIP_TRUNCATED');
    const p = writeTemp(dir, cut);
    const e = thrown(() => readAll(openCapture([p], { strict: true })));
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect(e).toMatchObject({ code: 'ERR_GZIP_TRUNCATED', path: p });
    expect(e.record).toBe(records.length);
  });

  it('rejects corrupt deflate data and a bad CRC', () => {
    const plain = samplePcap(300);
    const gz = zlib.gzipSync(plain);
    const crc = Uint8Array.from(gz);
    crc[crc.length - 6] ^= 0xff;
    expect(thrown(() => readAll(openCapture([writeTemp(dir, crc)])))).toMatchObject({ code: 'ERR_GZIP_CORRUPT' });
    const flipped = Uint8Array.from(gz);
    flipped[200] ^= 0x55;
    const e = thrown(() => readAll(openCapture([writeTemp(dir, flipped)])));
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect(['ERR_GZIP_CORRUPT', 'ERR_CAPTURE_CAPLEN_TOO_BIG', 'ERR_PCAP_BAD_VERSION', 'ERR_CAPTURE_BAD_MAGIC']).toContain(e.code);
  });

  it('reports an empty or header-only gzip stream clearly', () => {
    const empty = writeTemp(dir, zlib.gzipSync(new Uint8Array(0)));
    expect(thrown(() => openCapture([empty]))).toMatchObject({ code: 'ERR_CAPTURE_EMPTY', path: empty });
    const magicOnly = writeTemp(dir, Uint8Array.of(0x1f, 0x8b));
    expect(thrown(() => openCapture([magicOnly]))).toMatchObject({ code: 'ERR_GZIP_TRUNCATED', path: magicOnly });
    const notGzip = writeTemp(dir, Uint8Array.of(0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3));
    expect(thrown(() => openCapture([notGzip]))).toMatchObject({ code: 'ERR_GZIP_CORRUPT', path: notGzip });
  });

  it('stops its worker and closes the descriptor when a cursor is closed early', async () => {
    const p = writeTemp(dir, zlib.gzipSync(samplePcap(30000, 1000), { level: 1 }));
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 8; i++) {
      const c = openCapture([p]);
      expect(c.next()).not.toBeNull();
      c.close();
      expect(c.next()).toBeNull();
    }
    const deadline = Date.now() + 5000;
    while (fds() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fds()).toBeLessThanOrEqual(before);
  });
});
