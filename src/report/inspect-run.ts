// Running `inspect` over capture files: each file is read once through openCapture() (bounded memory),
// its records accumulated into an InspectFileReport, and the files merged into a total. Progress goes to
// an optional callback (the CLI prints it when stderr is a terminal); failures are CaptureFormatErrors.

import * as fs from 'node:fs';
import { openCapture } from '../capture/open.js';
import type { CaptureCursor } from '../capture/types.js';
import { isDecodableLinkType, linkTypeName } from '../decode/linktypes.js';
import { FlowSet } from '../flow/flow-set.js';
import { InspectAccumulator, mergeStats, type InspectFileReport, type InspectInterface, type InspectReport } from './inspect.js';
import { tsResolutionName } from './inspect-names.js';

/** Where a long read has got to. */
export interface InspectProgress {
  path: string;
  fileIndex: number;
  files: number;
  packets: number;
  bytes: number;
  /** File size (compressed size for gzip), 0 when unknown. */
  total: number;
}

export interface InspectRunOptions {
  /** Truncated final records and similar damage fail instead of warning. */
  strict?: boolean;
  /** Exact flow counting up to this many flows per file (and in the total). */
  flowCap?: number;
  /** Checksums to verify (Verify.*, default all). */
  verify?: number;
  /** Called every `progressEvery` packets. */
  onProgress?: (p: InspectProgress) => void;
  progressEvery?: number;
}

/** Inspect every file; throws CaptureFormatError (with path, offset, record) for a file it cannot read. */
export function inspectCaptures(paths: readonly string[], opts: InspectRunOptions = {}): InspectReport {
  const totalFlows = new FlowSet(opts.flowCap);
  const files: InspectFileReport[] = [];
  for (let i = 0; i < paths.length; i++) files.push(inspectFile(paths[i]!, i, paths.length, totalFlows, opts));
  return { files, total: mergeStats(files, totalFlows.count()) };
}

function inspectFile(path: string, fileIndex: number, nFiles: number, totalFlows: FlowSet, opts: InspectRunOptions): InspectFileReport {
  const cursor: CaptureCursor = openCapture([path], { strict: opts.strict === true });
  try {
    const acc = new InspectAccumulator({ flowCap: opts.flowCap, verify: opts.verify, fileIndex });
    const every = opts.progressEvery ?? 1 << 16;
    const onProgress = opts.onProgress;
    let n = 0;
    for (let rec = cursor.next(); rec !== null; rec = cursor.next()) {
      acc.add(rec, totalFlows);
      if (onProgress !== undefined && ++n % every === 0) {
        const p = cursor.progress();
        onProgress({ path, fileIndex, files: nFiles, packets: n, bytes: p.bytes, total: p.total });
      }
    }
    const interfaces: InspectInterface[] = cursor.interfaces().map((itf) => ({
      id: itf.id,
      name: itf.name,
      description: itf.description,
      linkType: itf.linkType,
      linkTypeName: linkTypeName(itf.linkType),
      decodable: isDecodableLinkType(itf.linkType),
      snaplen: itf.snaplen,
      tsResolution: tsResolutionName(itf.tsUnitsPerSec),
      packets: acc.perInterface.get(itf.id) ?? 0,
    }));
    return {
      path,
      format: cursor.format,
      gzip: cursor.gzip,
      fileBytes: fileSize(path),
      interfaces,
      ifIndexes: [...acc.perIfIndex.entries()].sort((a, b) => a[0] - b[0]).map(([ifIndex, packets]) => ({ ifIndex, packets })),
      otherIfIndexPackets: acc.otherIfIndexPackets,
      warnings: cursor.warnings.map((w) => ({ ...w })),
      ...acc.stats(),
    };
  } finally {
    cursor.close();
  }
}

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}
