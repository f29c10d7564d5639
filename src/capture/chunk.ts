// ChunkBuffer: the large reused read buffer that capture records are parsed in place from. Records are
// views into it (CaptureRecord.data === buf); a record that straddles the end of the buffer is handled by
// compacting the unread tail to the front and reading more. Growth is capped, so memory stays bounded.

import type { ByteSource } from './source.js';

/** Default buffer size: refills (one read syscall or ring drain each) are rare, and it stays in the L2/L3 cache. */
export const DEFAULT_CHUNK = 1024 * 1024;

export class ChunkBuffer {
  /** The buffer; replaced only when a single record needs more than its size. */
  buf: Uint8Array;
  /** DataView over buf (V8 compiles its reads to single loads), replaced with it. */
  view: DataView;
  /** Parse position and end of valid data in buf. */
  pos = 0;
  end = 0;
  /** Offset in the (uncompressed) file of buf[0]. */
  base = 0;
  /** The source returned 0: no more data will come. */
  eof = false;
  readonly source: ByteSource;
  private readonly maxSize: number;

  constructor(source: ByteSource, size = DEFAULT_CHUNK, maxSize = 32 * 1024 * 1024) {
    this.source = source;
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.maxSize = Math.max(size, maxSize);
  }

  /** File offset of the parse position. */
  offset(): number {
    return this.base + this.pos;
  }

  /**
   * Make `n` bytes available at pos (n <= maxSize). Returns false when the data ends first; then
   * end - pos < n and eof is set. May move the data: re-read `buf` and `pos` after a call.
   */
  fill(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.eof) return false;
    if (n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < n) size *= 2;
      const grown = new Uint8Array(Math.min(size, Math.max(this.maxSize, n)));
      grown.set(this.buf.subarray(this.pos, this.end));
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    } else if (this.pos + n > this.buf.length) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    const buf = this.buf;
    while (this.end - this.pos < n) {
      const got = this.source.read(buf, this.end, buf.length - this.end);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.end += got;
    }
    return true;
  }

  /**
   * Advance pos by `n` bytes, reading through and discarding what is not buffered (for blocks too big
   * to hold). Returns false when the data ends first.
   */
  skip(n: number): boolean {
    const have = this.end - this.pos;
    if (have >= n) {
      this.pos += n;
      return true;
    }
    let left = n - have;
    this.base += this.end;
    this.pos = 0;
    this.end = 0;
    while (left > 0) {
      if (this.eof) return false;
      const got = this.source.read(this.buf, 0, this.buf.length);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      if (got > left) {
        this.pos = left;
        this.end = got;
        return true;
      }
      this.base += got;
      left -= got;
    }
    return true;
  }

  /** Bytes available at pos without reading. */
  available(): number {
    return this.end - this.pos;
  }
}
