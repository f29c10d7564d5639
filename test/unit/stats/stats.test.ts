// Counter blocks (layout from index objects, increments, merge by addition, deltas, snapshots, shared
// memory) and the histogram helpers (explicit range, clamping, percentiles, merge, encoded round trip).

import { describe, expect, it } from 'vitest';
import { CounterBlock, counterNames, mergeSnapshots } from '../../../src/stats/counters.js';
import { createHistogram, decodeHistogram, encodeHistogram, histogramSnapshot, mergeHistogram, recordClamped } from '../../../src/stats/histogram.js';

const Ct = { FOUND: 0, INVALID: 1, INSERT_FAILED: 2 } as const;

describe('CounterBlock', () => {
  it('lays counters out by an index object', () => {
    expect(counterNames(Ct)).toEqual(['FOUND', 'INVALID', 'INSERT_FAILED']);
    expect(() => counterNames({ A: 0, B: 2 })).toThrow(RangeError);
    expect(() => counterNames({ A: 0, B: 0 })).toThrow(RangeError);
    expect(() => counterNames({ A: 0.5 })).toThrow(RangeError);
  });

  it('counts, snapshots and reads by name', () => {
    const b = CounterBlock.of(Ct);
    b.inc(Ct.FOUND);
    b.inc(Ct.FOUND);
    b.add(Ct.INSERT_FAILED, 5);
    expect(b.get(Ct.FOUND)).toBe(2);
    expect(b.byName('INSERT_FAILED')).toBe(5);
    expect(b.byName('NOPE')).toBe(0);
    expect(b.snapshot()).toEqual({ FOUND: 2, INVALID: 0, INSERT_FAILED: 5 });
    expect(b.snapshot(true)).toEqual({ FOUND: 2, INSERT_FAILED: 5 });
  });

  it('merges by addition, from blocks or plain values, and refuses other layouts', () => {
    const a = CounterBlock.of(Ct);
    const b = CounterBlock.of(Ct);
    a.add(Ct.INVALID, 3);
    b.add(Ct.INVALID, 4);
    b.inc(Ct.FOUND);
    a.merge(b);
    a.merge(Float64Array.of(1, 1, 1));
    expect(a.snapshot()).toEqual({ FOUND: 2, INVALID: 8, INSERT_FAILED: 1 });
    expect(() => a.merge(CounterBlock.of({ X: 0, Y: 1, Z: 2 }))).toThrow(RangeError);
    expect(() => a.merge(Float64Array.of(1))).toThrow(RangeError);
  });

  it('deltas since a copy, clone and reset', () => {
    const a = CounterBlock.of(Ct);
    a.add(Ct.FOUND, 10);
    const before = a.copyValues();
    a.add(Ct.FOUND, 2);
    a.inc(Ct.INVALID);
    expect(Array.from(a.deltaSince(before))).toEqual([2, 1, 0]);
    const c = a.clone();
    a.reset();
    expect(Array.from(a.values)).toEqual([0, 0, 0]);
    expect(c.get(Ct.FOUND)).toBe(12);
  });

  it('can live in a SharedArrayBuffer', () => {
    const sab = new SharedArrayBuffer(8 * 8);
    const a = new CounterBlock(counterNames(Ct), sab, 16);
    a.add(Ct.INSERT_FAILED, 7);
    expect(new Float64Array(sab)[4]).toBe(7);
  });

  it('mergeSnapshots sums name by name', () => {
    expect(mergeSnapshots({ a: 1, b: 2 }, { b: 3, c: 4 }, {})).toEqual({ a: 1, b: 5, c: 4 });
  });
});

describe('histograms', () => {
  it('validates the range', () => {
    expect(() => createHistogram({ lowest: 0, highest: 100 })).toThrow(RangeError);
    expect(() => createHistogram({ lowest: 10, highest: 15 })).toThrow(RangeError);
  });

  it('records 1..1000 and reports exact percentiles at 3 significant digits', () => {
    const h = createHistogram({ lowest: 1, highest: 1_000_000 });
    for (let v = 1; v <= 1000; v++) h.recordValue(v);
    expect(histogramSnapshot(h)).toEqual({ count: 1000, min: 1, max: 1000, mean: 500.5, p50: 500, p90: 900, p99: 990, p999: 999 });
  });

  it('clamps values outside the range instead of throwing', () => {
    const h = createHistogram({ lowest: 1, highest: 1000 });
    expect(recordClamped(h, 5000)).toBe(true);
    expect(recordClamped(h, -3)).toBe(true);
    expect(recordClamped(h, 12.4)).toBe(false);
    const s = histogramSnapshot(h);
    expect(s.count).toBe(3);
    expect(s.max).toBe(1000);
  });

  it('an empty histogram snapshots to zeros', () => {
    expect(histogramSnapshot(createHistogram({ lowest: 1, highest: 100 }))).toEqual({ count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0 });
  });

  it('merges and survives the encoded form', () => {
    const a = createHistogram({ lowest: 1, highest: 100000 });
    const b = createHistogram({ lowest: 1, highest: 100000 });
    for (let i = 0; i < 100; i++) a.recordValue(10);
    for (let i = 0; i < 100; i++) b.recordValue(30);
    mergeHistogram(a, decodeHistogram(encodeHistogram(b)));
    const s = histogramSnapshot(a);
    expect([s.count, s.min, s.max, s.p50, s.mean]).toEqual([200, 10, 30, 10, 20]);
  });
});
