// MergedCursor: several capture files as one stream ordered by timestamp, as mergecap does. Each file
// keeps its own order; the heads of the files are kept in a binary min-heap keyed (tsSec, tsNsec,
// fileIndex), so ties go to the earlier file. Records are not copied: every file reader keeps its record
// valid until its own next(), and a file is advanced only after its record has been handed out.

import type { ReadContext } from './reader-base.js';
import type { CaptureCursor, CaptureInterface, CaptureRecord, CaptureWarning } from './types.js';

export class MergedCursor implements CaptureCursor {
  readonly path: string;
  readonly format = 'merged' as const;
  readonly gzip: boolean;
  private readonly files: CaptureCursor[];
  private readonly ctx: ReadContext;
  /** Current record of each file (null once the file has ended). */
  private readonly heads: (CaptureRecord | null)[];
  /** Min-heap of file indexes with a head record. */
  private readonly heap: Int32Array;
  private size = 0;
  private started = false;
  /** File whose record was handed out last and must be advanced first (-1: none). */
  private pending = -1;

  /** `files[i]` must have been opened with fileIndex i on the shared context `ctx`. */
  constructor(files: CaptureCursor[], ctx: ReadContext) {
    this.files = files;
    this.ctx = ctx;
    this.path = files.map((f) => f.path).join(',');
    this.gzip = files.some((f) => f.gzip);
    this.heads = files.map(() => null);
    this.heap = new Int32Array(files.length);
  }

  interfaces(): readonly CaptureInterface[] {
    return this.ctx.interfaces.list;
  }

  get warnings(): readonly CaptureWarning[] {
    return this.ctx.warnings.list;
  }

  /** Next record in timestamp order. HOT. */
  next(): CaptureRecord | null {
    if (!this.started) this.start();
    const f = this.pending;
    if (f >= 0) {
      const rec = this.files[f]!.next();
      this.heads[f] = rec;
      if (rec !== null) this.siftDown(0);
      else this.removeTop();
      this.pending = -1;
    }
    if (this.size === 0) return null;
    const top = this.heap[0]!;
    this.pending = top;
    return this.heads[top]!;
  }

  private start(): void {
    this.started = true;
    for (let i = 0; i < this.files.length; i++) {
      const rec = this.files[i]!.next();
      this.heads[i] = rec;
      if (rec !== null) {
        this.heap[this.size] = i;
        this.siftUp(this.size++);
      }
    }
  }

  /** True when file a's head comes before file b's. HOT. */
  private before(a: number, b: number): boolean {
    const ra = this.heads[a]!;
    const rb = this.heads[b]!;
    if (ra.tsSec !== rb.tsSec) return ra.tsSec < rb.tsSec;
    if (ra.tsNsec !== rb.tsNsec) return ra.tsNsec < rb.tsNsec;
    return a < b;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      const t = h[i]!;
      h[i] = h[parent]!;
      h[parent] = t;
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      let m = l;
      if (l + 1 < n && this.before(h[l + 1]!, h[l]!)) m = l + 1;
      if (!this.before(h[m]!, h[i]!)) return;
      const t = h[i]!;
      h[i] = h[m]!;
      h[m] = t;
      i = m;
    }
  }

  private removeTop(): void {
    this.size--;
    if (this.size > 0) {
      this.heap[0] = this.heap[this.size]!;
      this.siftDown(0);
    }
  }

  progress(): { bytes: number; total: number } {
    let bytes = 0;
    let total = 0;
    for (const f of this.files) {
      const p = f.progress();
      bytes += p.bytes;
      total += p.total;
    }
    return { bytes, total };
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}
