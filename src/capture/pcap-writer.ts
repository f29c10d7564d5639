// Classic pcap writer: file header (µs or ns magic, link type, snaplen) and 16-byte record headers, in
// little-endian unless asked otherwise. Records longer than the snaplen are cut to it, as a capture
// with that snaplen would have stored them. The file is renamed into place on close().

import { UsageError } from '../util/errors.js';
import { MAX_CAPLEN } from './errors.js';
import type { CaptureRecord } from './types.js';
import { WriteBuffer } from './write-buffer.js';

export interface PcapWriterOptions {
  /** LINKTYPE_* of every record (0..65535). */
  linkType: number;
  /** Largest captured length stored per record (default 262144). */
  snaplen?: number;
  /** Nanosecond magic (a1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
  /** Big-endian headers (default little-endian). */
  bigEndian?: boolean;
}

function checkUint(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
}

export class PcapWriter {
  readonly path: string;
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly bigEndian: boolean;
  /** Records written. */
  packets = 0;
  private readonly out: WriteBuffer;

  constructor(path: string, opts: PcapWriterOptions) {
    checkUint('options.linkType', opts.linkType, 0, 0xffff);
    const snaplen = opts.snaplen ?? MAX_CAPLEN;
    checkUint('options.snaplen', snaplen, 1, 0xffffffff);
    this.path = path;
    this.linkType = opts.linkType;
    this.snaplen = snaplen;
    this.nanosecond = opts.nanosecond === true;
    this.bigEndian = opts.bigEndian === true;
    this.out = new WriteBuffer(path);
    const o = this.out;
    o.ensure(24);
    this.u32(this.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4);
    this.u16(2);
    this.u16(4);
    this.u32(0); // thiszone
    this.u32(0); // sigfigs
    this.u32(snaplen);
    this.u32(opts.linkType);
  }

  private u32(v: number): void {
    const o = this.out;
    if (this.bigEndian) o.buf.writeUInt32BE(v >>> 0, o.pos);
    else o.buf.writeUInt32LE(v >>> 0, o.pos);
    o.pos += 4;
  }

  private u16(v: number): void {
    const o = this.out;
    if (this.bigEndian) o.buf.writeUInt16BE(v, o.pos);
    else o.buf.writeUInt16LE(v, o.pos);
    o.pos += 2;
  }

  /**
   * Append a record: `caplen` bytes of `data` at `offset` (cut to the snaplen), original length
   * `origLen`, timestamp tsSec (0..2^32-1) + tsNsec (0..999999999; truncated to µs with the µs magic). HOT.
   */
  writePacket(data: Uint8Array, offset: number, caplen: number, origLen: number, tsSec: number, tsNsec: number): void {
    if (!(tsSec >= 0 && tsSec <= 0xffffffff && tsNsec >= 0 && tsNsec < 1e9)) {
      throw new UsageError(`pcap timestamps must be 0..2^32-1 s and 0..999999999 ns, got ${tsSec} s ${tsNsec} ns`);
    }
    const n = caplen > this.snaplen ? this.snaplen : caplen;
    const o = this.out;
    o.ensure(16 + n);
    this.u32(tsSec);
    this.u32(this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000));
    this.u32(n);
    this.u32(origLen < n ? n : origLen);
    // the one allocation per record: a view for the bulk copy (a byte loop costs 10x more at 570 bytes)
    o.buf.set(data.subarray(offset, offset + n), o.pos);
    o.pos += n;
    this.packets++;
  }

  /** Append a record read from a cursor. HOT. */
  writeRecord(rec: CaptureRecord): void {
    this.writePacket(rec.data, rec.offset, rec.caplen, rec.origLen, rec.tsSec, rec.tsNsec);
  }

  /** Bytes written so far. */
  size(): number {
    return this.out.size();
  }

  /** Finish the file and rename it into place. */
  close(): void {
    this.out.commit();
  }

  /** Discard the file. */
  abort(): void {
    this.out.abort();
  }
}
