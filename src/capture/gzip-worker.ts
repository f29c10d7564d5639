// The gzip inflater thread: reads the compressed file, inflates it with node:zlib's streaming Gunzip and
// writes the bytes into a SharedArrayBuffer ring that GzipSource drains synchronously. Shipped as source
// text for `new Worker(..., { eval: true })` so that it runs the same from dist/ and from the TS sources.
// It blocks (Atomics.wait) while the ring is full, so at most one ring of inflated data exists at a time.

/** Int32 slots of the control block at the start of the shared buffer. */
export const Slot = {
  /** Bytes available in the ring (producer adds, consumer subtracts). */
  COUNT: 0,
  /** 0 running, 1 clean end, 2 ended with an error (ERRKIND). */
  STATE: 1,
  /** Set to 1 by the consumer to stop the worker. */
  CLOSE: 2,
  /** 1 truncated stream, 2 corrupt stream, 3 I/O error. */
  ERRKIND: 3,
  /** Incremented whenever the worker makes progress (stall detection). */
  BEAT: 4,
  /** Length of the error message at MSG_OFFSET. */
  MSGLEN: 5,
} as const;

export const State = { RUNNING: 0, END: 1, ERROR: 2 } as const;
export const ErrKind = { TRUNCATED: 1, CORRUPT: 2, IO: 3 } as const;

/** Byte layout of the shared buffer: control Int32s, a Float64 (compressed bytes read), message, ring. */
export const CTL_OFFSET = 0;
export const CONSUMED_OFFSET = 64;
export const MSG_OFFSET = 128;
export const MSG_MAX = 512;
export const RING_OFFSET = 1024;

/** Worker source (plain JS, CommonJS `require` is available to eval workers). */
export const GZIP_WORKER_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { sab, fd: ownedFd, seekable, ringSize, prefix } = workerData;
const ctl = new Int32Array(sab, ${CTL_OFFSET}, 16);
const consumedOut = new Float64Array(sab, ${CONSUMED_OFFSET}, 1);
const msg = new Uint8Array(sab, ${MSG_OFFSET}, ${MSG_MAX});
const ring = new Uint8Array(sab, ${RING_OFFSET}, ringSize);
const COUNT = ${Slot.COUNT}, STATE = ${Slot.STATE}, CLOSE = ${Slot.CLOSE}, ERRKIND = ${Slot.ERRKIND}, BEAT = ${Slot.BEAT}, MSGLEN = ${Slot.MSGLEN};
let head = 0;
let pos = prefix ? prefix.length : 0;
let done = false;
let fd = ownedFd;

function finish(kind, text) {
  if (done) return;
  done = true;
  if (fd >= 0) {
    try { fs.closeSync(fd); } catch (e) { /* nothing left to release */ }
    fd = -1;
  }
  if (kind !== 0) {
    const b = Buffer.from(String(text), 'utf8').subarray(0, ${MSG_MAX});
    msg.set(b);
    Atomics.store(ctl, MSGLEN, b.length);
    Atomics.store(ctl, ERRKIND, kind);
    Atomics.store(ctl, STATE, ${State.ERROR});
  } else {
    Atomics.store(ctl, STATE, ${State.END});
  }
  Atomics.notify(ctl, COUNT);
}

function closed() {
  return Atomics.load(ctl, CLOSE) !== 0;
}

// Copy one inflated chunk into the ring, waiting while it is full. False when the consumer went away.
function put(chunk) {
  let off = 0;
  while (off < chunk.length) {
    let count = Atomics.load(ctl, COUNT);
    while (count === ringSize) {
      if (closed()) return false;
      Atomics.wait(ctl, COUNT, ringSize, 250);
      count = Atomics.load(ctl, COUNT);
    }
    const n = Math.min(ringSize - count, chunk.length - off, ringSize - head);
    ring.set(chunk.subarray(off, off + n), head);
    head = (head + n) % ringSize;
    off += n;
    Atomics.add(ctl, COUNT, n);
    Atomics.add(ctl, BEAT, 1);
    Atomics.notify(ctl, COUNT);
  }
  return true;
}

const gz = zlib.createGunzip({ chunkSize: 128 * 1024 });
gz.on('data', (chunk) => {
  if (!put(chunk)) { finish(0, ''); gz.destroy(); }
});
gz.on('error', (e) => finish(e.code === 'Z_BUF_ERROR' ? ${ErrKind.TRUNCATED} : ${ErrKind.CORRUPT}, e.message));
gz.on('end', () => finish(0, ''));

function pump() {
  while (!done) {
    if (closed()) { finish(0, ''); gz.destroy(); return; }
    const chunk = Buffer.allocUnsafe(256 * 1024);
    let n;
    try {
      n = fs.readSync(fd, chunk, 0, chunk.length, seekable ? pos : null);
    } catch (e) {
      finish(${ErrKind.IO}, e.message);
      gz.destroy();
      return;
    }
    if (n === 0) { gz.end(); return; }
    pos += n;
    consumedOut[0] = pos;
    Atomics.add(ctl, BEAT, 1);
    if (!gz.write(chunk.subarray(0, n))) { gz.once('drain', pump); return; }
  }
}

try {
  if (prefix) gz.write(Buffer.from(prefix));
  pump();
} catch (e) {
  finish(${ErrKind.IO}, e && e.message ? e.message : String(e));
}
`;
