// openCapture(): the one entry point to read captures. It opens each path (gzip detected by magic),
// picks the pcap or pcapng reader from the first bytes, and merges several files by timestamp. Failures
// are CaptureFormatErrors naming the path, byte offset and record.

import { CaptureFormatError, UsageError } from '../util/errors.js';
import { ChunkBuffer, DEFAULT_CHUNK } from './chunk.js';
import { CaptureErrorCode, captureError } from './errors.js';
import { MergedCursor } from './merge.js';
import { isPcapMagic, PcapMagic, PcapReader } from './pcap.js';
import { BlockType } from './pcapng-blocks.js';
import { PcapngReader } from './pcapng.js';
import { ReadContext } from './reader-base.js';
import { openSource, type ByteSource } from './source.js';
import type { CaptureCursor } from './types.js';

export interface OpenCaptureOptions {
  /** Truncated final records, truncated gzip streams and unknown pcapng section versions become errors. */
  strict?: boolean;
  /** Read buffer size per file in bytes (default 4 MiB). */
  chunkSize?: number;
}

/** The kind of capture the first four bytes announce, or null. */
export function sniffFormat(b: Uint8Array, off: number): 'pcap' | 'pcapng' | null {
  const m = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  if (isPcapMagic(m)) return 'pcap';
  if (m === BlockType.SHB) return 'pcapng';
  return null;
}

function badMagic(chunk: ChunkBuffer, path: string): CaptureFormatError {
  const b = chunk.buf;
  const p = chunk.pos;
  const n = Math.min(4, chunk.available());
  let hex = '';
  for (let i = 0; i < n; i++) hex += b[p + i]!.toString(16).padStart(2, '0');
  const m = n === 4 ? ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0 : -1;
  const why =
    m === PcapMagic.KUZNETZOV || m === PcapMagic.KUZNETZOV_SWAPPED
      ? 'modified (Kuznetzov) pcap is not supported; convert it with editcap -F pcap'
      : n < 4
        ? `only ${n} byte(s) of data`
        : 'neither a pcap nor a pcapng file';
  return captureError(CaptureErrorCode.BAD_MAGIC, `${why} (starts with ${hex || 'nothing'})`, path, 0, -1);
}

/**
 * Open one source as a reader on a shared context. Takes ownership of `source` (closed on failure).
 * Exposed for tests and tools that produce bytes themselves; most callers use openCapture().
 */
export function openSourceReader(source: ByteSource, ctx: ReadContext, fileIndex: number, chunkSize = DEFAULT_CHUNK): PcapReader | PcapngReader {
  try {
    const chunk = new ChunkBuffer(source, chunkSize);
    if (!chunk.fill(4)) {
      // a gzip stream that ends or breaks before 4 bytes: its problem is the cause
      const problem = source.endProblem();
      if (problem !== null) throw captureError(problem.code, problem.message, source.path, 0, -1);
      if (chunk.available() === 0) {
        throw captureError(CaptureErrorCode.EMPTY, source.gzip ? 'the gzip stream holds no data' : 'the file is empty (0 bytes)', source.path, 0, -1);
      }
      throw badMagic(chunk, source.path);
    }
    const kind = sniffFormat(chunk.buf, chunk.pos);
    if (kind === 'pcap') return new PcapReader(chunk, ctx, fileIndex);
    if (kind === 'pcapng') return new PcapngReader(chunk, ctx, fileIndex);
    throw badMagic(chunk, source.path);
  } catch (e) {
    source.close();
    throw e;
  }
}

/**
 * Open one or more capture files (pcap, pcapng, either gzip-compressed) as one streaming cursor. Several
 * files are merged by timestamp (ties: file order); every record keeps its fileIndex and interface.
 * Throws CaptureFormatError for unreadable or malformed files, UsageError for an empty path list.
 */
export function openCapture(paths: string[], opts: OpenCaptureOptions = {}): CaptureCursor {
  if (paths.length === 0) throw new UsageError('no capture file given');
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 65536) throw new UsageError('options.chunkSize must be an integer of at least 65536');
  const ctx = new ReadContext(opts.strict === true);
  const files: CaptureCursor[] = [];
  try {
    for (let i = 0; i < paths.length; i++) files.push(openSourceReader(openSource(paths[i]!), ctx, i, chunkSize));
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
  return files.length === 1 ? files[0]! : new MergedCursor(files, ctx);
}
