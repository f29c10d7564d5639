// Bounded memory: a 10 GiB pcap stream (generated on the fly, never stored) is read through the real
// reader in under 256 MiB of resident memory, and a gzip stream inflating to far more than its ring is
// read in the same bound. Memory, not speed, is what these tests measure.

import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { openCapture, openSourceReader } from '../../../src/capture/open.js';
import { ReadContext } from '../../../src/capture/reader-base.js';
import type { ByteSource, SourceEndProblem } from '../../../src/capture/source.js';
import { bytes, concat, pcapHeader, pcapRecord, tempDir } from './build.js';

const dir = tempDir('memory');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const LIMIT = 256 * MiB;

/** A pcap header followed by a block of records repeated until `total` bytes have been served. */
class EndlessPcap implements ByteSource {
  readonly path = 'endless.pcap';
  readonly gzip = false;
  readonly size: number;
  private pos = 0;
  private readonly head: Uint8Array;
  private readonly block: Uint8Array;

  constructor(total: number, block: Uint8Array) {
    this.size = total;
    this.head = pcapHeader({ snaplen: 262144 });
    this.block = block;
  }

  read(buf: Uint8Array, off: number, len: number): number {
    let n = 0;
    while (n < len && this.pos < this.size) {
      let k: number;
      if (this.pos < this.head.length) {
        k = Math.min(len - n, this.head.length - this.pos);
        buf.set(this.head.subarray(this.pos, this.pos + k), off + n);
      } else {
        const at = (this.pos - this.head.length) % this.block.length;
        k = Math.min(len - n, this.block.length - at, this.size - this.pos);
        buf.set(this.block.subarray(at, at + k), off + n);
      }
      n += k;
      this.pos += k;
    }
    return n;
  }

  consumed(): number {
    return this.pos;
  }

  endProblem(): SourceEndProblem | null {
    return null;
  }

  close(): void {}
}

describe('bounded memory', () => {
  it('streams a 10 GiB pcap in under 256 MiB RSS', () => {
    // records of 60..1514 bytes, some straddling every buffer boundary
    const recs: Uint8Array[] = [];
    for (let i = 0; i < 700; i++) recs.push(pcapRecord(true, 1700000000 + i, i, bytes([60, 566, 1514][i % 3]!, i)));
    const block = concat(...recs);
    const total = 10 * 1024 * MiB;
    const recordsPerBlock = 700;
    const cursor = openSourceReader(new EndlessPcap(24 + block.length * Math.floor((total - 24) / block.length), block), new ReadContext(true), 0);
    let n = 0;
    let maxRss = 0;
    let last = -1;
    for (let r = cursor.next(); r !== null; r = cursor.next()) {
      if (r.tsSec < last) throw new Error('records out of order');
      last = r.tsSec === 1700000000 + recordsPerBlock - 1 ? -1 : r.tsSec;
      if ((++n & 0xffff) === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss());
    }
    cursor.close();
    expect(n).toBe(recordsPerBlock * Math.floor((total - 24) / block.length));
    expect(cursor.progress().bytes).toBeGreaterThan(total - block.length - 1);
    expect(maxRss).toBeGreaterThan(0);
    expect(maxRss).toBeLessThan(LIMIT);
  }, 300_000);

  it('inflates a gzip capture much larger than its ring in under 256 MiB RSS', async () => {
    // 1 GiB of pcap compressed to a few MiB, written by streaming (never held whole)
    const block = concat(...Array.from({ length: 64 }, (_, i) => pcapRecord(true, 1, i, bytes(1000, i))));
    const repeats = Math.floor((1024 * MiB) / block.length);
    const file = path.join(dir, 'big.pcap.gz');
    let left = repeats;
    const source = new Readable({
      read(): void {
        if (left === repeats) this.push(pcapHeader({ snaplen: 65535 }));
        for (let i = 0; i < 64 && left > 0; i++, left--) this.push(block);
        if (left === 0) this.push(null);
      },
    });
    await pipeline(source, zlib.createGzip({ level: 1 }), fs.createWriteStream(file));
    const cursor = openCapture([file]);
    let n = 0;
    let maxRss = 0;
    for (let r = cursor.next(); r !== null; r = cursor.next()) {
      if ((++n & 0xffff) === 0) maxRss = Math.max(maxRss, process.memoryUsage.rss());
    }
    cursor.close();
    expect(n).toBe(repeats * 64);
    expect(maxRss).toBeGreaterThan(0);
    expect(maxRss).toBeLessThan(LIMIT);
  }, 300_000);
});
