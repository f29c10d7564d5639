// Histograms over hdr-histogram-js with explicit settings: integer units (ns per packet, µs latency, rules
// traversed), a fixed lowest/highest range and no auto-resize, so every worker's histogram has the same
// shape and merges exactly. Values outside the range are clamped and counted, never thrown.

import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

/** How a histogram is built: values are integers in [lowest, highest], `digits` significant digits. */
export interface HistogramSpec {
  lowest: number;
  highest: number;
  /** Significant decimal digits kept (default 3: 0.1% relative error). */
  digits?: 1 | 2 | 3 | 4 | 5;
}

/** Percentiles and totals of a histogram, as plain numbers for reports and JSON. */
export interface HistogramSnapshot {
  count: number;
  /** Smallest non-zero value recorded (0 when empty). */
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

/** A histogram built exactly as `spec` says (validated: a bad spec is a programming error). */
export function createHistogram(spec: HistogramSpec): Histogram {
  const { lowest, highest } = spec;
  if (!Number.isInteger(lowest) || lowest < 1) throw new RangeError(`histogram lowest must be an integer >= 1, got ${lowest}`);
  if (!Number.isInteger(highest) || highest < 2 * lowest) throw new RangeError(`histogram highest must be an integer >= 2 * lowest, got ${highest}`);
  return hdr.build({
    lowestDiscernibleValue: lowest,
    highestTrackableValue: highest,
    numberOfSignificantValueDigits: spec.digits ?? 3,
    autoResize: false,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

/** Record `value` (rounded to an integer, clamped to [0, highest]); returns true when it had to be clamped. */
export function recordClamped(h: Histogram, value: number): boolean {
  let v = Math.round(value);
  let clamped = false;
  if (!(v >= 0)) {
    v = 0;
    clamped = true;
  } else if (v > h.highestTrackableValue) {
    v = h.highestTrackableValue;
    clamped = true;
  }
  h.recordValue(v);
  return clamped;
}

export function histogramSnapshot(h: Histogram): HistogramSnapshot {
  const count = h.totalCount;
  return {
    count,
    min: count === 0 ? 0 : h.minNonZeroValue,
    max: count === 0 ? 0 : h.maxValue,
    mean: count === 0 ? 0 : h.mean,
    p50: count === 0 ? 0 : h.getValueAtPercentile(50),
    p90: count === 0 ? 0 : h.getValueAtPercentile(90),
    p99: count === 0 ? 0 : h.getValueAtPercentile(99),
    p999: count === 0 ? 0 : h.getValueAtPercentile(99.9),
  };
}

/** Add `from` into `into` (both built from the same spec). */
export function mergeHistogram(into: Histogram, from: Histogram): void {
  into.add(from);
}

/** Compact, cloneable form (the HdrHistogram compressed base64 encoding) for crossing worker boundaries. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}
