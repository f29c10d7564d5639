// What the pcap and pcapng readers share: the one record shape, the read context of a (possibly merged)
// stream — interface registry, warning log, strictness — and the cold paths around the end of the data:
// a clean end, a truncated final record (a warning, or an error with `strict`), gzip stream problems.

import { CaptureErrorCode, MAX_INTERFACES, WarningLog, captureError } from './errors.js';
import type { ChunkBuffer } from './chunk.js';
import type { CaptureCursor, CaptureInterface, CaptureRecord, CaptureWarning } from './types.js';

/** A fresh record with every field initialised (one shape for all readers). */
export function newRecord(): CaptureRecord {
  return {
    data: EMPTY,
    offset: 0,
    caplen: 0,
    origLen: 0,
    tsSec: 0,
    tsNsec: 0,
    linkType: 0,
    interfaceId: 0,
    ifIndex: -1,
    direction: 0,
    pktType: -1,
    fileIndex: 0,
    recordIndex: 0,
    fileOffset: 0,
    comment: null,
  };
}

const EMPTY = new Uint8Array(0);

/** Interfaces of one cursor, numbered in the order they are first described (unique across files). */
export class InterfaceRegistry {
  readonly list: CaptureInterface[] = [];

  /** Register an interface and give it the next id. Throws past MAX_INTERFACES. */
  add(iface: Omit<CaptureInterface, 'id'>, path: string, offset: number, record: number): CaptureInterface {
    if (this.list.length >= MAX_INTERFACES) {
      throw captureError(CaptureErrorCode.PCAPNG_TOO_MANY_INTERFACES, `more than ${MAX_INTERFACES} interfaces`, path, offset, record);
    }
    const full: CaptureInterface = {
      id: this.list.length,
      fileIndex: iface.fileIndex,
      section: iface.section,
      localId: iface.localId,
      linkType: iface.linkType,
      snaplen: iface.snaplen,
      name: iface.name,
      description: iface.description,
      tsUnitsPerSec: iface.tsUnitsPerSec,
      tsOffsetSec: iface.tsOffsetSec,
    };
    this.list.push(full);
    return full;
  }
}

/** State shared by every reader of one cursor. */
export class ReadContext {
  readonly interfaces = new InterfaceRegistry();
  readonly warnings = new WarningLog();
  readonly strict: boolean;

  constructor(strict: boolean) {
    this.strict = strict;
  }
}

/** Base of the per-file readers: construction, bookkeeping and the cold end-of-data paths. */
export abstract class FileReader implements CaptureCursor {
  readonly path: string;
  abstract readonly format: 'pcap' | 'pcapng';
  readonly gzip: boolean;
  protected readonly chunk: ChunkBuffer;
  protected readonly ctx: ReadContext;
  protected readonly fileIndex: number;
  /** The one record this reader hands out, refilled by next(). */
  protected readonly rec: CaptureRecord;
  /** Index of the next record (pcap record or pcapng packet block). */
  protected index = 0;
  protected done = false;

  constructor(chunk: ChunkBuffer, ctx: ReadContext, fileIndex: number) {
    this.chunk = chunk;
    this.ctx = ctx;
    this.fileIndex = fileIndex;
    this.path = chunk.source.path;
    this.gzip = chunk.source.gzip;
    this.rec = newRecord();
    this.rec.fileIndex = fileIndex;
  }

  abstract next(): CaptureRecord | null;

  interfaces(): readonly CaptureInterface[] {
    return this.ctx.interfaces.list;
  }

  get warnings(): readonly CaptureWarning[] {
    return this.ctx.warnings.list;
  }

  progress(): { bytes: number; total: number } {
    return { bytes: this.chunk.source.consumed(), total: this.chunk.source.size };
  }

  close(): void {
    this.done = true;
    this.chunk.source.close();
  }

  /** The file header is incomplete: the gzip stream's problem when there is one (its cause), else `code`. */
  protected headerError(code: string, message: string): Error {
    const problem = this.chunk.source.endProblem();
    if (problem !== null) return captureError(problem.code, problem.message, this.path, this.chunk.offset(), -1);
    return captureError(code, message, this.path, 0, -1);
  }

  protected warn(code: string, message: string, offset: number, record: number): void {
    this.ctx.warnings.add(code, message, this.path, offset, record);
  }

  /**
   * The data ended at the parse position, where `need` bytes were wanted for `what`. No bytes left is a
   * clean end; a partial record is a truncation. Returns null after a clean end or a tolerated
   * truncation; throws for gzip corruption and, with `strict`, for any truncation. Cold.
   */
  protected endOfData(need: number, what: string): null {
    const c = this.chunk;
    const offset = c.offset();
    const have = c.available();
    this.done = true;
    this.chunk.source.close();
    const problem = c.source.endProblem();
    if (problem !== null) {
      if (problem.code !== CaptureErrorCode.GZIP_TRUNCATED || this.ctx.strict) {
        throw captureError(problem.code, problem.message, this.path, offset, this.index);
      }
      this.warn(problem.code, problem.message, offset, this.index);
      return null;
    }
    if (have === 0) return null; // the data ended between records
    const msg = `${what} cut short: ${have} of ${need} bytes present at the end of the file`;
    if (this.ctx.strict) throw captureError(CaptureErrorCode.TRUNCATED_RECORD, msg, this.path, offset, this.index);
    this.warn(CaptureErrorCode.TRUNCATED_RECORD, msg, offset, this.index);
    return null;
  }
}
