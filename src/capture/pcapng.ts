// pcapng reader (draft-ietf-opsawg-pcapng; Wireshark's wiretap/pcapng.c is the behaviour we match):
// sections in either byte order, interfaces per section with their own link type and time resolution,
// EPB / SPB / obsolete PB packets parsed in place; NRB, ISB, DSB, custom and unknown blocks are skipped.
// A section of an unknown version is skipped with a warning (an error with `strict`).

import { CaptureErrorCode, MAX_BLOCK, MAX_CAPLEN, captureError } from './errors.js';
import type { ChunkBuffer } from './chunk.js';
import { applyCookedHeader, isCooked } from './link.js';
import {
  BYTE_ORDER_MAGIC,
  BlockType,
  MinBlockLength,
  OptionCode,
  OptionCursor,
  nextOption,
  optionString,
  parseIdb,
  rd16,
  rd32,
} from './pcapng-blocks.js';
import { FileReader, type ReadContext } from './reader-base.js';
import { TsConverter } from './timestamp.js';
import type { CaptureInterface, CaptureRecord } from './types.js';

/** One interface of the current section, as the packet blocks need it. */
class SectionInterface {
  readonly iface: CaptureInterface;
  readonly ts: TsConverter;
  readonly cooked: boolean;
  /** Snaplen limit for the warning (0 in the IDB means none). */
  readonly warnSnaplen: number;

  constructor(iface: CaptureInterface, ts: TsConverter) {
    this.iface = iface;
    this.ts = ts;
    this.cooked = isCooked(iface.linkType);
    this.warnSnaplen = iface.snaplen === 0 || iface.snaplen > MAX_CAPLEN ? MAX_CAPLEN : iface.snaplen;
  }
}

export class PcapngReader extends FileReader {
  readonly format = 'pcapng' as const;
  /** Byte order of the current section. */
  private le = true;
  /** Index of the current section in the file (0-based). */
  private section = -1;
  private ifaces: SectionInterface[] = [];
  /** Inside a section of an unsupported version: its blocks are skipped. */
  private skipping = false;
  private readonly opt = new OptionCursor();
  /** While opening: stop in front of the first packet block instead of reading it. */
  private priming = true;

  /** Reads the first Section Header Block; the chunk must be at the start of the file. */
  constructor(chunk: ChunkBuffer, ctx: ReadContext, fileIndex: number) {
    super(chunk, ctx, fileIndex);
    if (!this.readShb(true)) throw this.headerError(CaptureErrorCode.PCAPNG_TRUNCATED_HEADER, 'the section header block is incomplete');
    // describe the interfaces that precede the first packet now, so that interface ids follow file order
    this.next();
    this.priming = false;
  }

