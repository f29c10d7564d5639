// A DataView over the frame buffer, cached per buffer: one big-endian 16/32-bit load per field instead of
// two or four byte loads (each with its own bounds check). A new view is made only when decoding moves to
// another buffer (capture readers hand out the same chunk buffer for many records).

const EMPTY = new Uint8Array(0);
let viewBytes: Uint8Array = EMPTY;
let view: DataView = new DataView(EMPTY.buffer, 0, 0);

/**
 * The DataView over exactly the bytes of `b` (offsets into `b` are offsets into the view). Callers read
 * only inside bounds they checked against b.length: DataView throws where Uint8Array would not. HOT.
 */
export function viewOf(b: Uint8Array): DataView {
  if (b !== viewBytes) {
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewBytes = b;
  }
  return view;
}

/**
 * Make `v` (a DataView over exactly the bytes of `b`) the cached view, so that decoding a buffer the
 * caller owns long-term (a packet of the replay pool) allocates no view. HOT.
 */
export function bindView(b: Uint8Array, v: DataView): void {
  viewBytes = b;
  view = v;
}
