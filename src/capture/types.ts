// The one cursor interface every capture reader implements (pcap, pcapng, gzip-wrapped, merged), and the
// reused record it hands out. A record is valid until the next call to next(): readers reuse buffers.

/** LINKTYPE_* values nfreplay knows by name (tcpdump.org/linktypes.html). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_OPENBSD_12: 12, // DLT_RAW on some BSDs
  RAW_BSDOS_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;
export type LinkTypeNumber = number;

/** Packet direction as in pcapng epb_flags bits 0-1: 0 unknown, 1 inbound, 2 outbound. */
export const Direction = { UNKNOWN: 0, INBOUND: 1, OUTBOUND: 2 } as const;

/** One interface of a capture (pcapng IDB, or the single implicit interface of a classic pcap). */
export interface CaptureInterface {
  /** Index of this interface in the merged stream (unique across files and sections). */
  id: number;
  fileIndex: number;
  /** pcapng section number within the file (0 for classic pcap). */
  section: number;
  /** Interface id within its section (the EPB interface_id). */
  localId: number;
  linkType: number;
  snaplen: number;
  /** if_name / if_description when present. */
  name: string | null;
  description: string | null;
  /** Timestamp units per second (1e6 for µs, 1e9 for ns, 256 for 2^-8 ...). */
  tsUnitsPerSec: number;
  /** if_tsoffset in seconds (0 when absent). */
  tsOffsetSec: number;
}

/** The record a cursor yields. Reused: copy what you need before the next call. */
export interface CaptureRecord {
  /** Buffer that holds the frame at [offset, offset + caplen). */
  data: Uint8Array;
  offset: number;
  caplen: number;
  /** Original length on the wire (>= caplen when snapped). */
  origLen: number;
  /** Timestamp, exact: whole seconds since the epoch and nanoseconds within the second. */
  tsSec: number;
  tsNsec: number;
  linkType: number;
  /** CaptureInterface.id of the interface the frame was captured on. */
  interfaceId: number;
  /** Interface index carried by the frame itself (SLL2 ifindex), or -1. */
  ifIndex: number;
  /** Direction (see Direction): pcapng epb_flags, or derived from SLL/SLL2 packet type. */
  direction: number;
  /** SLL/SLL2 packet type (0 host, 1 broadcast, 2 multicast, 3 otherhost, 4 outgoing), or -1. */
  pktType: number;
  /** Index of the input file in a merged stream (0 for a single file). */
  fileIndex: number;
  /** 0-based index of this record in its file (pcap record / pcapng packet block). */
  recordIndex: number;
  /** Byte offset of the record header in its (uncompressed) file. */
  fileOffset: number;
  /** opt_comment of the packet block, or null. */
  comment: string | null;
}

/** A non-fatal problem (caplen above snaplen, truncated final record without --strict...). */
export interface CaptureWarning {
  code: string;
  message: string;
  path: string;
  offset: number;
  record: number;
  /** How many times this warning occurred in this file (the location is the first occurrence's). */
  count?: number;
}

/** Streaming reader: bounded memory whatever the file size. */
export interface CaptureCursor {
  readonly path: string;
  /** 'pcap' | 'pcapng' for one file, 'merged' for several; gzip is reported separately (any file). */
  readonly format: 'pcap' | 'pcapng' | 'merged';
  readonly gzip: boolean;
  /** Interfaces seen so far (pcapng may describe more as it goes). */
  interfaces(): readonly CaptureInterface[];
  /** Next record, or null at the end. Throws CaptureFormatError on a malformed file. */
  next(): CaptureRecord | null;
  /** Warnings collected so far. */
  readonly warnings: readonly CaptureWarning[];
  /** Bytes consumed so far (for progress), and total size when known (compressed size for gzip). */
  progress(): { bytes: number; total: number };
  close(): void;
}
