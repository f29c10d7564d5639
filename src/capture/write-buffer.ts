// WriteBuffer: the large reused output buffer of the capture writers. Records are encoded straight into
// it and it goes to an AtomicFileWriter in big chunks, so the file appears whole on close() or not at
// all on abort().

import { AtomicFileWriter } from '../util/atomic-file.js';

const DEFAULT_SIZE = 1024 * 1024;

export class WriteBuffer {
  /** Output buffer; encode at `pos` after ensure(). A Buffer so strings can be written in place. */
  buf: Buffer;
  pos = 0;
  private readonly out: AtomicFileWriter;
  private closed = false;

  constructor(path: string, size = DEFAULT_SIZE) {
    this.out = new AtomicFileWriter(path);
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Make room for `n` bytes at pos (flushing, or growing for one oversized record). */
  ensure(n: number): void {
    if (this.closed) throw new Error(`write after close: ${this.out.target}`);
    if (this.buf.length - this.pos >= n) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }

  flush(): void {
    if (this.closed) throw new Error(`write after close: ${this.out.target}`);
    if (this.pos > 0) this.out.write(this.buf, 0, this.pos);
    this.pos = 0;
  }

  /** Bytes written so far, including those still buffered. */
  size(): number {
    return this.out.bytesWritten + this.pos;
  }

  /** Flush and rename the file into place. */
  commit(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.out.commit();
  }

  /** Discard everything; the target path is left as it was. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.abort();
  }
}
