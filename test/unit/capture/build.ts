// Test-side capture byte builders, written straight from the file format documents (libpcap savefile,
// draft-ietf-opsawg-pcapng) and independent of src/capture: the readers under test never build bytes.
// Also small file helpers for writing fixtures to a per-test temporary directory.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCapture, type OpenCaptureOptions } from '../../../src/capture/open.js';
import type { CaptureCursor, CaptureRecord } from '../../../src/capture/types.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u32(v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, le);
  return b;
}

export function u16(v: number, le: boolean): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, le);
  return b;
}

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

export interface PcapHeaderSpec {
  le?: boolean;
  nano?: boolean;
  snaplen?: number;
  linkType?: number;
  major?: number;
  minor?: number;
}

export function pcapHeader(s: PcapHeaderSpec = {}): Uint8Array {
  const le = s.le ?? true;
  return concat(
    u32(s.nano ? 0xa1b23c4d : 0xa1b2c3d4, le),
    u16(s.major ?? 2, le),
    u16(s.minor ?? 4, le),
    u32(0, le),
    u32(0, le),
    u32(s.snaplen ?? 65535, le),
    u32(s.linkType ?? 1, le),
  );
}

export function pcapRecord(le: boolean, sec: number, sub: number, data: Uint8Array, origLen = data.length, caplen = data.length): Uint8Array {
  return concat(u32(sec, le), u32(sub, le), u32(caplen, le), u32(origLen, le), data);
}

/** A pcapng option: code, length, value padded to 4. */
export function opt(code: number, value: Uint8Array, le: boolean): Uint8Array {
  const pad = (4 - (value.length % 4)) % 4;
  return concat(u16(code, le), u16(value.length, le), value, new Uint8Array(pad));
}

export function optStr(code: number, s: string, le: boolean): Uint8Array {
  return opt(code, new TextEncoder().encode(s), le);
}

export const END_OPT = new Uint8Array(4);

/** A pcapng block with correct leading and trailing lengths (body padded to 4 by the caller). */
export function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const len = 12 + body.length;
  return concat(u32(type, le), u32(len, le), body, u32(len, le));
}

export function shb(le: boolean, options: Uint8Array = new Uint8Array(0), major = 1, minor = 0): Uint8Array {
  return block(0x0a0d0d0a, concat(u32(0x1a2b3c4d, le), u16(major, le), u16(minor, le), u32(0xffffffff, le), u32(0xffffffff, le), options), le);
}

export function idb(le: boolean, linkType: number, snaplen: number, options: Uint8Array = new Uint8Array(0)): Uint8Array {
  return block(1, concat(u16(linkType, le), u16(0, le), u32(snaplen, le), options), le);
}

export function padded(data: Uint8Array): Uint8Array {
  return concat(data, new Uint8Array((4 - (data.length % 4)) % 4));
}

export function epb(le: boolean, ifId: number, tsHi: number, tsLo: number, data: Uint8Array, origLen = data.length, options: Uint8Array = new Uint8Array(0)): Uint8Array {
  return block(6, concat(u32(ifId, le), u32(tsHi, le), u32(tsLo, le), u32(data.length, le), u32(origLen, le), padded(data), options), le);
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return block(3, concat(u32(origLen, le), padded(data)), le);
}

export function pb(le: boolean, ifId: number, tsHi: number, tsLo: number, data: Uint8Array, origLen = data.length, options: Uint8Array = new Uint8Array(0)): Uint8Array {
  return block(2, concat(u16(ifId, le), u16(0, le), u32(tsHi, le), u32(tsLo, le), u32(data.length, le), u32(origLen, le), padded(data), options), le);
}

/** A fresh temporary directory for one test file. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nfreplay-${prefix}-`));
}

let fileCounter = 0;

/** Write bytes to a new file in `dir` and return its path. */
export function writeTemp(dir: string, data: Uint8Array, name = `f${++fileCounter}.bin`): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

/** Plain copy of a record's fields (the record itself is reused by the cursor). */
export interface RecordCopy {
  tsSec: number;
  tsNsec: number;
  caplen: number;
  origLen: number;
  linkType: number;
  interfaceId: number;
  ifIndex: number;
  direction: number;
  pktType: number;
  fileIndex: number;
  recordIndex: number;
  fileOffset: number;
  comment: string | null;
  bytes: number[];
}

export function copyRecord(r: CaptureRecord): RecordCopy {
  return {
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    caplen: r.caplen,
    origLen: r.origLen,
    linkType: r.linkType,
    interfaceId: r.interfaceId,
    ifIndex: r.ifIndex,
    direction: r.direction,
    pktType: r.pktType,
    fileIndex: r.fileIndex,
    recordIndex: r.recordIndex,
    fileOffset: r.fileOffset,
    comment: r.comment,
    bytes: Array.from(r.data.subarray(r.offset, r.offset + r.caplen)),
  };
}

/** Read every record of a cursor (copied), then close it. */
export function readAll(cursor: CaptureCursor): RecordCopy[] {
  const out: RecordCopy[] = [];
  try {
    for (let r = cursor.next(); r !== null; r = cursor.next()) out.push(copyRecord(r));
  } finally {
    cursor.close();
  }
  return out;
}

/** Open bytes written to a temp file and read them all. */
export function readBytes(dir: string, data: Uint8Array, opts?: OpenCaptureOptions): { records: RecordCopy[]; cursor: CaptureCursor } {
  const cursor = openCapture([writeTemp(dir, data)], opts);
  return { records: readAll(cursor), cursor };
}

/** Run fn and return the error it throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error & { code?: string; path?: string; offset?: number; record?: number } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error, none was thrown');
}