  /** Next packet, or null at the end. HOT. */
  next(): CaptureRecord | null {
    if (this.done) return null;
    const c = this.chunk;
    for (;;) {
      if (c.end - c.pos < 12 && !c.fill(12)) return this.endOfData(12, 'block header');
      let b = c.buf;
      let dv = c.view;
      let p = c.pos;
      const le = this.le;
      const type = dv.getUint32(p, le);
      if (type === BlockType.SHB) {
        if (!this.readShb(false)) return this.endOfData(MinBlockLength.SHB, 'section header block');
        continue;
      }
      if (this.priming && (type === BlockType.EPB || type === BlockType.SPB || type === BlockType.PB)) return null;
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || (len & 3) !== 0) throw this.lengthError(`block length ${len} is not a multiple of 4 of at least 12`, c.base + p);
      if (len > MAX_BLOCK) {
        if (!this.skipHuge(type, len)) return this.endOfData(len, 'block');
        continue;
      }
      if (c.end - p < len) {
        if (!c.fill(len)) return this.endOfData(len, 'block');
        b = c.buf;
        dv = c.view;
        p = c.pos;
      }
      if (dv.getUint32(p + len - 4, le) !== len) {
        throw this.lengthError(`block length ${len} differs from its trailing copy ${dv.getUint32(p + len - 4, le)}`, c.base + p);
      }
      c.pos = p + len;
      if (this.skipping) continue;
      if (type === BlockType.EPB) return this.readEpb(b, dv, p, len, false);
      if (type === BlockType.IDB) this.readIdb(b, p, len);
      else if (type === BlockType.SPB) return this.readSpb(b, dv, p, len);
      else if (type === BlockType.PB) return this.readEpb(b, dv, p, len, true);
      // NRB, ISB, DSB, custom blocks and unknown types carry nothing the datapath needs
    }
  }

  /**
   * Enhanced Packet Block at p, or (obsolete) the Packet Block of type 2, laid out like an EPB but with a
   * 16-bit interface id followed by a 16-bit drop count. HOT.
   */
  private readEpb(b: Uint8Array, dv: DataView, p: number, len: number, obsolete: boolean): CaptureRecord {
    const le = this.le;
    const min = obsolete ? MinBlockLength.PB : MinBlockLength.EPB;
    if (len < min) throw this.lengthError(`${obsolete ? 'packet block' : 'enhanced packet block'} of ${len} bytes is shorter than ${min}`, this.chunk.base + p);
    const ifId = obsolete ? dv.getUint16(p + 8, le) : dv.getUint32(p + 8, le);
    const caplen = dv.getUint32(p + 20, le);
    const si = this.packetInterface(ifId, caplen, len, min, p);
    const r = this.rec;
    si.ts.convert(dv.getUint32(p + 12, le), dv.getUint32(p + 16, le), r);
    r.origLen = dv.getUint32(p + 24, le);
    this.fillPacket(r, si, b, p, p + 28, caplen);
    this.readPacketOptions(b, p + 28 + ((caplen + 3) & ~3), p + len - 4, p);
    if (si.cooked) applyCookedHeader(r);
    return r;
  }

  /**
   * Simple Packet Block: interface 0, original length only; the captured length is what the block holds,
   * at most the snaplen. It has no timestamp: it keeps the previous packet's, so a merge leaves it in place.
   */
  private readSpb(b: Uint8Array, dv: DataView, p: number, len: number): CaptureRecord {
    if (len < MinBlockLength.SPB) throw this.lengthError(`simple packet block of ${len} bytes is shorter than ${MinBlockLength.SPB}`, this.chunk.base + p);
    const si = this.ifaces[0];
    if (si === undefined) throw this.unknownInterface(0, p);
    const orig = dv.getUint32(p + 8, this.le);
    let caplen = len - 16;
    if (orig < caplen) caplen = orig;
    const snap = si.iface.snaplen;
    if (snap !== 0 && snap < caplen) caplen = snap;
    if (caplen > MAX_CAPLEN) throw this.caplenTooBig(caplen, p);
    const r = this.rec;
    r.origLen = orig;
    this.fillPacket(r, si, b, p, p + 12, caplen);
    if (si.cooked) applyCookedHeader(r);
    return r;
  }

  /** Resolve and check a packet block's interface and captured length. */
  private packetInterface(ifId: number, caplen: number, len: number, fixed: number, p: number): SectionInterface {
    const si = ifId < this.ifaces.length ? this.ifaces[ifId] : undefined;
    if (si === undefined) throw this.unknownInterface(ifId, p);
    if (caplen > si.warnSnaplen) this.checkCaplen(caplen, ifId, si, p);
    if (fixed + ((caplen + 3) & ~3) > len) {
      throw this.lengthError(`block of ${len} bytes cannot hold ${caplen} captured bytes`, this.chunk.base + p);
    }
    return si;
  }

  /** caplen above the interface's snaplen: an error past MAX_CAPLEN, else a warning (counted). Cold. */
  private checkCaplen(caplen: number, ifId: number, si: SectionInterface, p: number): void {
    if (caplen > MAX_CAPLEN) throw this.caplenTooBig(caplen, p);
    if (this.ctx.warnings.repeat(CaptureErrorCode.CAPLEN_ABOVE_SNAPLEN, this.path)) return;
    this.warn(
      CaptureErrorCode.CAPLEN_ABOVE_SNAPLEN,
      `packet captured length ${caplen} is bigger than interface ${ifId}'s snaplen ${si.iface.snaplen}; the packet is read whole`,
      this.chunk.base + p,
      this.index,
    );
  }

  /** The record fields every packet block sets. HOT. */
  private fillPacket(r: CaptureRecord, si: SectionInterface, b: Uint8Array, p: number, dataOff: number, caplen: number): void {
    r.data = b;
    r.offset = dataOff;
    r.caplen = caplen;
    r.linkType = si.iface.linkType;
    r.interfaceId = si.iface.id;
    r.ifIndex = -1;
    r.pktType = -1;
    r.direction = 0;
    r.comment = null;
    r.fileOffset = this.chunk.base + p;
    r.recordIndex = this.index++;
  }

  /** epb_flags / pack_flags (direction in bits 0-1) and the first opt_comment. */
  private readPacketOptions(b: Uint8Array, off: number, end: number, p: number): void {
    if (end - off < 4) return;
    const opt = this.opt;
    const le = this.le;
    const r = this.rec;
    while (nextOption(b, off, end, le, opt, this.path, this.chunk.base + p, r.recordIndex)) {
      if (opt.code === OptionCode.EPB_FLAGS && opt.valueLen >= 4) {
        const dir = rd32(b, opt.valueOff, le) & 3;
        r.direction = dir === 3 ? 0 : dir;
      } else if (opt.code === OptionCode.COMMENT && r.comment === null) {
        r.comment = optionString(b, opt.valueOff, opt.valueLen);
      }
      off = opt.next;
    }
  }

  /** Interface Description Block: registers an interface of the current section. Cold. */
  private readIdb(b: Uint8Array, p: number, len: number): void {
    const offset = this.chunk.base + p;
    if (len < MinBlockLength.IDB) throw this.lengthError(`interface description block of ${len} bytes is shorter than ${MinBlockLength.IDB}`, offset);
    const info = parseIdb(b, p, len, this.le, this.path, offset, this.index);
    const iface = this.ctx.interfaces.add(
      {
        fileIndex: this.fileIndex,
        section: this.section,
        localId: this.ifaces.length,
        linkType: info.linkType,
        snaplen: info.snaplen,
        name: info.name,
        description: info.description,
        tsUnitsPerSec: info.tsBinary ? 2 ** info.tsExponent : 10 ** info.tsExponent,
        tsOffsetSec: info.tsOffsetSec,
      },
      this.path,
      offset,
      this.index,
    );
    this.ifaces.push(new SectionInterface(iface, new TsConverter(info.tsExponent, info.tsBinary, info.tsOffsetSec)));
  }

  /**
   * Section Header Block at the parse position: byte order, version, a fresh interface id space.
   * Returns false when the file ends inside it. Cold.
   */
  private readShb(first: boolean): boolean {
    const c = this.chunk;
    if (!c.fill(12)) return false;
    let b = c.buf;
    let p = c.pos;
    const offset = c.base + p;
    const bom = rd32(b, p + 8, false);
    let le: boolean;
    if (bom === BYTE_ORDER_MAGIC) le = false;
    else if (bom === 0x4d3c2b1a) le = true;
    else {
      throw captureError(
        CaptureErrorCode.PCAPNG_BAD_BYTE_ORDER,
        `section header byte-order magic is 0x${bom.toString(16).padStart(8, '0')}, not 0x1a2b3c4d`,
        this.path,
        offset,
        first ? -1 : this.index,
      );
    }
    const len = rd32(b, p + 4, le);
    if (len < MinBlockLength.SHB || (len & 3) !== 0) throw this.lengthError(`section header block length ${len} is invalid`, offset);
    if (len > MAX_BLOCK) {
      throw captureError(CaptureErrorCode.PCAPNG_BLOCK_TOO_BIG, `section header block of ${len} bytes is too big`, this.path, offset, this.index);
    }
    if (!c.fill(len)) return false;
    b = c.buf;
    p = c.pos;
    if (rd32(b, p + len - 4, le) !== len) throw this.lengthError(`block length ${len} differs from its trailing copy`, offset);
    const major = rd16(b, p + 12, le);
    const minor = rd16(b, p + 14, le);
    c.pos = p + len;
    this.le = le;
    this.section++;
    this.ifaces = [];
    // Wireshark reads 1.0 and 1.2 (written by some tools for 1.0); others are unknown formats
    this.skipping = !(major === 1 && (minor === 0 || minor === 2));
    if (this.skipping) {
      const msg = `section ${this.section} has unsupported version ${major}.${minor}; its blocks are skipped`;
      if (this.ctx.strict) throw captureError(CaptureErrorCode.PCAPNG_UNSUPPORTED_VERSION, msg, this.path, offset, this.index);
      this.warn(CaptureErrorCode.PCAPNG_UNSUPPORTED_VERSION, msg, offset, this.index);
    }
    return true;
  }

  /** A block bigger than MAX_BLOCK: packet and interface blocks are errors, others are read through. */
  private skipHuge(type: number, len: number): boolean {
    const c = this.chunk;
    const offset = c.offset();
    if (type === BlockType.EPB || type === BlockType.PB || type === BlockType.SPB || type === BlockType.IDB) {
      throw captureError(CaptureErrorCode.PCAPNG_BLOCK_TOO_BIG, `block of type ${type} is ${len} bytes long`, this.path, offset, this.index);
    }
    if (!c.skip(len - 4)) return false;
    if (!c.fill(4)) return false;
    const trailer = rd32(c.buf, c.pos, this.le);
    if (trailer !== len) throw this.lengthError(`block length ${len} differs from its trailing copy ${trailer}`, offset);
    c.pos += 4;
    return true;
  }

  private lengthError(message: string, offset: number): Error {
    return captureError(CaptureErrorCode.PCAPNG_BLOCK_LENGTH, message, this.path, offset, this.index);
  }

  private unknownInterface(ifId: number, p: number): Error {
    return captureError(
      CaptureErrorCode.PCAPNG_UNKNOWN_INTERFACE,
      `packet names interface ${ifId}, but section ${this.section} describes ${this.ifaces.length} interface(s)`,
      this.path,
      this.chunk.base + p,
      this.index,
    );
  }

  private caplenTooBig(caplen: number, p: number): Error {
    return captureError(
      CaptureErrorCode.CAPLEN_TOO_BIG,
      `packet captured length ${caplen} is bigger than the maximum of ${MAX_CAPLEN}`,
      this.path,
      this.chunk.base + p,
      this.index,
    );
  }
}
