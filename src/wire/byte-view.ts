// The part every header view shares: a buffer and the offset of the header's first byte in it. Views
// are reused across packets (reset() repoints them without copying), so the getters of a subclass read
// straight from the captured bytes.

const EMPTY = new Uint8Array(0);

export class ByteView {
  /** Buffer holding the header. */
  bytes: Uint8Array;
  /** Offset of the header's first byte in `bytes`. */
  off: number;

  constructor(bytes: Uint8Array = EMPTY, off = 0) {
    this.bytes = bytes;
    this.off = off;
  }

  /** Point the view at another header (no copy). HOT. */
  reset(bytes: Uint8Array, off: number): this {
    this.bytes = bytes;
    this.off = off;
    return this;
  }
}
