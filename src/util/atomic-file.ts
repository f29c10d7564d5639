// Output files are written whole or not at all: data goes to a temporary name beside the target and is
// renamed over it on commit(); abort() (or a crash) leaves the target untouched and removes the temporary.

import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

function tempNameFor(target: string): string {
  counter++;
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${counter}.tmp`);
}

/** Streaming writer with commit/abort. Writes are synchronous into the temporary file. */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private fd: number;
  private done = false;
  bytesWritten = 0;

  constructor(target: string) {
    this.target = target;
    this.tempPath = tempNameFor(target);
    this.fd = fs.openSync(this.tempPath, 'w', 0o644);
  }

  write(chunk: Uint8Array, offset = 0, length = chunk.length - offset): void {
    if (this.done) throw new Error(`write after commit/abort: ${this.target}`);
    let written = 0;
    while (written < length) written += fs.writeSync(this.fd, chunk, offset + written, length - written);
    this.bytesWritten += length;
  }

  /** Flush, close and rename over the target. */
  commit(): void {
    if (this.done) return;
    this.done = true;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.tempPath, this.target);
  }

  /** Close and delete the temporary file; the target is left as it was. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      fs.closeSync(this.fd);
    } finally {
      fs.rmSync(this.tempPath, { force: true });
    }
  }
}

/** Write a whole file atomically. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const w = new AtomicFileWriter(target);
  try {
    w.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
}
