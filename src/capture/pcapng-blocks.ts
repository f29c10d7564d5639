// pcapng block constants and the cold parsing of descriptive blocks: the options walk, the Section
// Header Block's byte order and version, the Interface Description Block (link type, snaplen, if_name,
// if_description, if_tsresol, if_tsoffset). Packet blocks are parsed in pcapng.ts on the hot path.

import { CaptureErrorCode, captureError } from './errors.js';
import { tsresolUnits } from './timestamp.js';

/** Block types (pcapng spec section 11.1). */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Obsolete Packet Block. */
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  DSB: 0x0000000a,
  CB: 0x00000bad,
  DCB: 0x40000bad,
} as const;

/** Smallest total length of each parsed block type (12 bytes of framing plus the fixed body). */
export const MinBlockLength = { SHB: 28, IDB: 20, PB: 32, SPB: 16, EPB: 32 } as const;

/** Option codes used here. */
export const OptionCode = {
  END: 0,
  COMMENT: 1,
  IF_NAME: 2,
  IF_DESCRIPTION: 3,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
  /** epb_flags (EPB) and pack_flags (PB) share code 2. */
  EPB_FLAGS: 2,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export function rd32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function rd16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

/** Where an option sits: filled by nextOption(). */
export class OptionCursor {
  code = 0;
  /** Offset and length of the value. */
  valueOff = 0;
  valueLen = 0;
  /** Offset of the following option. */
  next = 0;
}

/**
 * Read the option at `off` (options end at `end`). Returns false at opt_endofopt or when no room for an
 * option header is left; throws ERR_PCAPNG_OPTION_LENGTH when the value runs past `end`.
 */
export function nextOption(
  b: Uint8Array,
  off: number,
  end: number,
  le: boolean,
  out: OptionCursor,
  path: string,
  blockOffset: number,
  record: number,
): boolean {
  if (end - off < 4) return false;
  const code = rd16(b, off, le);
  const len = rd16(b, off + 2, le);
  if (code === OptionCode.END) return false;
  if (off + 4 + len > end) {
    throw captureError(
      CaptureErrorCode.PCAPNG_OPTION_LENGTH,
      `option ${code} of length ${len} runs past the end of its block`,
      path,
      blockOffset,
      record,
    );
  }
  out.code = code;
  out.valueOff = off + 4;
  out.valueLen = len;
  out.next = off + 4 + ((len + 3) & ~3);
  return true;
}

const utf8 = new TextDecoder('utf-8');

/** Decode an option's string value (UTF-8, trailing NULs dropped). Cold. */
export function optionString(b: Uint8Array, off: number, len: number): string {
  let n = len;
  while (n > 0 && b[off + n - 1] === 0) n--;
  return utf8.decode(b.subarray(off, off + n));
}

/** What an Interface Description Block says. */
export interface IdbInfo {
  linkType: number;
  snaplen: number;
  name: string | null;
  description: string | null;
  tsExponent: number;
  tsBinary: boolean;
  tsOffsetSec: number;
}

/** Parse an IDB whose block starts at `p` (length already validated). Cold. */
export function parseIdb(b: Uint8Array, p: number, len: number, le: boolean, path: string, blockOffset: number, record: number): IdbInfo {
  const info: IdbInfo = {
    linkType: rd16(b, p + 8, le),
    snaplen: rd32(b, p + 12, le),
    name: null,
    description: null,
    tsExponent: 6,
    tsBinary: false,
    tsOffsetSec: 0,
  };
  const opt = new OptionCursor();
  let off = p + 16;
  const end = p + len - 4;
  while (nextOption(b, off, end, le, opt, path, blockOffset, record)) {
    const v = opt.valueOff;
    if (opt.code === OptionCode.IF_NAME && info.name === null) info.name = optionString(b, v, opt.valueLen);
    else if (opt.code === OptionCode.IF_DESCRIPTION && info.description === null) info.description = optionString(b, v, opt.valueLen);
    else if (opt.code === OptionCode.IF_TSRESOL && opt.valueLen >= 1) {
      const units = tsresolUnits(b[v]!);
      if (units === null) {
        throw captureError(CaptureErrorCode.PCAPNG_BAD_TSRESOL, `if_tsresol 0x${b[v]!.toString(16)} cannot be represented`, path, blockOffset, record);
      }
      info.tsExponent = units.exponent;
      info.tsBinary = units.binary;
    } else if (opt.code === OptionCode.IF_TSOFFSET && opt.valueLen >= 8) {
      // signed 64-bit seconds: high word first in the section's byte order
      const hi = le ? rd32(b, v + 4, true) | 0 : rd32(b, v, false) | 0;
      const lo = le ? rd32(b, v, true) : rd32(b, v + 4, false);
      info.tsOffsetSec = hi * 4294967296 + lo;
    }
    off = opt.next;
  }
  return info;
}
