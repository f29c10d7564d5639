// pcapng writer: one little-endian section (SHB with shb_userappl), one IDB per output interface
// (if_name, if_description, if_tsresol µs or ns), and an EPB per packet with epb_flags carrying the
// direction and an optional opt_comment (replay uses it to say which rule dropped a packet).

import { UsageError } from '../util/errors.js';
import { MAX_CAPLEN } from './errors.js';
import { BlockType, OptionCode } from './pcapng-blocks.js';
import { ticksHiLo } from './timestamp.js';
import type { CaptureRecord } from './types.js';
import { WriteBuffer } from './write-buffer.js';

export interface PcapngInterfaceOptions {
  /** LINKTYPE_* of the interface (0..65535). */
  linkType: number;
  /** Largest captured length stored per packet (default 262144). */
  snaplen?: number;
  /** if_name, e.g. "eth0". */
  name?: string;
  /** if_description. */
  description?: string;
  /** Timestamp resolution written in if_tsresol (default 'ns'). */
  tsResolution?: 'us' | 'ns';
}

export interface PcapngWriterOptions {
  /** Interfaces described at the start of the file (more can be added with addInterface()). */
  interfaces?: PcapngInterfaceOptions[];
  /** shb_userappl (default "nfreplay"). */
  application?: string;
  /** Section comment. */
  comment?: string;
}

/** Per-interface state of the writer. */
class OutInterface {
  readonly snaplen: number;
  readonly unitsPerSec: number;
  readonly nsPerUnit: number;

  constructor(snaplen: number, nano: boolean) {
    this.snaplen = snaplen;
    this.unitsPerSec = nano ? 1e9 : 1e6;
    this.nsPerUnit = nano ? 1 : 1000;
  }
}

const MAX_OPTION = 0xffff;

export class PcapngWriter {
  readonly path: string;
  /** Packets written. */
  packets = 0;
  private readonly out: WriteBuffer;
  private readonly ifaces: OutInterface[] = [];
  private readonly ts = new Uint32Array(2);

  constructor(path: string, opts: PcapngWriterOptions = {}) {
    this.path = path;
    this.out = new WriteBuffer(path);
    const app = opts.application ?? 'nfreplay';
    let body = 16 + optionSize(app);
    if (opts.comment !== undefined) body += optionSize(opts.comment);
    body += 4; // opt_endofopt
    const len = body + 12;
    this.out.ensure(len);
    this.u32(BlockType.SHB);
    this.u32(len);
    this.u32(0x1a2b3c4d);
    this.u16(1);
    this.u16(0);
    this.u32(0xffffffff); // section length unknown (-1)
    this.u32(0xffffffff);
    if (opts.comment !== undefined) this.stringOption(OptionCode.COMMENT, opts.comment);
    this.stringOption(4, app); // shb_userappl
    this.u32(0);
    this.u32(len);
    for (const i of opts.interfaces ?? []) this.addInterface(i);
  }

