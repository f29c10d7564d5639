// Classic pcap reader (libpcap savefile: sf-pcap.c): both byte orders, microsecond (a1b2c3d4) and
// nanosecond (a1b23c4d) magic. Records are parsed in place from the ChunkBuffer; nothing is allocated per
// record. Like libpcap it rejects caplen above 256 KiB and accepts caplen above the snaplen (warning).

import { CaptureErrorCode, MAX_CAPLEN, captureError } from './errors.js';
import type { ChunkBuffer } from './chunk.js';
import { applyCookedHeader, isCooked } from './link.js';
import { FileReader, type ReadContext } from './reader-base.js';
import type { CaptureInterface, CaptureRecord } from './types.js';

/** File magics as the first four bytes read big-endian. */
export const PcapMagic = {
  MICRO: 0xa1b2c3d4,
  NANO: 0xa1b23c4d,
  MICRO_SWAPPED: 0xd4c3b2a1,
  NANO_SWAPPED: 0x4d3cb2a1,
  /** Alexey Kuznetzov's modified format (24-byte record headers): recognised, not supported. */
  KUZNETZOV: 0xa1b2cd34,
  KUZNETZOV_SWAPPED: 0x34cdb2a1,
} as const;

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

/** True when the first four bytes (big-endian) are a classic pcap magic this reader handles. */
export function isPcapMagic(m: number): boolean {
  return m === PcapMagic.MICRO || m === PcapMagic.NANO || m === PcapMagic.MICRO_SWAPPED || m === PcapMagic.NANO_SWAPPED;
}

function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export class PcapReader extends FileReader {
  readonly format = 'pcap' as const;
  readonly le: boolean;
  readonly nano: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Snaplen as written in the header, and the limit used for the caplen-above-snaplen warning. */
  readonly snaplen: number;
  private readonly warnSnaplen: number;
  readonly linkType: number;
  readonly iface: CaptureInterface;
  /** Sub-second units per second (1e6 or 1e9) and nanoseconds per unit. */
  private readonly subPerSec: number;
  private readonly nsPerSub: number;
  private readonly cooked: boolean;

  /** Reads and validates the file header; the chunk must be positioned at the start of the file. */
  constructor(chunk: ChunkBuffer, ctx: ReadContext, fileIndex: number) {
    super(chunk, ctx, fileIndex);
    if (!chunk.fill(FILE_HEADER)) {
      throw this.headerError(CaptureErrorCode.PCAP_TRUNCATED_HEADER, `pcap file header needs ${FILE_HEADER} bytes, the file has ${chunk.available()}`);
    }
    const b = chunk.buf;
    const p = chunk.pos;
    const magic = u32(b, p, false);
    this.le = magic === PcapMagic.MICRO_SWAPPED || magic === PcapMagic.NANO_SWAPPED;
    this.nano = magic === PcapMagic.NANO || magic === PcapMagic.NANO_SWAPPED;
    const le = this.le;
    this.versionMajor = u16(b, p + 4, le);
    this.versionMinor = u16(b, p + 6, le);
    // libpcap accepts 2.0 to 2.4 (and DG/UX's 543.0)
    const okVersion = (this.versionMajor === 2 && this.versionMinor <= 4) || (this.versionMajor === 543 && this.versionMinor === 0);
    if (!okVersion) {
      throw captureError(
        CaptureErrorCode.PCAP_BAD_VERSION,
        `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (2.0 to 2.4 are readable)`,
        this.path,
        4,
        -1,
      );
    }
    this.snaplen = u32(b, p + 16, le);
    this.warnSnaplen = this.snaplen === 0 || this.snaplen > MAX_CAPLEN ? MAX_CAPLEN : this.snaplen;
    // LT_LINKTYPE(): the upper bits carry FCS information
    this.linkType = u32(b, p + 20, le) & 0xffff;
    this.subPerSec = this.nano ? 1e9 : 1e6;
    this.nsPerSub = this.nano ? 1 : 1000;
    this.cooked = isCooked(this.linkType);
    chunk.pos = p + FILE_HEADER;
    this.iface = ctx.interfaces.add(
      {
        fileIndex,
        section: 0,
        localId: 0,
        linkType: this.linkType,
        snaplen: this.snaplen,
        name: null,
        description: null,
        tsUnitsPerSec: this.subPerSec,
        tsOffsetSec: 0,
      },
      this.path,
      0,
      -1,
    );
    this.rec.linkType = this.linkType;
    this.rec.interfaceId = this.iface.id;
  }

  /** Next record, or null at the end. HOT. */
  next(): CaptureRecord | null {
    if (this.done) return null;
    const c = this.chunk;
    if (c.end - c.pos < RECORD_HEADER && !c.fill(RECORD_HEADER)) return this.endOfData(RECORD_HEADER, 'record header');
    let b = c.buf;
    let p = c.pos;
    const dv = c.view;
    const le = this.le;
    const sec = dv.getUint32(p, le);
    const sub = dv.getUint32(p + 4, le);
    const caplen = dv.getUint32(p + 8, le);
    const orig = dv.getUint32(p + 12, le);
    if (caplen > this.warnSnaplen) this.checkCaplen(caplen, c.base + p);
    const size = RECORD_HEADER + caplen;
    if (c.end - p < size) {
      if (!c.fill(size)) return this.endOfData(size, 'record');
      b = c.buf;
      p = c.pos;
    }
    const r = this.rec;
    r.data = b;
    r.offset = p + RECORD_HEADER;
    r.caplen = caplen;
    r.origLen = orig;
    if (sub < this.subPerSec) {
      r.tsSec = sec;
      r.tsNsec = sub * this.nsPerSub;
    } else {
      // out-of-range fraction: carry into the seconds, as a reader adding the two fields would
      const carry = Math.floor(sub / this.subPerSec);
      r.tsSec = sec + carry;
      r.tsNsec = (sub - carry * this.subPerSec) * this.nsPerSub;
    }
    r.fileOffset = c.base + p;
    r.recordIndex = this.index++;
    if (this.cooked) {
      r.direction = 0;
      r.pktType = -1;
      r.ifIndex = -1;
      applyCookedHeader(r);
    }
    c.pos = p + size;
    return r;
  }

  /** caplen above the snaplen: an error past MAX_CAPLEN, else a warning. Cold. */
  private checkCaplen(caplen: number, offset: number): void {
    if (caplen > MAX_CAPLEN) {
      throw captureError(
        CaptureErrorCode.CAPLEN_TOO_BIG,
        `record captured length ${caplen} is bigger than the maximum of ${MAX_CAPLEN}`,
        this.path,
        offset,
        this.index,
      );
    }
    if (this.ctx.warnings.repeat(CaptureErrorCode.CAPLEN_ABOVE_SNAPLEN, this.path)) return;
    this.warn(
      CaptureErrorCode.CAPLEN_ABOVE_SNAPLEN,
      `record captured length ${caplen} is bigger than the file's snaplen ${this.snaplen}; the record is read whole`,
      offset,
      this.index,
    );
  }
}
