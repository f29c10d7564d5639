// The stable error and warning codes of capture input, and the bounded log that collects warnings.
// Every code names one way a capture file can be wrong; messages may change, codes do not. Errors carry
// the path, the byte offset (uncompressed, for gzip input) and the record index where the problem sits.

import { CaptureFormatError } from '../util/errors.js';
import type { CaptureWarning } from './types.js';

/** Stable codes of CaptureFormatError (and of CaptureWarning for the non-fatal ones). */
export const CaptureErrorCode = {
  /** The path does not exist. */
  NOT_FOUND: 'ERR_CAPTURE_NOT_FOUND',
  /** The path is a directory. */
  IS_DIRECTORY: 'ERR_CAPTURE_IS_DIRECTORY',
  /** The file exists but cannot be opened or read (permissions, I/O error). */
  UNREADABLE: 'ERR_CAPTURE_UNREADABLE',
  /** The file (or the gzip stream's content) has zero bytes. */
  EMPTY: 'ERR_CAPTURE_EMPTY',
  /** Neither a pcap magic nor a pcapng section header. */
  BAD_MAGIC: 'ERR_CAPTURE_BAD_MAGIC',
  /** A record claims more than MAX_CAPLEN captured bytes. */
  CAPLEN_TOO_BIG: 'ERR_CAPTURE_CAPLEN_TOO_BIG',
  /** The last record (or block) is cut short: a warning, or an error with `strict`. */
  TRUNCATED_RECORD: 'ERR_CAPTURE_TRUNCATED_RECORD',
  /** Warning: a record captured more bytes than the file's (or interface's) snaplen. */
  CAPLEN_ABOVE_SNAPLEN: 'WARN_CAPTURE_CAPLEN_ABOVE_SNAPLEN',

  /** The 24-byte pcap file header is incomplete. */
  PCAP_TRUNCATED_HEADER: 'ERR_PCAP_TRUNCATED_HEADER',
  /** pcap major version is not 2. */
  PCAP_BAD_VERSION: 'ERR_PCAP_BAD_VERSION',

  /** The first section header block is incomplete. */
  PCAPNG_TRUNCATED_HEADER: 'ERR_PCAPNG_TRUNCATED_HEADER',
  /** The SHB byte-order magic is neither 0x1A2B3C4D nor its swap. */
  PCAPNG_BAD_BYTE_ORDER: 'ERR_PCAPNG_BAD_BYTE_ORDER',
  /** A block's total length is too small, not a multiple of 4, or differs from its trailing copy. */
  PCAPNG_BLOCK_LENGTH: 'ERR_PCAPNG_BLOCK_LENGTH',
  /** A block is larger than MAX_BLOCK bytes. */
  PCAPNG_BLOCK_TOO_BIG: 'ERR_PCAPNG_BLOCK_TOO_BIG',
  /** A packet block names an interface id that its section never described. */
  PCAPNG_UNKNOWN_INTERFACE: 'ERR_PCAPNG_UNKNOWN_INTERFACE',
  /** An option runs past the end of its block. */
  PCAPNG_OPTION_LENGTH: 'ERR_PCAPNG_OPTION_LENGTH',
  /** if_tsresol cannot be represented (10^-n with n > 18, 2^-n with n > 63). */
  PCAPNG_BAD_TSRESOL: 'ERR_PCAPNG_BAD_TSRESOL',
  /** A section header with a version other than 1.x: error with `strict`, else a warning and the section is skipped. */
  PCAPNG_UNSUPPORTED_VERSION: 'ERR_PCAPNG_UNSUPPORTED_VERSION',
  /** More than MAX_INTERFACES interface descriptions in one stream. */
  PCAPNG_TOO_MANY_INTERFACES: 'ERR_PCAPNG_TOO_MANY_INTERFACES',

  /** The gzip stream is corrupt (bad header, bad deflate data, CRC or length mismatch, trailing garbage). */
  GZIP_CORRUPT: 'ERR_GZIP_CORRUPT',
  /** The gzip stream ends early: a warning (the stream ends there), or an error with `strict`. */
  GZIP_TRUNCATED: 'ERR_GZIP_TRUNCATED',
  /** The decompressor stopped producing data (it died or the file stalled). */
  GZIP_STALLED: 'ERR_GZIP_STALLED',
} as const;

/** Largest captured length accepted per record (libpcap's MAXIMUM_SNAPLEN). */
export const MAX_CAPLEN = 262144;
/** Largest pcapng block parsed in memory (Wireshark's MAX_BLOCK_SIZE); bigger unknown blocks are skipped. */
export const MAX_BLOCK = 16 * 1024 * 1024;
/** Largest number of interfaces one cursor describes (bounds memory on hostile files). */
export const MAX_INTERFACES = 65536;

/** Build a CaptureFormatError at a location; `record` < 0 means before any record (file header). Cold. */
export function captureError(code: string, message: string, path: string, offset: number, record: number): CaptureFormatError {
  return record >= 0 ? new CaptureFormatError(code, message, { path, offset, record }) : new CaptureFormatError(code, message, { path, offset });
}

/** Distinct warnings kept per cursor; repeats of a (code, path) pair only increase its count. */
const MAX_DISTINCT_WARNINGS = 64;

/**
 * Warnings of one cursor (shared by the readers of a merged stream). Bounded: the first occurrence of
 * each (code, path) is kept with its location, later ones only increase `count`.
 */
export class WarningLog {
  readonly list: CaptureWarning[] = [];
  /** Occurrences not kept because MAX_DISTINCT_WARNINGS was reached. */
  dropped = 0;

  /**
   * Count another occurrence of (code, path) when it was seen before; false when it is new (then call
   * add() with its message). Lets callers skip formatting messages for repeats.
   */
  repeat(code: string, path: string): boolean {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const w = list[i]!;
      if (w.code === code && w.path === path) {
        w.count = (w.count ?? 1) + 1;
        return true;
      }
    }
    if (list.length >= MAX_DISTINCT_WARNINGS) {
      this.dropped++;
      return true;
    }
    return false;
  }

  add(code: string, message: string, path: string, offset: number, record: number): void {
    if (!this.repeat(code, path)) this.list.push({ code, message, path, offset, record, count: 1 });
  }
}
