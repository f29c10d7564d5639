// openCapture() on things that are not captures: missing paths, directories, empty and tiny files, text,
// unsupported magics, bad options; and on a named pipe (no size, no seeking), plain and gzip.

import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fromHex } from '../../../src/util/bytes.js';
import { CaptureFormatError, UsageError } from '../../../src/util/errors.js';
import { openCapture } from '../../../src/capture/open.js';
import { bytes, concat, pcapHeader, pcapRecord, readAll, tempDir, thrown, writeTemp } from './build.js';

const dir = tempDir('open');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openCapture: clear errors', () => {
  it('names a missing file', () => {
    const p = path.join(dir, 'nope.pcap');
    const e = thrown(() => openCapture([p]));
    expect(e).toBeInstanceOf(CaptureFormatError);
    expect(e).toMatchObject({ code: 'ERR_CAPTURE_NOT_FOUND', path: p });
    expect(thrown(() => openCapture([path.join(dir, 'nope', 'x.pcap')]))).toMatchObject({ code: 'ERR_CAPTURE_NOT_FOUND' });
  });

  it('refuses a directory', () => {
    expect(thrown(() => openCapture([dir]))).toMatchObject({ code: 'ERR_CAPTURE_IS_DIRECTORY', path: dir });
  });

  it('refuses a zero-length file', () => {
    const p = writeTemp(dir, new Uint8Array(0));
    expect(thrown(() => openCapture([p]))).toMatchObject({ code: 'ERR_CAPTURE_EMPTY', path: p, offset: 0 });
  });

  it('refuses files too short for a magic, text, and other formats', () => {
    for (const data of [Uint8Array.of(0xd4), Uint8Array.of(0xd4, 0xc3, 0xb2), new TextEncoder().encode('hello world\n'), fromHex('504b0304 14000000')]) {
      const p = writeTemp(dir, data);
      expect(thrown(() => openCapture([p]))).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC', path: p, offset: 0 });
    }
  });

  it('explains the modified (Kuznetzov) pcap magic', () => {
    const e = thrown(() => openCapture([writeTemp(dir, fromHex('34cdb2a1 0200 0400 00000000 00000000 ffff0000 01000000'))]));
    expect(e).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC' });
    expect(e.message).toMatch(/Kuznetzov/);
  });

  it('rejects an empty path list and a bad chunk size', () => {
    expect(() => openCapture([])).toThrow(UsageError);
    const p = writeTemp(dir, pcapHeader());
    expect(() => openCapture([p], { chunkSize: 100 })).toThrow(UsageError);
  });

  it('describes errors with path, byte offset and record for terminals and JSON', () => {
    const p = writeTemp(dir, concat(pcapHeader(), pcapRecord(true, 1, 0, bytes(2)), pcapRecord(true, 1, 0, bytes(0), 0, 999999)));
    const c = openCapture([p]);
    c.next();
    const e = thrown(() => c.next()) as CaptureFormatError;
    expect(e.describe()).toBe(`${p}: byte offset 42, record 1: record captured length 999999 is bigger than the maximum of 262144 [ERR_CAPTURE_CAPLEN_TOO_BIG]`);
    expect(e.toRecord()).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN_TOO_BIG', path: p, offset: 42, record: 1, name: 'CaptureFormatError' });
  });
});

describe('openCapture: named pipes', () => {
  const data = concat(pcapHeader(), ...Array.from({ length: 2000 }, (_, i) => pcapRecord(true, i, 0, bytes(300, i))));

  async function throughFifo(content: Uint8Array, name: string): Promise<ReturnType<typeof readAll>> {
    const fifo = path.join(dir, name);
    execFileSync('mkfifo', [fifo]);
    const src = writeTemp(dir, content);
    // a separate process feeds the pipe, as a shell's `<(zcat ...)` would
    const feeder = spawn('sh', ['-c', `cat '${src}' > '${fifo}'`], { stdio: 'ignore' });
    const exited = new Promise((r) => feeder.on('exit', r));
    const c = openCapture([fifo]);
    expect(c.progress().total).toBe(0);
    const recs = readAll(c);
    await exited;
    return recs;
  }

  it('reads a plain capture from a pipe', async () => {
    const recs = await throughFifo(data, 'plain.fifo');
    expect(recs).toHaveLength(2000);
    expect(recs[1999]!.bytes).toEqual(Array.from(bytes(300, 1999)));
    expect(recs[1999]!.fileOffset).toBe(24 + 1999 * 316);
  });

  it('reads a gzip capture from a pipe', async () => {
    const recs = await throughFifo(zlib.gzipSync(data), 'gz.fifo');
    expect(recs).toHaveLength(2000);
    expect(recs[0]!.bytes).toEqual(Array.from(bytes(300, 0)));
  });
});
