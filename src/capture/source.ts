// Byte sources under the capture readers: a plain file read with fs.readSync (pread on regular files,
// sequential reads on pipes), or a gzip stream (gzip-source.ts). openSource() turns a path into one,
// with clear errors for a missing path, a directory, an unreadable or zero-length file.

import * as fs from 'node:fs';
import { CaptureErrorCode, captureError } from './errors.js';
import { GzipSource } from './gzip-source.js';

/** A problem found where the data ended (only gzip streams have these). */
export interface SourceEndProblem {
  /** CaptureErrorCode.GZIP_TRUNCATED or GZIP_CORRUPT. */
  code: string;
  message: string;
}

/** Sequential bytes of one capture file, uncompressed. */
export interface ByteSource {
  readonly path: string;
  /** True when the file is gzip-compressed (read() returns the inflated bytes). */
  readonly gzip: boolean;
  /** Size of the file on disk (compressed size for gzip), 0 when unknown (pipes). */
  readonly size: number;
  /** Read up to `len` bytes into `buf` at `off`; returns how many, 0 at the end. Blocks until data or end. */
  read(buf: Uint8Array, off: number, len: number): number;
  /** Bytes of the file on disk consumed so far (compressed bytes for gzip). */
  consumed(): number;
  /** After read() returned 0: why the data ended early, or null for a clean end. */
  endProblem(): SourceEndProblem | null;
  close(): void;
}

/** A file read with fs.readSync: pread at explicit positions for regular files, sequential otherwise. */
export class FileSource implements ByteSource {
  readonly path: string;
  readonly gzip = false;
  readonly size: number;
  private fd: number;
  private readonly seekable: boolean;
  private pos: number;
  /** Bytes already read from a pipe while sniffing, served before the pipe. */
  private prefix: Uint8Array | null;

  constructor(path: string, fd: number, size: number, seekable: boolean, prefix: Uint8Array | null) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.seekable = seekable;
    this.pos = prefix === null ? 0 : prefix.length;
    this.prefix = prefix !== null && prefix.length > 0 ? prefix : null;
  }

  read(buf: Uint8Array, off: number, len: number): number {
    if (this.fd < 0 || len <= 0) return 0;
    const pre = this.prefix;
    if (pre !== null) {
      const n = Math.min(len, pre.length);
      buf.set(pre.subarray(0, n), off);
      this.prefix = n < pre.length ? pre.subarray(n) : null;
      return n;
    }
    let n: number;
    try {
      n = fs.readSync(this.fd, buf, off, len, this.seekable ? this.pos : null);
    } catch (e) {
      throw captureError(CaptureErrorCode.UNREADABLE, `cannot read: ${(e as Error).message}`, this.path, this.pos, -1);
    }
    this.pos += n;
    return n;
  }

  consumed(): number {
    return this.pos;
  }

  endProblem(): SourceEndProblem | null {
    return null;
  }

  close(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      fs.closeSync(fd);
    }
  }
}

function openError(e: unknown, path: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return captureError(CaptureErrorCode.NOT_FOUND, 'no such file', path, 0, -1);
  if (code === 'EISDIR') return captureError(CaptureErrorCode.IS_DIRECTORY, 'is a directory, not a capture file', path, 0, -1);
  return captureError(CaptureErrorCode.UNREADABLE, `cannot open: ${(e as Error).message}`, path, 0, -1);
}

/**
 * Open a capture file as a ByteSource, inflating it transparently when it starts with the gzip magic
 * (1f 8b). Throws CaptureFormatError: ERR_CAPTURE_NOT_FOUND, _IS_DIRECTORY, _UNREADABLE, _EMPTY.
 */
export function openSource(path: string): ByteSource {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    throw openError(e, path);
  }
  if (st.isDirectory()) throw captureError(CaptureErrorCode.IS_DIRECTORY, 'is a directory, not a capture file', path, 0, -1);
  const seekable = st.isFile();
  if (seekable && st.size === 0) throw captureError(CaptureErrorCode.EMPTY, 'the file is empty (0 bytes)', path, 0, -1);
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw openError(e, path);
  }
  // sniff two bytes: pread on a regular file (nothing consumed), a read kept as prefix on a pipe
  const head = new Uint8Array(2);
  let got = 0;
  try {
    if (seekable) got = fs.readSync(fd, head, 0, 2, 0);
    else while (got < 2) {
      const n = fs.readSync(fd, head, got, 2 - got, null);
      if (n === 0) break;
      got += n;
    }
  } catch (e) {
    fs.closeSync(fd);
    throw openError(e, path);
  }
  if (got === 0) {
    fs.closeSync(fd);
    throw captureError(CaptureErrorCode.EMPTY, 'the file is empty (0 bytes)', path, 0, -1);
  }
  const prefix = seekable ? null : head.subarray(0, got);
  if (got === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    // the gzip worker takes the descriptor over: it alone reads and closes it
    return new GzipSource(path, fd, seekable ? st.size : 0, seekable, prefix);
  }
  return new FileSource(path, fd, seekable ? st.size : 0, seekable, prefix);
}
