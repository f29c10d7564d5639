// Unsigned 64-bit integers kept as two u32 words of a Uint32Array (low word at i, high word at i + 1), with
// C's u64 wrap-around. The per-packet credit arithmetic of `-m hashlimit` needs exact 64-bit values (credits
// reach 2^63 and wrap) and BigInt allocates, so the hot path works on these words instead. Every operation
// reads its operands before writing, so the destination may be one of them.

const TWO32 = 4294967296;

/** w[i..i+1] = hi * 2^32 + lo. */
export function set64(w: Uint32Array, i: number, hi: number, lo: number): void {
  w[i] = lo;
  w[i + 1] = hi;
}

/** w[i..i+1] = v mod 2^64. Load time only (BigInt). */
export function setBig64(w: Uint32Array, i: number, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  w[i] = Number(u & 0xffffffffn);
  w[i + 1] = Number(u >> 32n);
}

/** The value of w[i..i+1] as a bigint (tests and load time). */
export function big64(w: Uint32Array, i: number): bigint {
  return (BigInt(w[i + 1]!) << 32n) | BigInt(w[i]!);
}

/** w[i..i+1] = n mod 2^64 for a safe integer n (a negative n wraps as C's unsigned conversion does). */
export function setInt64(w: Uint32Array, i: number, n: number): void {
  const m = n < 0 ? -n : n;
  const lo = m % TWO32;
  const hi = Math.floor(m / TWO32);
  if (n >= 0) {
    w[i] = lo;
    w[i + 1] = hi;
  } else if (lo === 0) {
    w[i] = 0;
    w[i + 1] = (TWO32 - hi) % TWO32;
  } else {
    w[i] = TWO32 - lo;
    w[i + 1] = TWO32 - 1 - hi;
  }
}

/** d = s. */
export function copy64(d: Uint32Array, di: number, s: Uint32Array, si: number): void {
  const lo = s[si]!;
  const hi = s[si + 1]!;
  d[di] = lo;
  d[di + 1] = hi;
}

/** d = a + b mod 2^64. */
export function add64(d: Uint32Array, di: number, a: Uint32Array, ai: number, b: Uint32Array, bi: number): void {
  const lo = a[ai]! + b[bi]!;
  const hi = a[ai + 1]! + b[bi + 1]! + (lo >= TWO32 ? 1 : 0);
  d[di] = lo >>> 0;
  d[di + 1] = hi >>> 0;
}

/** d = a - b mod 2^64. */
export function sub64(d: Uint32Array, di: number, a: Uint32Array, ai: number, b: Uint32Array, bi: number): void {
  const lo = a[ai]! - b[bi]!;
  const hi = a[ai + 1]! - b[bi + 1]! - (lo < 0 ? 1 : 0);
  d[di] = lo >>> 0;
  d[di + 1] = hi >>> 0;
}

/** d = a * b mod 2^64 (the low halves multiplied in 16-bit pieces so every partial sum stays exact). */
export function mul64(d: Uint32Array, di: number, a: Uint32Array, ai: number, b: Uint32Array, bi: number): void {
  const al = a[ai]!;
  const ah = a[ai + 1]!;
  const bl = b[bi]!;
  const bh = b[bi + 1]!;
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const mid = a0 * b1 + a1 * b0 + Math.floor(p00 / 65536);
  const lo = (mid % 65536) * 65536 + (p00 % 65536);
  const carry = a1 * b1 + Math.floor(mid / 65536);
  d[di] = lo;
  d[di + 1] = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** a < b. */
export function lt64(a: Uint32Array, ai: number, b: Uint32Array, bi: number): boolean {
  const ah = a[ai + 1]!;
  const bh = b[bi + 1]!;
  return ah < bh || (ah === bh && a[ai]! < b[bi]!);
}

/** a == 0. */
export function isZero64(a: Uint32Array, ai: number): boolean {
  return a[ai] === 0 && a[ai + 1] === 0;
}
