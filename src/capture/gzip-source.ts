// GzipSource: a ByteSource over a gzip file that stays synchronous for the readers. Inflation runs in a
// worker thread (gzip-worker.ts) with node:zlib's streaming Gunzip; the bytes cross a fixed-size
// SharedArrayBuffer ring and read() waits on it with Atomics.wait. Memory is bounded by the ring whatever
// the compression ratio, and inflation overlaps with parsing on a second core.

import { Worker } from 'node:worker_threads';
import { CaptureErrorCode, captureError } from './errors.js';
import type { ByteSource, SourceEndProblem } from './source.js';
import {
  CONSUMED_OFFSET,
  CTL_OFFSET,
  ErrKind,
  GZIP_WORKER_SOURCE,
  MSG_MAX,
  MSG_OFFSET,
  RING_OFFSET,
  Slot,
  State,
} from './gzip-worker.js';

/** Ring size: inflated bytes in flight between the worker and the reader. */
const RING_SIZE = 2 * 1024 * 1024;
/** Give up when the worker shows no progress for this long while the reader waits. */
const STALL_MS = 60_000;

/**
 * Tell the worker to stop: it notices within one wait period, closes its descriptor and exits (it is not
 * terminated from outside, so that it never dies holding the descriptor open).
 */
function signalClose(ctl: Int32Array): void {
  Atomics.store(ctl, Slot.CLOSE, 1);
  Atomics.notify(ctl, Slot.COUNT);
}

/** A source dropped without close() still stops its worker. */
const abandoned = new FinalizationRegistry<Int32Array>(signalClose);

export class GzipSource implements ByteSource {
  readonly path: string;
  readonly gzip = true;
  readonly size: number;
  private readonly ctl: Int32Array;
  private readonly consumedView: Float64Array;
  private readonly msg: Uint8Array;
  private readonly ring: Uint8Array;
  private readonly ringSize: number;
  private tail = 0;
  /** Inflated bytes handed out so far. */
  private produced = 0;
  private worker: Worker | null;
  private problem: SourceEndProblem | null = null;
  private ended = false;

  /**
   * Start inflating the file open on `fd`, which the worker takes over: from here on only the worker
   * reads and closes it (re-opening by path would not work for pipes). `prefix` holds bytes already taken
   * from a pipe.
   */
  constructor(path: string, fd: number, size: number, seekable: boolean, prefix: Uint8Array | null, ringSize = RING_SIZE) {
    this.path = path;
    this.size = size;
    this.ringSize = ringSize;
    const sab = new SharedArrayBuffer(RING_OFFSET + ringSize);
    this.ctl = new Int32Array(sab, CTL_OFFSET, 16);
    this.consumedView = new Float64Array(sab, CONSUMED_OFFSET, 1);
    this.msg = new Uint8Array(sab, MSG_OFFSET, MSG_MAX);
    this.ring = new Uint8Array(sab, RING_OFFSET, ringSize);
    this.worker = new Worker(GZIP_WORKER_SOURCE, {
      eval: true,
      workerData: { sab, fd, seekable, ringSize, prefix: prefix === null ? null : Uint8Array.from(prefix) },
      // the descriptor was opened by this thread and is closed by the worker: no per-thread fd tracking
      trackUnmanagedFds: false,
      // the worker needs a few MiB; a limit turns a runaway into a worker exit instead of a process abort
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
    });
    // never keep the process alive for it; failures surface through the shared state
    this.worker.unref();
    this.worker.on('error', () => undefined);
    abandoned.register(this, this.ctl, this);
  }

  read(buf: Uint8Array, off: number, len: number): number {
    if (this.ended || len <= 0) return 0;
    const ctl = this.ctl;
    let beat = Atomics.load(ctl, Slot.BEAT);
    let idleMs = 0;
    for (;;) {
      const count = Atomics.load(ctl, Slot.COUNT);
      if (count > 0) {
        const n = count < len ? count : len;
        const first = Math.min(n, this.ringSize - this.tail);
        buf.set(this.ring.subarray(this.tail, this.tail + first), off);
        if (n > first) buf.set(this.ring.subarray(0, n - first), off + first);
        this.tail = (this.tail + n) % this.ringSize;
        Atomics.sub(ctl, Slot.COUNT, n);
        Atomics.notify(ctl, Slot.COUNT);
        this.produced += n;
        return n;
      }
      const state = Atomics.load(ctl, Slot.STATE);
      if (state !== State.RUNNING) {
        if (Atomics.load(ctl, Slot.COUNT) > 0) continue; // data written just before the state changed
        this.finish(state);
        return 0;
      }
      if (Atomics.wait(ctl, Slot.COUNT, 0, 200) === 'timed-out') {
        const now = Atomics.load(ctl, Slot.BEAT);
        if (now !== beat) {
          beat = now;
          idleMs = 0;
        } else if ((idleMs += 200) >= STALL_MS) {
          this.close();
          throw captureError(CaptureErrorCode.GZIP_STALLED, `gzip inflater made no progress for ${STALL_MS / 1000} s`, this.path, this.produced, -1);
        }
      }
    }
  }

  private finish(state: number): void {
    this.ended = true;
    if (state === State.ERROR) {
      const kind = Atomics.load(this.ctl, Slot.ERRKIND);
      const text = Buffer.from(this.msg.subarray(0, Atomics.load(this.ctl, Slot.MSGLEN))).toString('utf8');
      if (kind === ErrKind.TRUNCATED) {
        this.problem = { code: CaptureErrorCode.GZIP_TRUNCATED, message: `gzip stream ends early after ${this.produced} inflated bytes (${text})` };
      } else if (kind === ErrKind.CORRUPT) {
        this.problem = { code: CaptureErrorCode.GZIP_CORRUPT, message: `corrupt gzip data after ${this.produced} inflated bytes (${text})` };
      } else {
        this.problem = { code: CaptureErrorCode.UNREADABLE, message: `cannot read: ${text}` };
      }
    }
    this.stopWorker();
  }

  consumed(): number {
    return this.consumedView[0]!;
  }

  endProblem(): SourceEndProblem | null {
    return this.problem;
  }

  private stopWorker(): void {
    if (this.worker === null) return;
    this.worker = null;
    signalClose(this.ctl);
    abandoned.unregister(this);
  }

  close(): void {
    this.ended = true;
    this.stopWorker();
  }
}
