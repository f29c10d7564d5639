// Counter blocks: a fixed list of named counters in one Float64Array (exact integers up to 2^53), indexed
// by `as const` objects of small integers ({ FOUND: 0, INVALID: 1, ... }). One block per worker or stage,
// no atomics; blocks merge by addition and travel between threads as their plain values (Suricata's
// per-thread StatsCounter model).

/** An `as const` object mapping counter names to dense indices 0..n-1. */
export type CounterIndex = Readonly<Record<string, number>>;

/**
 * The names of a dense index object in index order. Throws a RangeError on gaps or duplicates (a
 * programming error, caught by the first test that builds the block).
 */
export function counterNames(index: CounterIndex): string[] {
  const keys = Object.keys(index);
  const names: string[] = new Array<string>(keys.length);
  for (const k of keys) {
    const i = index[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= keys.length || names[i] !== undefined) {
      throw new RangeError(`counter index "${k}" = ${i} is not a dense, unique index 0..${keys.length - 1}`);
    }
    names[i] = k;
  }
  return names;
}

export class CounterBlock {
  /** Counter names in index order (shared by every block of the same layout). */
  readonly names: readonly string[];
  /** The counters; index with the layout's constants. */
  readonly values: Float64Array;

  /** A zeroed block for `names`, optionally over existing memory (e.g. a SharedArrayBuffer). */
  constructor(names: readonly string[], buffer?: ArrayBufferLike, byteOffset = 0) {
    this.names = names;
    this.values = buffer === undefined ? new Float64Array(names.length) : new Float64Array(buffer, byteOffset, names.length);
  }

  /** A zeroed block laid out by an index object. */
  static of(index: CounterIndex): CounterBlock {
    return new CounterBlock(counterNames(index));
  }

  /** Add one. HOT. */
  inc(i: number): void {
    this.values[i]! += 1;
  }

  /** Add n. HOT. */
  add(i: number, n: number): void {
    this.values[i]! += n;
  }

  get(i: number): number {
    return this.values[i]!;
  }

  /** Value of a counter by name (reports; not for hot paths). Unknown names read as 0. */
  byName(name: string): number {
    const i = this.names.indexOf(name);
    return i < 0 ? 0 : this.values[i]!;
  }

  /** Add another block (or its plain values, e.g. a delta from a worker) into this one. */
  merge(other: CounterBlock | Float64Array): void {
    const v = other instanceof CounterBlock ? other.values : other;
    if (other instanceof CounterBlock && other.names !== this.names && !sameNames(other.names, this.names)) {
      throw new RangeError('cannot merge counter blocks with different layouts');
    }
    if (v.length !== this.values.length) throw new RangeError(`counter block length ${v.length} != ${this.values.length}`);
    for (let i = 0; i < v.length; i++) this.values[i]! += v[i]!;
  }

  /** Values accumulated since `prev` (a copy taken earlier with copyValues()). */
  deltaSince(prev: Float64Array): Float64Array {
    const d = new Float64Array(this.values.length);
    for (let i = 0; i < d.length; i++) d[i] = this.values[i]! - (prev[i] ?? 0);
    return d;
  }

  /** A copy of the values (transferable). */
  copyValues(): Float64Array {
    return this.values.slice();
  }

  reset(): void {
    this.values.fill(0);
  }

  /** A new block with the same layout and values. */
  clone(): CounterBlock {
    const c = new CounterBlock(this.names);
    c.values.set(this.values);
    return c;
  }

  /** name → value for reports and JSON; `nonZero` drops the zero counters. */
  snapshot(nonZero = false): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) {
      const v = this.values[i]!;
      if (!nonZero || v !== 0) out[this.names[i]!] = v;
    }
    return out;
  }
}

/** Sum of name → value snapshots (e.g. per-file or per-worker reports); missing names count as 0. */
export function mergeSnapshots(...snaps: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of snaps) for (const k of Object.keys(s)) out[k] = (out[k] ?? 0) + s[k]!;
  return out;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
