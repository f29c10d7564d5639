// Reading captures in time order when a multi-interface pcapng is not: some writers (dumpcap with several
// interfaces) store long runs of one interface's packets before the next's. Each interface's own packets
// are in order, so such a file is opened once per interface, each copy keeping only its interface, and the
// copies are merged by timestamp like separate files — exact order with bounded memory.

import { MergedCursor } from './merge.js';
import { openSourceReader } from './open.js';
import { ReadContext } from './reader-base.js';
import { openSource } from './source.js';
import type { CaptureCursor, CaptureInterface, CaptureRecord, CaptureWarning } from './types.js';

/** One copy of a file that yields only the records of the k-th interface the file describes. */
class InterfaceFilter implements CaptureCursor {
  readonly path: string;
  readonly format: 'pcap' | 'pcapng' | 'merged';
  readonly gzip: boolean;
  /** Global id of this copy's interface once described (-1 before). */
  private mine = -1;

  constructor(
    private readonly inner: CaptureCursor,
    private readonly fileIndex: number,
    private readonly k: number,
  ) {
    this.path = inner.path;
    this.format = inner.format;
    this.gzip = inner.gzip;
  }

  interfaces(): readonly CaptureInterface[] {
    return this.inner.interfaces();
  }

  get warnings(): readonly CaptureWarning[] {
    return this.inner.warnings;
  }

  next(): CaptureRecord | null {
    for (;;) {
      const r = this.inner.next();
      if (r === null) return null;
      if (this.mine < 0) this.resolve();
      if (r.interfaceId === this.mine) return r;
    }
  }

  private resolve(): void {
    let n = 0;
    for (const ci of this.inner.interfaces()) {
      if (ci.fileIndex !== this.fileIndex) continue;
      if (n++ === this.k) {
        this.mine = ci.id;
        return;
      }
    }
  }

  progress(): { bytes: number; total: number } {
    return this.inner.progress();
  }

  close(): void {
    this.inner.close();
  }
}

export interface SplitCapture {
  cursor: CaptureCursor;
  /** Original file index of every opened copy (records carry the copy's fileIndex). */
  origin: number[];
}

/**
 * Open `paths`, reading file i as `split[i]` per-interface copies when split[i] > 1 (its interface count),
 * else once. Records are merged by timestamp across every copy.
 */
export function openCaptureSplit(paths: readonly string[], split: readonly number[], strict: boolean): SplitCapture {
  const ctx = new ReadContext(strict);
  const cursors: CaptureCursor[] = [];
  const origin: number[] = [];
  try {
    paths.forEach((p, i) => {
      const copies = split[i] ?? 0;
      if (copies <= 1) {
        cursors.push(openSourceReader(openSource(p), ctx, cursors.length));
        origin.push(i);
        return;
      }
      for (let k = 0; k < copies; k++) {
        const fi = cursors.length;
        cursors.push(new InterfaceFilter(openSourceReader(openSource(p), ctx, fi), fi, k));
        origin.push(i);
      }
    });
  } catch (e) {
    for (const c of cursors) c.close();
    throw e;
  }
  return { cursor: new MergedCursor(cursors, ctx), origin };
}