  /** Describe another output interface (an IDB); returns its interface id for writePacket(). */
  addInterface(o: PcapngInterfaceOptions): number {
    if (!Number.isInteger(o.linkType) || o.linkType < 0 || o.linkType > 0xffff) throw new UsageError(`linkType must be 0..65535, got ${o.linkType}`);
    const snaplen = o.snaplen ?? MAX_CAPLEN;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffffffff) throw new UsageError(`snaplen must be 1..2^32-1, got ${snaplen}`);
    const nano = (o.tsResolution ?? 'ns') === 'ns';
    let body = 8 + 8; // linktype, reserved, snaplen; if_tsresol option (4 + 1 padded to 4)
    if (o.name !== undefined) body += optionSize(o.name);
    if (o.description !== undefined) body += optionSize(o.description);
    body += 4;
    const len = body + 12;
    this.out.ensure(len);
    this.u32(BlockType.IDB);
    this.u32(len);
    this.u16(o.linkType);
    this.u16(0);
    this.u32(snaplen);
    if (o.name !== undefined) this.stringOption(OptionCode.IF_NAME, o.name);
    if (o.description !== undefined) this.stringOption(OptionCode.IF_DESCRIPTION, o.description);
    this.u16(OptionCode.IF_TSRESOL);
    this.u16(1);
    this.u32(nano ? 9 : 6); // value byte then 3 bytes of padding (little-endian)
    this.u32(0);
    this.u32(len);
    this.ifaces.push(new OutInterface(snaplen, nano));
    return this.ifaces.length - 1;
  }

  /**
   * Append an Enhanced Packet Block on interface `iface`: `caplen` bytes of `data` at `offset` (cut to the
   * interface's snaplen), timestamp tsSec (0..2^32-1) + tsNsec, direction (Direction.*) in epb_flags
   * when not UNKNOWN, and `comment` as opt_comment when not null. HOT (the comment is encoded in place).
   */
  writePacket(
    iface: number,
    data: Uint8Array,
    offset: number,
    caplen: number,
    origLen: number,
    tsSec: number,
    tsNsec: number,
    direction = 0,
    comment: string | null = null,
  ): void {
    const oi = this.ifaces[iface];
    if (oi === undefined) throw new UsageError(`interface ${iface} was not added to ${this.path}`);
    if (!(tsSec >= 0 && tsSec <= 0xffffffff && tsNsec >= 0 && tsNsec < 1e9)) {
      throw new UsageError(`pcapng timestamps must be 0..2^32-1 s and 0..999999999 ns, got ${tsSec} s ${tsNsec} ns`);
    }
    const n = caplen > oi.snaplen ? oi.snaplen : caplen;
    const padded = (n + 3) & ~3;
    const dir = direction & 3;
    let commentLen = 0;
    if (comment !== null) {
      commentLen = Buffer.byteLength(comment, 'utf8');
      if (commentLen > MAX_OPTION) throw new UsageError(`packet comment of ${commentLen} bytes exceeds ${MAX_OPTION}`);
    }
    let opts = 0;
    if (dir !== 0) opts += 8;
    if (comment !== null) opts += 4 + ((commentLen + 3) & ~3);
    if (opts > 0) opts += 4;
    const len = 32 + padded + opts;
    const o = this.out;
    o.ensure(len);
    ticksHiLo(tsSec, oi.unitsPerSec, Math.floor(tsNsec / oi.nsPerUnit), this.ts);
    this.u32(BlockType.EPB);
    this.u32(len);
    this.u32(iface);
    this.u32(this.ts[0]!);
    this.u32(this.ts[1]!);
    this.u32(n);
    this.u32(origLen < n ? n : origLen);
    // the one allocation per packet: a view for the bulk copy (a byte loop costs 10x more at 570 bytes)
    o.buf.set(data.subarray(offset, offset + n), o.pos);
    o.pos += n;
    for (let i = n; i < padded; i++) o.buf[o.pos++] = 0;
    if (dir !== 0) {
      this.u16(OptionCode.EPB_FLAGS);
      this.u16(4);
      this.u32(dir);
    }
    if (comment !== null) {
      this.u16(OptionCode.COMMENT);
      this.u16(commentLen);
      o.buf.write(comment, o.pos, commentLen, 'utf8');
      o.pos += commentLen;
      for (let i = commentLen; (i & 3) !== 0; i++) o.buf[o.pos++] = 0;
    }
    if (opts > 0) this.u32(0);
    this.u32(len);
    this.packets++;
  }

  /** Append a record read from a cursor on output interface `iface`. HOT. */
  writeRecord(iface: number, rec: CaptureRecord, comment: string | null = rec.comment, direction = rec.direction): void {
    this.writePacket(iface, rec.data, rec.offset, rec.caplen, rec.origLen, rec.tsSec, rec.tsNsec, direction, comment);
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

  private u32(v: number): void {
    const o = this.out;
    o.buf.writeUInt32LE(v >>> 0, o.pos);
    o.pos += 4;
  }

  private u16(v: number): void {
    const o = this.out;
    o.buf.writeUInt16LE(v, o.pos);
    o.pos += 2;
  }

  /** A string option (header, UTF-8 value, padding); room must have been ensured. */
  private stringOption(code: number, s: string): void {
    const o = this.out;
    const n = Buffer.byteLength(s, 'utf8');
    this.u16(code);
    this.u16(n);
    o.buf.write(s, o.pos, n, 'utf8');
    o.pos += n;
    for (let i = n; (i & 3) !== 0; i++) o.buf[o.pos++] = 0;
  }
}

/** Bytes a string option takes (header + padded value); cold. */
function optionSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  if (n > MAX_OPTION) throw new UsageError(`option value of ${n} bytes exceeds ${MAX_OPTION}`);
  return 4 + ((n + 3) & ~3);
}
